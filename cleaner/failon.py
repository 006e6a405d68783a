"""``--fail-on`` rules: thresholds on the run's totals that turn into a non-zero exit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# rule name -> (totals key, what it measures)
RULES = {
    "template-ratio": ("template_ratio", "share of lines dropped as template or template-block"),
    "dropped-ratio": ("dropped_ratio", "share of lines dropped for any reason"),
    "duplicate-docs": ("duplicate_docs", "documents whose cleaned text repeats another's"),
    "unreadable": ("files_failed", "files that could not be read"),
    "empty": ("files_empty", "files with nothing kept"),
}


@dataclass(frozen=True)
class FailRule:
    """A ``--fail-on`` rule: the run fails when the named figure exceeds the limit."""

    name: str
    limit: float

    @classmethod
    def parse(cls, text: str) -> FailRule:
        """``NAME=LIMIT``: fail when NAME exceeds LIMIT.

        >>> FailRule.parse("template-ratio=0.4")
        FailRule(name='template-ratio', limit=0.4)
        >>> FailRule.parse("duplicate-docs=0").limit
        0.0
        >>> FailRule.parse("nope=1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: unknown --fail-on rule 'nope' (known: template-ratio, dropped-ratio, ...)
        """
        name, sep, value = text.partition("=")
        name = name.strip()
        if name not in RULES:
            raise ValueError(f"unknown --fail-on rule {name!r} (known: {', '.join(RULES)})")
        if not sep:
            raise ValueError(f"--fail-on {name} needs a limit, as in {name}=0")
        try:
            limit = float(value)
        except ValueError:
            raise ValueError(f"--fail-on {name}: {value!r} is not a number") from None
        if math.isnan(limit):  # nothing exceeds NaN: the rule could never fail
            raise ValueError(f"--fail-on {name}: {value!r} is not a number")
        return cls(name, limit)

    def broken(self, totals: dict[str, Any]) -> str | None:
        """A message when the totals exceed the limit, else None.

        >>> FailRule("duplicate-docs", 0).broken({"duplicate_docs": 2})
        'duplicate-docs is 2, above the limit 0'
        """
        value = measured(totals, self.name)
        if value > self.limit:
            return f"{self.name} is {value:g}, above the limit {self.limit:g}"
        return None


def unmeasured(rules: list[FailRule], dedup_docs: str) -> list[str]:
    """Warnings for the rules the run's settings leave nothing to measure: with
    ``--dedup-docs off`` no document is compared, so duplicate-docs is always 0.

    >>> unmeasured([FailRule("duplicate-docs", 0)], "off")  # doctest: +ELLIPSIS
    ['--fail-on duplicate-docs=0 can never fail with --dedup-docs off: ...']
    >>> unmeasured([FailRule("duplicate-docs", 0)], "flag"), unmeasured([], "off")
    ([], [])
    """
    return [
        f"--fail-on {rule.name}={rule.limit:g} can never fail with --dedup-docs off: "
        "documents are not compared (use --dedup-docs flag)"
        for rule in rules
        if rule.name == "duplicate-docs" and dedup_docs == "off"
    ]


def measured(totals: dict[str, Any], name: str) -> float:
    key = RULES[name][0]
    if key == "dropped_ratio":
        return totals["dropped"] / totals["lines"] if totals["lines"] else 0.0
    return float(totals[key])
