"""A logging filter for the production settings: one message now and then, not a flood."""

import logging
import time


class NowAndThen(logging.Filter):
    """Let one logger's same message through at most once every ``seconds``, saying how many
    were left out in between: while Redis is down, django-redis logs every ignored error with
    its traceback, once per cache call."""

    def __init__(self, seconds=10):
        super().__init__()
        self.seconds = seconds
        self.seen = {}  # (logger, message) -> (when let through, how many left out since)

    def filter(self, record):
        key = (record.name, record.msg)
        now = time.monotonic()
        last, left_out = self.seen.get(key, (None, 0))
        if last is not None and now - last < self.seconds:
            self.seen[key] = (last, left_out + 1)
            return False
        self.seen[key] = (now, 0)
        if left_out:
            record.msg = f"{record.msg} ({left_out} more in the last {self.seconds} s)"
        return True
