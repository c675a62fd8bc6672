"""Durations as process owners write them: ``30m``, ``4h``, ``3d``, ``2bh``, ``1bd4bh``.

Calendar units: ``s`` ``m`` ``h`` ``d`` ``w``. Business units: ``bm`` ``bh`` ``bd``
(a business day is eight business hours). A duration is all calendar or all
business; mixing them is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"(\d+)(bm|bh|bd|s|m|h|d|w)")
_WHOLE = re.compile(r"^(?:\d+(?:bm|bh|bd|s|m|h|d|w))+$")
_SECONDS = {
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
    "bm": 60,
    "bh": 3600,
    "bd": 8 * 3600,
}

#: Length of one business day in business seconds.
BUSINESS_DAY_SECONDS = 8 * 3600


@dataclass(frozen=True, slots=True)
class Duration:
    """A parsed duration.

    Attributes:
        seconds: Length in seconds (business seconds when ``business``).
        business: True when it counts only the calendar's open hours.
    """

    seconds: int
    business: bool

    def __str__(self) -> str:
        return format_duration(self.seconds, business=self.business)


def parse_duration(text: str) -> Duration:
    """Parse a duration string.

    Args:
        text: For example ``"4h"``, ``"2bh"`` or ``"1d12h"``.

    Returns:
        The parsed duration.

    Raises:
        ValueError: With a message that says how to write it.
    """
    compact = text.replace(" ", "").lower()
    if not compact or not _WHOLE.match(compact):
        raise ValueError(
            f"invalid duration {text!r}: write a number and a unit, e.g. 30m, 4h, 3d, 1w, "
            "or business time 2bh, 3bd"
        )
    kinds: set[bool] = set()
    total = 0
    for amount, unit in _TOKEN.findall(compact):
        kinds.add(unit.startswith("b"))
        total += int(amount) * _SECONDS[unit]
    if len(kinds) > 1:
        raise ValueError(
            f"invalid duration {text!r}: do not mix business (bh) and calendar (h) units"
        )
    if total <= 0:
        raise ValueError(f"invalid duration {text!r}: must be longer than zero")
    return Duration(total, kinds.pop())


def format_duration(seconds: int, *, business: bool = False) -> str:
    """Render seconds back to the shortest duration string (``90m`` -> ``1h30m``)."""
    prefix = "b" if business else ""
    parts: list[str] = []
    rest = seconds
    units = (
        [("h", 3600), ("m", 60)] if business else [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)]
    )
    for unit, size in units:
        if rest >= size:
            parts.append(f"{rest // size}{prefix}{unit}")
            rest %= size
    if rest and business:
        parts.append(f"{rest}s")
    return "".join(parts) or f"0{prefix}m"
