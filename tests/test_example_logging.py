"""The example's production logging: while Redis is down, django-redis's ignored errors (one
per cache call, each with a traceback) come out now and then, with a count, not as a flood."""

import logging

from example.log_filters import NowAndThen


def test_the_same_message_comes_out_once_per_interval_with_what_was_left_out(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("example.log_filters.time.monotonic", lambda: clock[0])
    kept = []
    noise = NowAndThen(seconds=10)

    def log(message, name="django_redis.cache"):
        record = logging.LogRecord(name, logging.ERROR, __file__, 1, message, (), None)
        if noise.filter(record):
            kept.append(record.getMessage())

    for _ in range(50):
        log("Exception ignored")
    log("Another message")
    clock[0] += 11
    log("Exception ignored")
    assert kept == [
        "Exception ignored",
        "Another message",
        "Exception ignored (49 more in the last 10 s)",
    ]
