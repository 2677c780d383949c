"""Back-off for guessing a secret: a few wrong tries are free, then each wait doubles (capped). Kept per
session and per address, so neither a new browser tab nor a new address resets the count for the other.
While a wait runs every try is refused unchecked, even the right secret, or guessing would go on."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

FREE_TRIES = 3
CAP_SECONDS = 300.0


@dataclass
class Backoff:
    clock: callable = time.monotonic
    _state: dict[str, tuple[int, float]] = field(default_factory=dict)  # key -> (failures, wait until)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, *keys: str) -> float:
        """Seconds before any of these keys may try again (0: now)."""
        now = self.clock()
        with self._lock:
            return max((max(0.0, self._state.get(k, (0, 0.0))[1] - now) for k in keys), default=0.0)

    def failed(self, *keys: str) -> float:
        """Record a wrong try; returns the wait it starts."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            for k in keys:
                failures = self._state.get(k, (0, 0.0))[0] + 1
                delay = 0.0 if failures < FREE_TRIES else min(CAP_SECONDS, 2.0 ** (failures - FREE_TRIES + 1))
                self._state[k] = (failures, now + delay)
                longest = max(longest, delay)
        return longest

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._state.pop(k, None)
