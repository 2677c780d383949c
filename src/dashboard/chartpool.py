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
import io
import json
import os
import threading
from collections import OrderedDict
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import context, forkserver, popen_forkserver, spawn, util

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
_closed = False  # the server is stopping: no new workers


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


class _ChartPopen(popen_forkserver.Popen):
    """The standard forkserver launch, minus the parent's main module: under Streamlit `__main__` is app.py,
    and a worker that re-ran it died in the sign-in gate (BrokenProcessPool) and logged streamlit warnings.
    A worker needs only this module, which unpickling the job imports."""

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        for main in ("init_main_from_path", "init_main_from_name"):
            prep_data.pop(main, None)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            context.reduction.dump(prep_data, buf)
            context.reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _ChartProcess(context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _ChartPopen(process_obj)


class _ChartContext(context.ForkServerContext):
    Process = _ChartProcess


def _context() -> _ChartContext:
    ctx = _ChartContext()
    # Nothing preloaded into the fork server (not __main__, nor pandas, whose import starts threads that a fork
    # would copy mid-lock): each worker imports the chart code itself, once.
    ctx.set_forkserver_preload([])
    return ctx


def _workers() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _closed:
            raise RuntimeError("the chart workers have been shut down")
        if _pool is None:
            # forkserver: a clean process to fork workers from, not a copy of a threaded server
            # at low priority: a chart drawn ahead must not slow a page someone is waiting for
            _pool = ProcessPoolExecutor(
                max_workers=max(1, min(2, os.cpu_count() or 1)),
                mp_context=_context(),
                initializer=os.nice,
                initargs=(10,),
            )
        return _pool


def _replace(broken: ProcessPoolExecutor | None) -> None:
    """A pool whose worker died is broken for good: drop it (the next submit starts a fresh one)."""
    global _pool
    with _lock:
        if broken is None or _pool is not broken:
            return  # another thread replaced it already
        _pool = None
        for k, f in list(_pending.items()):
            if f.done() or getattr(f, "_chart_pool", None) is broken:
                _pending.pop(k, None)
    _stop_pool(broken)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now: a chart half drawn is not worth waiting for."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.kill()


def shutdown() -> None:
    """Stop the workers (the server is stopping): queued charts are cancelled, running ones killed."""
    global _pool, _closed
    with _lock:
        pool, _pool, _closed = _pool, None, True
        _pending.clear()
    if pool is not None:
        _stop_pool(pool)


# Before the interpreter joins the pool's manager thread (which waits for every queued chart: ~50 s on SIGTERM
# during a pack), so the pool must be stopped from threading's exit hooks, which run first; atexit runs later.
_register = getattr(threading, "_register_atexit", atexit.register)
_register(shutdown)


def _submit(k: str, job: Job) -> Future:
    with _lock:
        running = _pending.get(k)
        if running is not None:
            return running
    for attempt in range(2):
        pool = _workers()
        try:
            future = pool.submit(draw, job)
            break
        except BrokenProcessPool:
            _replace(pool)
        except RuntimeError:  # shut down (the server is stopping) or replaced by another thread meanwhile
            if attempt:
                raise
    future._chart_pool = pool  # which pool, so a broken one's futures are dropped with it

    def done(f: Future, k=k) -> None:
        with _lock:
            if _pending.get(k) is f:
                _pending.pop(k, None)
        if not f.cancelled() and f.exception() is None:
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
        self._jobs = jobs
        misses = {ref: job for ref, job in jobs.items() if cached(self.keys[ref]) is None}
        self.reused = self.total - len(misses)
        if len(misses) == 1:  # one chart is quicker drawn here than sent to a worker
            ref, job = next(iter(misses.items()))
            _remember(self.keys[ref], draw(job))
        elif misses:
            for ref, job in misses.items():
                try:
                    self._futures[ref] = _submit(self.keys[ref], job)
                except (BrokenProcessPool, RuntimeError):  # no workers to be had: `get` draws the rest here
                    break

    def get(self, ref: str) -> tuple[bytes, str]:
        hit = cached(self.keys[ref])
        if hit is not None:
            return hit
        future = self._futures.get(ref)
        if future is None or future.cancel():
            # Not started by a worker yet: draw it here rather than wait (the workers run at low priority, and
            # someone is waiting for this pack), while the workers draw the ones after it.
            result = draw(self._jobs[ref])
        else:
            try:
                result = future.result()
            except CancelledError:  # a warm-up's drawing given up by someone else: draw it here
                result = draw(self._jobs[ref])
            except BrokenProcessPool:  # a worker died: replace the pool and draw this one here
                _replace(getattr(future, "_chart_pool", None))
                result = draw(self._jobs[ref])
        _remember(self.keys[ref], result)
        return result


def warm(jobs: dict[str, Job]) -> int:
    """Start drawing charts not yet cached, in the background; returns how many were started."""
    started = 0
    for job in jobs.values():
        k = key(job)
        if cached(k) is None:
            try:
                _submit(k, job)
            except (BrokenProcessPool, RuntimeError):  # drawing ahead is optional: the pack draws what it lacks
                return started
            started += 1
    return started
