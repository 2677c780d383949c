"""A server-side load test that needs no browser per user: many sessions speak Streamlit's own protocol
(protobuf BackMsg/ForwardMsg over the /_stcore/stream websocket), as the browser's client does.

Why the protocol and not browsers: ten Chromiums on this 2-core box measured the browsers (the server was busy
15-19% of one core while the machine was at 99%). A protocol client costs a few milliseconds of Python per
interaction, so 30+ sessions measure the server. What it does not measure is drawing: that happens on each
councillor's own machine.

Each session opens the app, then for the given time changes month and page at random (a link to another page
and month, as the sidebar and the month picker do), waiting a human's think time between clicks. Per
interaction it records the time from the request to the server's "script finished", checks the run finished
without an exception and that the page names the month asked for. The server's CPU seconds come from /proc.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from dashboard.ui import page_registry

# Pages that name the month in view ("September 2023 · Latest …", "Sep-23"), and pages that do not.
MONTH_PAGES = [row.url_path for row in page_registry.PAGES if row.section in ("Dashboard", "Service areas")]
PAGES = MONTH_PAGES + [
    page_registry.BY_KEY[k].url_path for k in ("revisions", "data_quality", "improvement_plan", "weekly")
]
MONTHS = [
    "2023-04",
    "2023-05",
    "2023-06",
    "2023-07",
    "2023-08",
    "2023-09",
    "2023-10",
    "2023-11",
    "2023-12",
    "2024-01",
]  # the sample's months with a scorecard
LONG = {
    f"{n:02d}": name
    for n, name in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        1,
    )
}


@dataclass
class Result:
    sessions: int
    seconds: float
    times_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0

    @property
    def interactions(self) -> int:
        return len(self.times_ms)

    def pct(self, q: float) -> float:
        if not self.times_ms:
            return float("nan")
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

    def summary(self) -> dict:
        return {
            "sessions": self.sessions,
            "seconds": self.seconds,
            "interactions": self.interactions,
            "errors": len(self.errors),
            "error_samples": self.errors[:5],
            "p50_ms": round(self.pct(50), 1),
            "p95_ms": round(self.pct(95), 1),
            "mean_ms": round(statistics.fmean(self.times_ms), 1) if self.times_ms else None,
            "server_cpu_seconds": round(self.cpu_seconds, 2),
            "cpu_seconds_per_interaction": round(self.cpu_seconds / self.interactions, 3)
            if self.interactions
            else None,
        }


def _texts(msg: ForwardMsg) -> list[str]:
    """Markdown and headings the server sent: enough to check the page is the month asked for."""
    if not msg.HasField("delta") or not msg.delta.HasField("new_element"):
        return []
    el = msg.delta.new_element
    kind = el.WhichOneof("type")
    if kind == "markdown":
        return [el.markdown.body]
    if kind == "heading":
        return [el.heading.body]
    if kind == "exception":
        return [f"EXCEPTION {el.exception.type}: {el.exception.message}"]
    return []


async def _interaction(ws, page: str, month: str, cache: dict[str, ForwardMsg]) -> tuple[float, str | None]:
    """One rerun: send the request, read until the script finishes. -> (ms, error or None). Like the browser,
    the client keeps each message by its hash: the server sends an element it sent before as a reference."""
    back = BackMsg()
    back.rerun_script.query_string = f"month={month}"
    back.rerun_script.page_name = "" if page == "overview" else page
    start = time.perf_counter()
    await ws.send(back.SerializeToString())
    texts: list[str] = []
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=60)
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        if msg.WhichOneof("type") == "ref_hash":
            cached = cache.get(msg.ref_hash)
            if cached is None:
                return (time.perf_counter() - start) * 1000, f"{page} {month}: reference to an unknown message"
            msg = cached
        elif msg.hash:
            cache[msg.hash] = msg
        texts += _texts(msg)
        if msg.HasField("script_finished"):
            status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
            if status == "FINISHED_EARLY_FOR_RERUN":
                continue
            elapsed = (time.perf_counter() - start) * 1000
            if status != "FINISHED_SUCCESSFULLY":
                return elapsed, f"{page} {month}: {status}"
            errors = [t for t in texts if t.startswith("EXCEPTION")]
            if errors:
                return elapsed, f"{page} {month}: {errors[0][:200]}"
            word = LONG[month[5:]]
            named = (f"{word} {month[:4]}", f"{word[:3]}-{month[2:4]}")  # "August 2023" or "Aug-23"
            if page in MONTH_PAGES and not any(n in t for t in texts for n in named):
                return elapsed, f"{page} {month}: the page did not name {word} {month[:4]}"
            return elapsed, None


async def _session(
    url: str,
    deadline: float,
    think: tuple[float, float],
    rng: random.Random,
    out: Result,
    months: list[str],
    at_least: int = 0,
) -> None:
    """One simulated user until the deadline, or until it has made `at_least` interactions (a count, so a test
    does not depend on how fast a busy machine is; bounded by HARD_LIMIT seconds all the same)."""
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], origin=url, max_size=2**26) as ws:
            cache: dict[str, ForwardMsg] = {}
            await _interaction(ws, "overview", months[0], cache)  # opening the app: not counted
            done, hard = 0, deadline + HARD_LIMIT
            while (time.monotonic() < deadline or done < at_least) and time.monotonic() < hard:
                await asyncio.sleep(rng.uniform(*think))
                if time.monotonic() >= deadline and done >= at_least:
                    break
                done += 1
                ms, error = await _interaction(ws, rng.choice(PAGES), rng.choice(months), cache)
                out.times_ms.append(ms)
                if error:
                    out.errors.append(error)
    except Exception as exc:  # a refused or dropped connection is an error of the run, not a crash of it
        out.errors.append(f"session: {type(exc).__name__}: {exc}")


HARD_LIMIT = 120.0  # seconds past the deadline a session may take to reach its `at_least` interactions


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _run(
    url: str, sessions: int, seconds: float, think: tuple[float, float], seed: int, months: list[str], at_least: int
) -> Result:
    out = Result(sessions=sessions, seconds=seconds)
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(_session(url, deadline, think, random.Random(seed + i), out, months, at_least) for i in range(sessions))
    )
    return out


def run(
    url: str,
    sessions: int = 30,
    seconds: float = 60.0,
    think: tuple[float, float] = (2.0, 8.0),
    server_pid: int | None = None,
    seed: int = 1,
    months: list[str] | None = None,
    at_least: int = 0,
) -> Result:
    """Drive `sessions` simulated users for `seconds`, each making at least `at_least` interactions (months as
    YYYY-MM; default the sample's); bounded in time, loopback only."""
    if not url.startswith(("http://127.", "http://localhost")):
        raise ValueError("the load test only targets a server on this machine")
    before = _cpu_seconds(server_pid) if server_pid else 0.0
    out = asyncio.run(_run(url, sessions, seconds, think, seed, months or MONTHS, at_least))
    if server_pid:
        out.cpu_seconds = _cpu_seconds(server_pid) - before
    return out
