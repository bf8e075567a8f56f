"""Scores, as Pacemaker defines them: integers clamped to ±INFINITY (1,000,000).

Rules (Pacemaker Explained, "Infinity Math"):
  INFINITY + -INFINITY = -INFINITY; anything + INFINITY = INFINITY (unless -INFINITY);
  anything - INFINITY = -INFINITY.
Scores are plain ints so that the scheduler stays fast; every arithmetic on them
goes through this module.
"""

from __future__ import annotations

from corral.model.errors import ConfigError

INFINITY = 1_000_000
MINUS_INFINITY = -INFINITY

_NAMED = {
    "infinity": INFINITY,
    "+infinity": INFINITY,
    "-infinity": MINUS_INFINITY,
    "red": 0,
    "yellow": 0,
    "green": 0,  # node-health defaults; strategy may remap
}


def add(a: int, b: int) -> int:
    """Pacemaker's score addition: -INFINITY wins over INFINITY."""
    if a <= MINUS_INFINITY or b <= MINUS_INFINITY:
        return MINUS_INFINITY
    if a >= INFINITY or b >= INFINITY:
        return INFINITY
    s = a + b
    if s >= INFINITY:
        return INFINITY
    if s <= MINUS_INFINITY:
        return MINUS_INFINITY
    return s


def clamp(v: int) -> int:
    return INFINITY if v > INFINITY else MINUS_INFINITY if v < MINUS_INFINITY else v


def parse(text: str | int | None, *, element: str | None = None, field: str = "score") -> int:
    """Parse a score string ("INFINITY", "-inf", "+100", "50"). Raises ConfigError."""
    if text is None:
        return 0
    if isinstance(text, int):
        return clamp(text)
    t = text.strip().lower()
    if t in _NAMED:
        return _NAMED[t]
    if t in ("inf", "+inf"):
        return INFINITY
    if t == "-inf":
        return MINUS_INFINITY
    try:
        return clamp(int(t))
    except ValueError:
        try:
            return clamp(int(float(t)))
        except ValueError:
            raise ConfigError(
                f"{text!r} is not a score (an integer, INFINITY or -INFINITY)",
                element=element,
                field=field,
                code="bad-score",
            ) from None


def is_score(text: str) -> bool:
    try:
        parse(text)
    except ConfigError:
        return False
    return True


def to_str(v: int) -> str:
    if v >= INFINITY:
        return "INFINITY"
    if v <= MINUS_INFINITY:
        return "-INFINITY"
    return str(v)
