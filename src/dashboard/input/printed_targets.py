"""Targets as printed ("85%", "20-24%", "<7%", ">65%", "16-18", "552", blank) -> a Target. Read where targets
arrive (ingest, the targets load) and where they are judged (the engine), so it sits below both.

The printed text gives the number(s); the indicator's polarity says which way it binds:
a plain "85%" is a minimum for a higher-is-better measure and a maximum for a lower-is-better one.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["minimum", "maximum", "band", "none"]

_NUM = r"(\d+(?:\.\d+)?)"
_BAND = re.compile(rf"^{_NUM}\s*%?\s*[-–]\s*{_NUM}\s*(%?)$")
_BOUND = re.compile(rf"^([<>]=?|≤|≥)?\s*{_NUM}\s*(%?)$")


class TargetError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    kind: Kind
    low: float | None = None  # band lower edge or minimum
    high: float | None = None  # band upper edge or maximum
    text: str = ""

    def describe(self, fmt) -> str:
        if self.kind == "minimum":
            return f"at least {fmt(self.low)}"
        if self.kind == "maximum":
            return f"at most {fmt(self.high)}"
        if self.kind == "band":
            return f"{fmt(self.low)}–{fmt(self.high)}"
        return "no target"


NO_TARGET = Target("none")


@functools.lru_cache(maxsize=8192)  # pure, and a national store repeats the same few hundred texts
def parse_target(text: object, polarity: str) -> Target:
    """Unparseable text raises TargetError: a target we cannot read must stop the load."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return NO_TARGET
    s = str(text).strip().replace(" ", "")
    if not s:
        return NO_TARGET
    m = _BAND.match(s)
    if m:
        low, high = float(m.group(1)), float(m.group(2))
        if low > high:
            raise TargetError(f"target {text!r}: band runs backwards")
        return Target("band", low, high, str(text).strip())
    m = _BOUND.match(s)
    if not m:
        raise TargetError(f"target {text!r} is not a number, a band like 20-24% or a bound like <7%")
    op, value = m.group(1) or "", float(m.group(2))
    if op in ("<", "<=", "≤"):
        return Target("maximum", None, value, str(text).strip())
    if op in (">", ">=", "≥"):
        return Target("minimum", value, None, str(text).strip())
    if polarity == "higher_better":
        return Target("minimum", value, None, str(text).strip())
    if polarity == "lower_better":
        return Target("maximum", None, value, str(text).strip())
    raise TargetError(f"target {text!r} has no direction: the indicator is {polarity}, so write <x, >x or a band")
