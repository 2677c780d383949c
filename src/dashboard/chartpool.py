"""Charts for the papers, drawn once and reused.

Drawing an indicator chart (Altair, then vl-convert to PNG) costs about a fifth of a second, and a month's
panel pack has thirty or more. So each chart is keyed by exactly what it shows (the scorecard row, the series,
the revised months, the size) and kept in a bounded in-memory cache: a second pack of the same month, or a
pack after the server warmed the month, reuses them, and a changed figure changes the key (never a stale
chart). Charts not yet drawn are drawn in worker processes, all at once, while the caller lays out the tables;
vl-convert renders one chart at a time per process, so processes, not threads, are what use both cores.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import multiprocessing
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor

import pandas as pd

CHART_VERSION = 4  # bump when the chart's drawing changes, so cached pictures are not reused
PAPER_SIZE = {"width": 420, "height": 200, "scale": 1.5}
MAX_CACHE_BYTES = 96 * 1024 * 1024

Job = tuple[dict, pd.DataFrame, frozenset]  # scorecard row, series (period, value, vintage), revised periods


def spec_json(chart) -> str:
    """An Altair chart or an already-built Vega-Lite spec, as JSON for vl-convert."""
    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    # Inline data can hold python dates (tooltips only; axes use timestamps): write them as ISO text.
    return json.dumps(spec, default=str)


def png(chart, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec_json(chart), scale=scale)


def svg(chart) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec_json(chart))


def draw(job: Job) -> tuple[bytes, str]:
    """One paper chart: (PNG, its one-sentence summary). Runs in a worker process or inline."""
    from .charts import indicator_chart  # imported here: worker processes need nothing else

    row, series, revised = job
    chart, summary = indicator_chart(pd.Series(row), series, show_spc=True, revised=set(revised))
    size = PAPER_SIZE
    return png(chart.properties(width=size["width"], height=size["height"]), scale=size["scale"]), summary


def key(job: Job) -> str:
    row, series, revised = job
    h = hashlib.sha256()
    h.update(
        json.dumps([CHART_VERSION, PAPER_SIZE, row, sorted(map(str, revised))], default=str, sort_keys=True).encode()
    )
    h.update(series.to_json(date_format="iso", orient="split").encode())
    return h.hexdigest()


_cache: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
_cache_bytes = 0
_lock = threading.Lock()
_pending: dict[str, Future] = {}
_pool: ProcessPoolExecutor | None = None


def _remember(k: str, value: tuple[bytes, str]) -> None:
    global _cache_bytes
    with _lock:
        if k in _cache:
            return
        _cache[k] = value
        _cache_bytes += len(value[0])
        while _cache_bytes > MAX_CACHE_BYTES and _cache:
            _, (old, _s) = _cache.popitem(last=False)
            _cache_bytes -= len(old)


def cached(k: str) -> tuple[bytes, str] | None:
    with _lock:
        hit = _cache.get(k)
        if hit is not None:
            _cache.move_to_end(k)
        return hit


def _workers() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # forkserver: a clean process to fork workers from, not a copy of a threaded server
            # at low priority: a chart drawn ahead must not slow a page someone is waiting for
            _pool = ProcessPoolExecutor(
                max_workers=max(1, min(2, os.cpu_count() or 1)),
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=os.nice,
                initargs=(10,),
            )
            atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
        return _pool


def _submit(k: str, job: Job) -> Future:
    with _lock:
        running = _pending.get(k)
        if running is not None:
            return running
    future = _workers().submit(draw, job)

    def done(f: Future, k=k) -> None:
        with _lock:
            _pending.pop(k, None)
        if f.exception() is None:
            _remember(k, f.result())

    with _lock:
        _pending[k] = future
    future.add_done_callback(done)
    return future


class Batch:
    """Every chart a pack needs, started at once; `get` waits for one. Cached charts cost nothing."""

    def __init__(self, jobs: dict[str, Job]):
        self.keys = {ref: key(job) for ref, job in jobs.items()}
        self.total = len(jobs)
        self.reused = 0
        self._futures: dict[str, Future] = {}
        misses = {ref: job for ref, job in jobs.items() if cached(self.keys[ref]) is None}
        self.reused = self.total - len(misses)
        if len(misses) == 1:  # one chart is quicker drawn here than sent to a worker
            ref, job = next(iter(misses.items()))
            _remember(self.keys[ref], draw(job))
        elif misses:
            self._futures = {ref: _submit(self.keys[ref], job) for ref, job in misses.items()}

    def get(self, ref: str) -> tuple[bytes, str]:
        hit = cached(self.keys[ref])
        if hit is not None:
            return hit
        result = self._futures[ref].result()
        _remember(self.keys[ref], result)
        return result


def warm(jobs: dict[str, Job]) -> int:
    """Start drawing charts not yet cached, in the background; returns how many were started."""
    started = 0
    for job in jobs.values():
        k = key(job)
        if cached(k) is None:
            _submit(k, job)
            started += 1
    return started
