"""Community health benchmark: vote rings, front-page quality and discovery, side by side.

Runs the seeded model in ``model.py`` (the package's real ranking, scoring and ring-detection
code) over a matrix of rankings, defence settings, attacks and community sizes, and prints
the tables documented in docs/explanation/community-health.md. Results (every run's figures
and the tables) go to ``benchmarks/results/community.json``.

    .venv/bin/python benchmarks/community/run.py            # the full run (~5 min on 2 idle cores)
    .venv/bin/python benchmarks/community/run.py --quick    # a smaller matrix, ~1 min
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
from multiprocessing import Pool
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import model  # noqa: E402

DEFENCES = {
    "none": (),  # the formula alone
    "age": ("age",),  # the package before issue 8: votes count from 24 h of age
    # Ring detection holding the votes only (RING_HOLD_POSTS = False, CLIMB_HOLD = False): the
    # package's defaults before the post holds.
    "votes-only": ("age", "clusters", "votes_only"),
    # ... and holding the posts a ring pushed (RING_HOLD_POSTS), without the climb hold.
    "ring-hold": ("age", "clusters"),
    "defaults": ("age", "clusters", "climb", "crowd"),  # the package's defaults now
    # The defaults before issue 19: without the hold of a post pushed early by accounts that
    # follow the crowd (CROWD_HOLD = False).
    "no-crowd": ("age", "clusters", "climb"),
    # RING_KEEP_ONE_VOTE = False: a detected ring weighs nothing until an editor decides.
    "hold-all": ("age", "clusters", "climb", "hold_all"),
    # The crowd hold alone (with the age rule), without ring detection or the climb hold.
    "crowd-only": ("age", "crowd"),
}


def wilson_interval(successes, n, z=1.96):
    """95% Wilson score interval for a share (both ends)."""
    if n == 0:
        return (0.0, 0.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values):
    if not values:
        return (None, None, None)
    mean = statistics.fmean(values)
    if len(values) < 2:
        return (mean, mean, mean)
    half = 1.96 * statistics.stdev(values) / math.sqrt(len(values))
    return (mean, mean - half, mean + half)


def matrix(quick):
    """The configurations to run: (name, group, overrides)."""
    configs = []
    rankings = ("hot", "best", "top")
    kinds = ("", "fresh", "patient", "farming")
    for ranking in rankings:
        for defence in DEFENCES:
            if (
                defence in ("hold-all", "votes-only", "ring-hold", "no-crowd", "crowd-only")
                and ranking != "hot"
            ):
                continue
            for kind in kinds + (("adaptive",) if ranking == "hot" else ()):
                configs.append(
                    ("main", {"ranking": ranking, "defences": DEFENCES[defence], "ring_kind": kind})
                )
    if not quick:
        for k in (5, 10, 50):
            for kind in ("fresh", "patient", "farming"):
                for defence in ("none", "defaults"):
                    configs.append(
                        (
                            "ring_size",
                            {
                                "ranking": "hot",
                                "defences": DEFENCES[defence],
                                "ring_kind": kind,
                                "ring_size": k,
                            },
                        )
                    )
        for members, per_day in ((300, 20), (300, 100), (2000, 100), (10000, 20), (10000, 100)):
            for defence in ("none", "no-crowd", "defaults"):
                for kind in ("", "fresh", "patient", "farming", "adaptive"):
                    configs.append(
                        (
                            "size",
                            {
                                "members": members,
                                "posts_per_day": per_day,
                                "defences": DEFENCES[defence],
                                "ring_kind": kind,
                            },
                        )
                    )
        # Why a mediocre post reaches the front page alone: the block's minimums and tau.
        for variant in (
            {"block_minimums": "none"},
            {"hot_tau": 90000.0},
            {"entry_delay": model.HOUR},
        ):
            for defence in ("none", "defaults"):
                for kind in ("", "patient", "farming"):
                    configs.append(
                        (
                            "alone",
                            {"defences": DEFENCES[defence], "ring_kind": kind, **variant},
                        )
                    )
        for slots in (5, 10):
            for rescue in (False, True):
                configs.append(
                    (
                        "discovery",
                        {
                            "posts_per_day": 100,
                            "front_slots": slots,
                            "rescue": rescue,
                            "defences": DEFENCES["defaults"],
                        },
                    )
                )
    return configs


def _run(task):
    group, overrides, seed = task
    started, cpu = time.perf_counter(), time.process_time()
    result = model.simulate(seed=seed, **overrides)
    result["seconds"] = time.perf_counter() - started
    result["cpu_seconds"] = time.process_time() - cpu
    return group, overrides, seed, result


def key(overrides):
    return json.dumps(
        {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(overrides.items())}
    )


def aggregate(runs):
    reached = [x for run in runs for x in run["target_reached"]]
    hours = [x for run in runs for x in run["target_hours"]]
    good_hours = sorted(x for run in runs for x in run["top_decile_hours"])
    never = [x for run in runs for x in run["top_decile_never"]]
    quality = [run["quality_ratio"] for run in runs if run["quality_ratio"] is not None]
    quality_attack = [
        run["quality_ratio_attack"] for run in runs if run["quality_ratio_attack"] is not None
    ]
    newcomer = [
        sum(run["newcomer_votes"][0] for run in runs),
        sum(run["newcomer_votes"][1] for run in runs),
    ]
    return {
        "runs": len(runs),
        "targets": len(reached),
        "reach": sum(reached) / len(reached) if reached else None,
        "reach_ci": wilson_interval(sum(reached), len(reached)),
        "hours": mean_interval(hours),
        "quality": mean_interval(quality),
        "quality_attack": mean_interval(quality_attack),
        "good_posts": len(never),
        "good_median_hours": statistics.median(good_hours) if good_hours else None,
        "good_never": sum(never) / len(never) if never else None,
        "good_never_ci": wilson_interval(sum(never), len(never)),
        "turnover": mean_interval([run["turnover"] for run in runs]),
        "newcomer_counted": newcomer[0] / newcomer[1] if newcomer[1] else None,
        "honest_held_per_run": statistics.fmean(run["honest_held"] for run in runs),
        "targets_held": sum(run["targets_held"] for run in runs),
        "honest_posts_held_per_run": statistics.fmean(run["honest_posts_held"] for run in runs),
        "good_posts_held_per_run": statistics.fmean(run["good_posts_held"] for run in runs),
        "honest_climb_held_per_run": statistics.fmean(
            run["honest_posts_climb_held"] for run in runs
        ),
        "newcomers_held_per_run": statistics.fmean(run["newcomers_held"] for run in runs),
        "ring_detected": (
            sum(run["ring_detected"] for run in runs) / sum(run["ring_accounts"] for run in runs)
            if sum(run["ring_accounts"] for run in runs)
            else None
        ),
        "detection_hours": (
            statistics.median(x for run in runs for x in run["detection_hours"])
            if any(run["detection_hours"] for run in runs)
            else None
        ),
    }


def _defence_name(defences):
    for name, value in DEFENCES.items():
        if tuple(value) == tuple(defences):
            return name
    return "+".join(defences)


def pct(x):
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def ci(interval):
    return f"[{100 * interval[0]:.0f}-{100 * interval[1]:.0f}]"


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def print_tables(results, out):
    def get(**overrides):
        return results.get(key(overrides))

    def line(text=""):
        print(text)
        out.append(text)

    line("(a) Ring success, 2,000 members, 20 posts a day, ring of 20. Reach: share of targets")
    line("    on the front page within 48 h [95% CI]; hours: mean front-page hours; 'alone': the")
    line("    same post, same traffic, no ring. Quality: front-page quality ratio (whole run;")
    line("    'attack day' = the 24 h after each attack).")
    line(
        f"{'ranking':8} {'defences':10} {'ring':8} {'reach':>7} {'CI':>9} {'alone':>7} "
        f"{'+points':>8} {'hours':>6} {'alone':>6} {'quality':>8} {'attack day':>10} {'n':>4}"
    )
    for ranking in ("hot", "best", "top"):
        for defence, defences in DEFENCES.items():
            base = get(ranking=ranking, defences=defences, ring_kind="")
            for kind in ("fresh", "patient", "farming", "adaptive"):
                row = get(ranking=ranking, defences=defences, ring_kind=kind)
                if not row or not base:
                    continue
                line(
                    f"{ranking:8} {defence:10} {kind:8} {pct(row['reach'])} "
                    f"{ci(row['reach_ci']):>9} "
                    f"{pct(base['reach'])} {100 * (row['reach'] - base['reach']):+8.1f} "
                    f"{fmt(row['hours'][0], 1):>6} {fmt(base['hours'][0], 1):>6} "
                    f"{fmt(row['quality'][0], 3):>8} {fmt(row['quality_attack'][0], 3):>10} "
                    f"{row['targets']:>4}"
                )
    line()
    line("(b-d) Without a ring: front-page quality ratio [95% CI over runs], top-decile posts'")
    line("    median hours to the front page and share that never reach it [CI], distinct")
    line("    front-page posts a day. 2,000 members, 20 posts a day, 5 slots.")
    line(
        f"{'ranking':8} {'defences':10} {'quality':>7} {'CI':>13} {'median h':>8} {'never':>7} "
        f"{'CI':>9} {'turnover':>8} {'good posts':>10}"
    )
    for ranking in ("hot", "best", "top"):
        for defence, defences in DEFENCES.items():
            row = get(ranking=ranking, defences=defences, ring_kind="")
            if not row:
                continue
            line(
                f"{ranking:8} {defence:10} {fmt(row['quality'][0], 3):>7} "
                f"[{fmt(row['quality'][1], 3)}-{fmt(row['quality'][2], 3)}] "
                f"{fmt(row['good_median_hours'], 1):>8} {pct(row['good_never'])} "
                f"{ci(row['good_never_ci']):>9} {fmt(row['turnover'][0], 1):>8} "
                f"{row['good_posts']:>10}"
            )
    line()
    line("(e) Ring size (hot, 2,000 members, 20 posts a day): reach (alone = same post, no ring)")
    line(f"{'ring':8} {'k':>3} {'none':>7} {'defaults':>9} {'hours none':>10} {'hours def.':>10}")
    for kind in ("fresh", "patient", "farming"):
        for k in (5, 10, 20, 50):
            extra = {} if k == 20 else {"ring_size": k}
            none = get(ranking="hot", defences=(), ring_kind=kind, **extra)
            if k == 20:
                none = get(ranking="hot", defences=(), ring_kind=kind)
                default = get(ranking="hot", defences=DEFENCES["defaults"], ring_kind=kind)
            else:
                default = get(
                    ranking="hot", defences=DEFENCES["defaults"], ring_kind=kind, ring_size=k
                )
            if not none or not default:
                continue
            line(
                f"{kind:8} {k:>3} {pct(none['reach'])} {pct(default['reach']):>9} "
                f"{fmt(none['hours'][0], 1):>10} {fmt(default['hours'][0], 1):>10}"
            )
    base_none = get(ranking="hot", defences=(), ring_kind="")
    base_def = get(ranking="hot", defences=DEFENCES["defaults"], ring_kind="")
    if base_none and base_def:
        line(
            f"{'alone':8} {'':>3} {pct(base_none['reach'])} {pct(base_def['reach']):>9} "
            f"{fmt(base_none['hours'][0], 1):>10} {fmt(base_def['hours'][0], 1):>10}"
        )
    line()
    line("(f) Community sizes (hot, 5 slots): reach of a mediocre post alone / with a fresh /")
    line("    patient / farming ring of 20 (and the farming target's front-page hours); quality")
    line("    ratio and top-decile discovery without a ring.")
    line(
        f"{'members':>7} {'posts/d':>7} {'defences':10} {'alone':>7} {'fresh':>7} {'patient':>7} "
        f"{'farming':>7} {'adapt.':>7} {'farm h':>6} {'quality':>7} {'median h':>8} "
        f"{'never':>7} {'turnover':>8} {'runs':>4}"
    )
    sizes = ((300, 20), (300, 100), (2000, 20), (2000, 100), (10000, 20), (10000, 100))
    for members, per_day in sizes:
        for defence in ("none", "no-crowd", "defaults"):
            defences = DEFENCES[defence]
            if (members, per_day) == (2000, 20):
                rows = [
                    get(ranking="hot", defences=defences, ring_kind=kind)
                    for kind in ("", "fresh", "patient", "farming", "adaptive")
                ]
            else:
                rows = [
                    get(members=members, posts_per_day=per_day, defences=defences, ring_kind=kind)
                    for kind in ("", "fresh", "patient", "farming", "adaptive")
                ]
            if not all(rows[:4]):
                continue
            alone, fresh, patient, farming, adaptive = rows
            line(
                f"{members:>7} {per_day:>7} {defence:10} {pct(alone['reach'])} "
                f"{pct(fresh['reach'])} {pct(patient['reach'])} {pct(farming['reach'])} "
                f"{pct(adaptive['reach']) if adaptive else '      -'} "
                f"{fmt(farming['hours'][0], 1):>6} "
                f"{fmt(alone['quality'][0], 3):>7} {fmt(alone['good_median_hours'], 1):>8} "
                f"{pct(alone['good_never'])} {fmt(alone['turnover'][0], 1):>8} "
                f"{alone['runs']:>4}"
            )
    line()
    line("(g) 100 posts a day (2,000 members, hot, defaults): slots and the Rescue list")
    line(
        f"{'slots':>5} {'rescue':>6} {'quality':>7} {'median h':>8} {'never':>7} {'CI':>9} "
        f"{'turnover':>8} {'good posts':>10}"
    )
    for slots in (5, 10):
        for rescue in (False, True):
            row = get(
                posts_per_day=100, front_slots=slots, rescue=rescue, defences=DEFENCES["defaults"]
            )
            if not row:
                continue
            line(
                f"{slots:>5} {'yes' if rescue else 'no':>6} {fmt(row['quality'][0], 3):>7} "
                f"{fmt(row['good_median_hours'], 1):>8} {pct(row['good_never'])} "
                f"{ci(row['good_never_ci']):>9} {fmt(row['turnover'][0], 1):>8} "
                f"{row['good_posts']:>10}"
            )
    line()
    line("(i) Hot, 2,000 members, 20 posts a day: the block's minimums, tau, and a proposal.")
    line("    Reach of the mediocre target alone [CI] / with a patient / farming ring of 20 (and")
    line("    the farming target's hours); quality and discovery without a ring.")
    line(
        f"{'variant':28} {'defences':10} {'alone':>7} {'CI':>9} {'patient':>7} {'farming':>7} "
        f"{'farm h':>6} {'quality':>7} {'median h':>8} {'never':>7} {'CI':>9} {'turnover':>8}"
    )
    variants = (
        ("minimums 5 votes, score 3", {}),
        ("no minimums (0 in block)", {"block_minimums": "none"}),
        ("HOT_TAU 90,000 s", {"hot_tau": 90000.0}),
        ("proposal: enter after 1 h", {"entry_delay": model.HOUR}),
    )
    for label, variant in variants:
        for defence in ("none", "defaults"):
            extra = variant or {"ranking": "hot"}
            alone = get(defences=DEFENCES[defence], ring_kind="", **extra)
            patient = get(defences=DEFENCES[defence], ring_kind="patient", **extra)
            farming = get(defences=DEFENCES[defence], ring_kind="farming", **extra)
            if not alone or not patient or not farming:
                continue
            line(
                f"{label:28} {defence:10} {pct(alone['reach'])} {ci(alone['reach_ci']):>9} "
                f"{pct(patient['reach'])} {pct(farming['reach'])} "
                f"{fmt(farming['hours'][0], 1):>6} {fmt(alone['quality'][0], 3):>7} "
                f"{fmt(alone['good_median_hours'], 1):>8} {pct(alone['good_never'])} "
                f"{ci(alone['good_never_ci']):>9} {fmt(alone['turnover'][0], 1):>8}"
            )
    line()
    line("(h) What the defaults cost honest members (2,000 members, 20 posts a day, hot):")
    for kind in ("", "fresh", "patient", "farming"):
        row = get(ranking="hot", defences=DEFENCES["defaults"], ring_kind=kind)
        if not row:
            continue
        label = "no ring" if not kind else f"{kind} rings"
        line(
            f"  {label:14}: posts held from the front page: targets {row['targets_held']}"
            f" of {row['targets']}; honest posts per run"
            f" {row['honest_posts_held_per_run']:.1f} (for a climb"
            f" {row['honest_climb_held_per_run']:.1f}; top-decile"
            f" {row['good_posts_held_per_run']:.1f})"
        )
        line(
            f"  {label:14}: week-old accounts' votes counted when cast "
            f"{pct(row['newcomer_counted'])};"
            f" honest accounts held per run {row['honest_held_per_run']:.1f}"
            f" (of them week-old {row['newcomers_held_per_run']:.1f});"
            f" ring accounts detected {pct(row['ring_detected'])},"
            f" median {fmt(row['detection_hours'], 2)} h after the target's publication"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="runs per configuration [10]")
    parser.add_argument(
        "--big-seeds",
        type=int,
        default=3,
        help="runs per configuration with 10,000 members [3]",
    )
    parser.add_argument("--quick", action="store_true", help="the main table only, 4 seeds")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--json", default=str(HERE.parent / "results" / "community.json"), help="output file"
    )
    args = parser.parse_args(argv)
    seeds = 4 if args.quick else args.seeds
    tasks = []
    for group, overrides in matrix(args.quick):
        n = args.big_seeds if overrides.get("members", 2000) >= 10000 else seeds
        if group == "size" and overrides.get("members", 2000) < 10000:
            n = max(3, seeds // 2)
        for seed in range(1, n + 1):
            tasks.append((group, overrides, seed))
    # Slowest first, so the pool is not left waiting on one long run at the end.
    tasks.sort(
        key=lambda t: (
            -(
                t[1].get("members", 2000)
                * t[1].get("posts_per_day", 20)
                * (3 if "clusters" in t[1].get("defences", ()) else 1)
            )
        )
    )
    started = time.perf_counter()
    by_config = {}
    print(f"{len(tasks)} runs of 14 simulated days on {args.workers} workers ...", flush=True)
    with Pool(args.workers) as pool:
        for index, (_group, overrides, _seed, result) in enumerate(
            pool.imap_unordered(_run, tasks), 1
        ):
            by_config.setdefault(key(overrides), []).append(result)
            if index % 50 == 0:
                print(f"  {index}/{len(tasks)} ({time.perf_counter() - started:.0f} s)", flush=True)
    elapsed = time.perf_counter() - started
    results = {k: aggregate(runs) for k, runs in by_config.items()}
    out = []
    print()
    print_tables(results, out)
    cpu = sum(run.get("cpu_seconds", 0.0) for runs in by_config.values() for run in runs)
    print(
        f"\n{len(tasks)} runs in {elapsed:.0f} s on {args.workers} workers "
        f"({cpu:.0f} CPU seconds in the runs: {cpu / max(args.workers, 1):.0f} s per worker "
        "on an otherwise idle machine)."
    )
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "seconds": elapsed,
                "workers": args.workers,
                "params": dict(model.Params().__dict__.items()),
                "defaults_read_from_package": {
                    "HOT_TAU": model.app_settings.HOT_TAU,
                    "WILSON_Z": model.app_settings.WILSON_Z,
                    "PROMOTION_MIN_VOTES": model.app_settings.PROMOTION_MIN_VOTES,
                    "PROMOTION_MIN_SCORE": model.app_settings.PROMOTION_MIN_SCORE,
                    "MIN_ACCOUNT_AGE_TO_COUNT_s": (
                        model.app_settings.MIN_ACCOUNT_AGE_TO_COUNT.total_seconds()
                    ),
                },
                "configs": {k: {"summary": results[k], "runs": by_config[k]} for k in results},
                "tables": out,
            },
            indent=1,
            default=list,
        )
    )
    print(f"Results: {path}")


if __name__ == "__main__":
    main()
