"""Durations as Pacemaker writes them, to milliseconds.

Pacemaker accepts a bare number (seconds), a number with a unit (``500ms``,
``10s``, ``1m``/``1min``, ``2h``, ``us``), and ISO 8601 durations (``PT10S``,
``P1DT2H``; Pacemaker also takes ``P40S`` with the time designator left out).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from corral.model.errors import ConfigError

_UNITS_MS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "": 1000.0,
        "s": 1000.0,
        "sec": 1000.0,
        "secs": 1000.0,
        "ms": 1.0,
        "msec": 1.0,
        "msecs": 1.0,
        "us": 0.001,
        "usec": 0.001,
        "usecs": 0.001,
        "m": 60_000.0,
        "min": 60_000.0,
        "mins": 60_000.0,
        "h": 3_600_000.0,
        "hr": 3_600_000.0,
        "hrs": 3_600_000.0,
    }
)

_PLAIN = re.compile(r"^\s*([+-]?\d+(?:\.\d*)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_ISO_PART = re.compile(r"(\d+(?:\.\d+)?)([YMWDHS])", re.IGNORECASE)

_ISO_DATE_MS: Final[Mapping[str, int]] = MappingProxyType(
    {"Y": 365 * 86_400_000, "M": 30 * 86_400_000, "W": 7 * 86_400_000, "D": 86_400_000}
)
_ISO_TIME_MS: Final[Mapping[str, int]] = MappingProxyType({"H": 3_600_000, "M": 60_000, "S": 1000})


def _iso_ms(text: str) -> int | None:
    body = text[1:]
    if not body:
        return None
    date_part, _, time_part = body.upper().partition("T")
    total = 0.0
    for part, table, after_t in ((date_part, _ISO_DATE_MS, False), (time_part, _ISO_TIME_MS, True)):
        pos = 0
        for m in _ISO_PART.finditer(part):
            if m.start() != pos:
                return None
            pos = m.end()
            unit = m.group(2).upper()
            if not after_t and unit in ("H", "S"):
                ms = _ISO_TIME_MS[unit]  # "P40S": time designator left out
            elif unit in table:
                ms = table[unit]
            else:
                return None
            total += float(m.group(1)) * ms
        if pos != len(part):
            return None
    return round(total)


def try_parse_ms(text: str | None) -> int | None:
    """The duration in ms, or None when ``text`` is not a duration."""
    if text is None:
        return None
    t = text.strip()
    if not t:
        return None
    if t[0] in "Pp":
        return _iso_ms(t)
    m = _PLAIN.match(t)
    if not m:
        return None
    factor = _UNITS_MS.get(m.group(2).lower())
    if factor is None:
        return None
    v = float(m.group(1)) * factor
    if v < 0:
        return None
    return round(v)


def parse_ms(text: str | None, *, element: str | None = None, field: str = "interval") -> int:
    """The duration in ms; an empty/missing value is 0. Raises ConfigError ``bad-duration``."""
    if text is None or not text.strip():
        return 0
    v = try_parse_ms(text)
    if v is None:
        raise ConfigError(
            f"{text!r} is not a duration (e.g. 10s, 500ms, 1m, PT10S)",
            element=element,
            field=field,
            code="bad-duration",
        )
    return v


def format_ms(ms: int) -> str:
    """A compact Pacemaker duration for ``ms`` (``10s``, ``500ms``, ``0``)."""
    if ms == 0:
        return "0"
    if ms % 1000 == 0:
        return f"{ms // 1000}s"
    return f"{ms}ms"
