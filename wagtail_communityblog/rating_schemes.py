"""Rating schemes: what a reader's vote means, and what it adds to a post's counters.

``recommend`` (1 or withdraw), ``updown`` (+1/-1/withdraw) and ``stars`` (1-5), chosen by
``WAGTAIL_COMMUNITYBLOG_RATING_SCHEME``. Pure: no database; the SQL that stores a vote's
``Tally`` is in ``ranking_expressions.py``.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .conf import app_settings


@dataclass(frozen=True)
class Scheme:
    name: str
    label: str
    values: tuple  # the values a reader may give (0 always means "withdraw")
    # Schemes whose stored votes keep their meaning under this one.
    compatible_with: frozenset

    def up(self, value):
        if self.name == "stars":
            return int(value >= 4)
        return int(value > 0)

    @property
    def up_values(self):
        """The values that count as up votes."""
        return tuple(value for value in self.values if self.up(value))

    def down(self, value):
        if self.name == "stars":
            return int(value <= 2)
        return int(value < 0)

    def net(self, value):
        """A vote's contribution to the net score: +1/-1, or stars above/below three."""
        if self.name == "stars":
            return value - 3
        return value


SCHEMES = {
    "recommend": Scheme("recommend", _("Recommend"), (1,), frozenset({"recommend"})),
    "updown": Scheme("updown", _("Up and down votes"), (1, -1), frozenset({"updown", "recommend"})),
    "stars": Scheme("stars", _("Stars"), (1, 2, 3, 4, 5), frozenset({"stars"})),
}


def get_scheme(name=None):
    return SCHEMES[name or app_settings.RATING_SCHEME]


@dataclass(frozen=True)
class Tally:
    """A vote's (or a set of votes') contribution to each stored counter."""

    up: int = 0
    down: int = 0
    count: int = 0
    total: int = 0
    net: int = 0

    @classmethod
    def of(cls, scheme, value):
        if value is None:
            return cls()
        return cls(scheme.up(value), scheme.down(value), 1, value, scheme.net(value))

    def __sub__(self, other):
        return Tally(
            self.up - other.up,
            self.down - other.down,
            self.count - other.count,
            self.total - other.total,
            self.net - other.net,
        )

    def __bool__(self):
        return any((self.up, self.down, self.count, self.total, self.net))
