"""Sanitiser cost on ordinary and hostile bodies: what one post or comment costs to clean.

Each shape is a body near the post form's 200,000-character limit (comments: their own
limit), cleaned by ``clean_html`` (posts) and ``clean_comment_html`` (comments); the figure is
the median of ``--runs`` with min and max, in milliseconds, and per 1,000 characters. The
hostile shapes are those that once made the work grow with the square of the input:
unterminated tags, quotes that run past ">", unclosed comments and raw-text elements, and
tens of thousands of formatting elements left open (html5ever's own cost, bounded by
``typed_markup.MAX_OPEN_ELEMENTS``).

    .venv/bin/python benchmarks/sanitize.py [--runs 5]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The sanitiser needs no settings: no Django set-up.
from wagtail_communityblog.sanitize import clean_comment_html, clean_html  # noqa: E402

POST_LIMIT = 200_000
COMMENT_LIMIT = 5_000  # COMMENT_MAX_LENGTH by default


def fill(piece, limit, tail=""):
    return (piece * (limit // len(piece)))[: limit - len(tail)] + tail


EDITOR_PARAGRAPH = "<p>Hello <b>world</b>, see <a href='https://x.example/'>this</a>.</p>"
SHAPES = {
    "editor HTML": lambda n: fill(EDITOR_PARAGRAPH, n),
    "plain text with <": lambda n: fill("x < y and a<b holds\n\n", n),
    "unterminated tags": lambda n: fill('<a b=c/d/e="f', n // 2) + fill("<b x=y/", n // 2),
    "quoted values, '>' at the end": lambda n: fill('<a b="', n, ">"),
    "unclosed comments": lambda n: fill("<!--", n, "-->"),
    "unclosed <style>": lambda n: fill("<style>", n, "</style>"),
    "open <b> then </i>": lambda n: fill("<b>", n // 2) + fill("</i>", n // 2),
}


def measure(clean, body, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        clean(body)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times), max(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"median [min-max] of {args.runs} runs; ms, and ms per 1,000 characters")
    print(f"{'shape':32} {'post (200k chars)':>30} {'comment (5k chars)':>30}")
    for name, make in SHAPES.items():
        cells = []
        for clean, limit in ((clean_html, POST_LIMIT), (clean_comment_html, COMMENT_LIMIT)):
            median, low, high = measure(clean, make(limit), args.runs)
            cells.append(f"{median:7.0f} [{low:.0f}-{high:.0f}] {median * 1000 / limit:5.2f}/k")
        print(f"{name:32} {cells[0]:>30} {cells[1]:>30}")


if __name__ == "__main__":
    main()
