"""`make bench`: every measurement taken in this one run, each beside the reference it is judged against.

    python benchmarks/run.py            # sample (one council, real figures) + national scale (synthetic)
    python benchmarks/run.py --quick    # tiny synthetic scale and short loops: checks the bench itself works

Writes bench-results/results.md and results.json and prints the same table; the last line is the
ratios in one line. National-scale data is SYNTHETIC (benchmarks/generate.py) and labelled so.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import baseline
import generate
import pandas as pd

from dashboard import service, store
from dashboard.engine import scorecard
from dashboard.input import ingest
from dashboard.ui import page_registry

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# What shows a page has rendered its main content (an area page: its scorecard, a Markdown table).
FLOOR = "hello + one table and one chart"
SCORECARD = '[class*="st-key-scorecard_table_"] table'
CHART, GRID = '[data-testid="stVegaLiteChart"]', '[data-testid="stDataFrame"]'
RENDERED = {"overview": CHART, "indicator": CHART, "weekly": CHART, "revisions": GRID}
BENCH_SKIPS = ("printed", "computed", "audit")  # data checks and the audit trail: not timed
# (url path, page key, what shows it has rendered, its link in the sidebar) for every page in ui.page_registry
PAGES = [
    (
        "" if row.key == "overview" else row.url_path,  # the default page lives at /
        row.key,
        RENDERED.get(row.key, SCORECARD if row.section == "Service areas" else "h1"),
        row.title,
    )
    for row in page_registry.PAGES
    if row.key not in BENCH_SKIPS
]
TINY_PAGES = [
    p for p in PAGES if p[1] in ("overview", "indicator")
]  # --tiny (the test suite's run): the overview (an area page's parts) and the heaviest page, each the other's way away


@dataclass
class Row:
    section: str
    measure: str
    value: float
    unit: str
    reference: str
    reference_value: float | None
    ratio: float | None  # value / reference_value
    goal: str = ""
    met: bool | None = None
    note: str = ""


ROWS: list[Row] = []
_TINY = False


def pages_run() -> list[tuple]:
    """The pages the browser and server sections visit: all of them, or --tiny's two."""
    return TINY_PAGES if _TINY else PAGES


def record(section, measure, value, unit, reference="", reference_value=None, goal="", met=None, note="") -> Row:
    ratio = value / reference_value if reference_value else None
    row = Row(section, measure, value, unit, reference, reference_value, ratio, goal, met, note)
    ROWS.append(row)
    print(
        f"  {measure}: {value:,.3g} {unit}"
        + (f" ({ratio:.2f}x {reference})" if ratio else "")
        + (f" [{goal}: {'met' if met else 'MISSED'}]" if goal else ""),
        flush=True,
    )
    return row


def median_time(fn, repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def timed_command(cmd: list[str], **kw) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t


# ---------------------------------------------------------------- 1. build / ingest

RAW_LOAD = """
import duckdb, sys, pathlib
src, db = pathlib.Path(sys.argv[1]), sys.argv[2]
con = duckdb.connect(db)
for f in sorted(src.glob('*.csv')):
    con.execute(f"CREATE TABLE {f.stem} AS SELECT * FROM read_csv(?, header=true, all_varchar=true)", [str(f)])
con.execute('CHECKPOINT'); con.close()
"""


def bench_build(label: str, sample_dir: Path, db: Path, rows: int, goal_seconds: float | None) -> None:
    for p in (db, Path(str(db) + ".raw")):
        p.unlink(missing_ok=True)
    ours = raw = float("inf")
    for _ in range(2):  # best of two for each: the first may pay for files still being written to disk
        ours = min(
            ours,
            timed_command(
                [sys.executable, "-m", "dashboard.cli", "build", "--sample-dir", str(sample_dir), "--db", str(db)]
            ),
        )
        Path(str(db) + ".raw").unlink(missing_ok=True)
        raw = min(raw, timed_command([sys.executable, "-c", RAW_LOAD, str(sample_dir), str(db) + ".raw"]))
    Path(str(db) + ".raw").unlink(missing_ok=True)
    goal = f"<= {goal_seconds:g} s" if goal_seconds else ""
    record(
        "1 build",
        f"build {label} ({rows:,} monthly rows), validated",
        ours,
        "s",
        "DuckDB read_csv with no validation",
        raw,
        goal,
        ours <= goal_seconds if goal_seconds else None,
        f"{rows / ours:,.0f} rows/s",
    )


# ---------------------------------------------------------------- 1b. refusing hostile files

MEASURE_LOAD = """
import resource, sys, time
from dashboard import cli
t = time.perf_counter()
code = cli.main(["--db", sys.argv[1], "load", sys.argv[2]])
took = time.perf_counter() - t
print(f"RESULT {code} {took} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}", file=sys.stderr)
"""


def _hostile_files(folder: Path, big_mb: int) -> dict[str, Path]:
    """Labelled synthetic hostile files: a huge CSV, a zip-bomb workbook, a CSV just under the size limit
    whose every value is wrong, and a good month for reference."""
    import zipfile

    import openpyxl

    folder.mkdir(parents=True, exist_ok=True)
    files = {"good month (reference)": folder / "good.csv"}
    files["good month (reference)"].write_text("ref,period,value\nCIN1,2024-02,290\n")
    huge = files[f"huge CSV, {big_mb} MB"] = folder / "huge.csv"
    with open(huge, "w") as fh:
        line = "CIN1,2024-02,1,234\n" * 1000
        fh.write("ref,period,value\n")
        while fh.tell() < big_mb * 1024 * 1024:
            fh.write(line)
    bomb = files["zip-bomb XLSX (1 GB unpacked)"] = folder / "bomb.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["ref", "period", "value"])
    wb.save(bomb)
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/padding.bin", "w", force_zip64=True) as part:
            block = b"\0" * (16 * 1024 * 1024)
            for _ in range(64):
                part.write(block)
    near = files["19 MB CSV, every value wrong"] = folder / "near.csv"
    with open(near, "w") as fh:
        fh.write("ref,period,value\n")
        while fh.tell() < 19 * 1024 * 1024:
            fh.write("CIN1,2024-02,lots\n" * 1000)
    return files


def bench_refusals(sample_db: Path, work: Path) -> None:
    """Wall time and peak memory of one `dashboard load` per file, each in its own process, on a copy of the
    sample store: a refusal should cost about what a good load costs (goal: within 2 s and 300 MB)."""
    files = _hostile_files(work / "hostile", 200)
    reference = None
    for label, path in files.items():
        db = work / "refusal.duckdb"
        shutil.copyfile(sample_db, db)
        shutil.rmtree(work / "journal", ignore_errors=True)
        done = subprocess.run([sys.executable, "-c", MEASURE_LOAD, str(db), str(path)], capture_output=True, text=True)
        code, took, rss = done.stderr.strip().splitlines()[-1].split()[1:]
        took, rss = float(took), float(rss)
        if reference is None:
            reference = took
            record("1b refusals", f"load: {label}", took, "s", note=f"peak {rss:,.0f} MB, exit {code}")
            continue
        record(
            "1b refusals",
            f"refuse: {label}",
            took,
            "s",
            "a good month's load",
            reference,
            "<= 2 s and 300 MB",
            took <= 2.0 and rss <= 300 and code == "1",
            f"peak {rss:,.0f} MB, exit {code}",
        )
    shutil.rmtree(work / "journal", ignore_errors=True)


# ---------------------------------------------------------------- 2. engine vs plain pandas


def bench_engine(label: str, db: Path, authority: str | None, repeat: int, national: bool) -> None:
    reader = store.ReadOnlyStore(db)
    authority = authority or service.default_authority(reader)
    month = reader.months("latest", authority)[0]
    inputs = service.inputs(reader, "latest", authority)
    ours = scorecard.build(inputs, month)
    ref = baseline.scorecard(inputs, month)
    problems = baseline.differences(ours, ref)
    if problems:
        raise SystemExit(f"engine and baseline disagree on {label}: {problems[:5]}")
    engine_s = median_time(lambda: scorecard.build(inputs, month), repeat)
    base_s = median_time(lambda: baseline.scorecard(inputs, month), max(3, repeat // 10), warmup=0)
    speedup = base_s / engine_s
    goal = "<= 100 ms and >= 20x faster" if national else ""
    met = (engine_s <= 0.1 and speedup >= 20) if national else None
    record(
        "2 scorecard",
        f"engine scorecard, {label}: {len(ours)} indicators, {authority} {month:%b-%y}",
        engine_s * 1000,
        "ms",
        "plain pandas per-indicator groupby/apply (results equal)",
        base_s * 1000,
        goal,
        met,
        f"{speedup:.1f}x faster; {len(ours)} rows checked equal",
    )
    end_to_end = median_time(lambda: service.build_scorecard(reader, month, "latest", authority), max(3, repeat // 4))
    record(
        "2 scorecard",
        f"store read + engine, {label}",
        end_to_end * 1000,
        "ms",
        "engine alone",
        engine_s * 1000,
        note="what a month change costs the app before its cache holds it",
    )
    store.ReadOnlyStore.close_all()


# ---------------------------------------------------------------- 3. AppTest warm reruns

APP_SHELL = """
import streamlit as st
from dashboard.ui.context import sidebar
st.set_page_config(layout="wide")
st.session_state["_context"] = sidebar()
"""


def bench_apptest(db: Path, repeat: int) -> dict[str, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    previous = os.environ.get("DASHBOARD_DB")
    os.environ["DASHBOARD_DB"] = str(db)
    try:
        return _apptest_pages(AppTest, st, db, repeat)
    finally:
        store.ReadOnlyStore.close_all()
        st.cache_data.clear()
        if previous is None:
            os.environ.pop("DASHBOARD_DB", None)
        else:
            os.environ["DASHBOARD_DB"] = previous


def _apptest_pages(AppTest, st, db: Path, repeat: int) -> dict[str, float]:
    empty = AppTest.from_string("import streamlit as st\n", default_timeout=120)
    empty.run()
    empty_s = median_time(empty.run, repeat)
    record("3 AppTest", "empty Streamlit page, warm rerun", empty_s * 1000, "ms", "", None)
    shell = AppTest.from_string(APP_SHELL, default_timeout=120)
    shell.run()
    shell_s = median_time(shell.run, repeat)
    record(
        "3 AppTest",
        "app shell (page config + shared sidebar, empty body), warm rerun",
        shell_s * 1000,
        "ms",
        "empty page",
        empty_s * 1000,
        note="what every page pays before its own body",
    )
    reader = store.ReadOnlyStore(db)
    first_ref = str(reader.table("indicators")["ref"].iloc[0])
    out = {}
    for path, key, _, _ in pages_run():
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        if key == "indicator":
            at.session_state["ref"] = first_ref
        at.run()
        if key != "overview":
            at.switch_page(page_registry.PAGE_PATHS[key])
            at.run()
        if at.exception:
            raise SystemExit(f"AppTest {path}: {[e.value for e in at.exception]}")
        page_s = median_time(at.run, repeat)
        out[path] = page_s
        record(
            "3 AppTest",
            f"page {path or 'overview'}, warm rerun",
            page_s * 1000,
            "ms",
            "empty page",
            empty_s * 1000,
            note=f"{page_s / shell_s:.1f}x the app shell",
        )
    heaviest = max(out, key=out.get)
    ratio = out[heaviest] / empty_s
    record(
        "3 AppTest",
        f"heaviest page ({heaviest or 'overview'}), warm rerun",
        out[heaviest] * 1000,
        "ms",
        "empty page",
        empty_s * 1000,
        "<= 2x empty",
        ratio <= 2,
        f"{out[heaviest] / shell_s:.1f}x the app shell",
    )
    return out


# ---------------------------------------------------------------- servers and the browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Streamlit server on loopback, started as the README says."""

    def __init__(self, script: Path, db: Path | None = None, root: Path | None = None):
        """`root`: serve another checkout of the app (its own code and settings), for a before/after comparison."""
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_ADMIN_SECRET"}
        if db:
            env["DASHBOARD_DB"] = str(db)
        if root:
            env["PYTHONPATH"] = str(root / "src")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(self.port),
                "--server.fileWatcherType",
                "none",
            ],
            cwd=root or ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        self.url = f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> tuple[float, float]:
        """(resident now, peak resident) of the server process, from /proc."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def _until(page, *, selector: str = "", heading: str = "", text: str = "", timeout: float = 120_000) -> None:
    """Wait, checking on every animation frame (Playwright's locator waits back off to 500 ms polls, which would
    quantise the timings), until the script is idle and the page shows what was asked for."""
    await page.wait_for_function(
        """([ready, selector, heading, text]) => !!document.querySelector(ready)
             && (!selector || !!document.querySelector(selector))
             && (!heading || [...document.querySelectorAll('h1')].some(h => h.textContent.includes(heading)))
             && (!text || document.body.textContent.includes(text))""",
        arg=[READY, selector, heading, text],
        polling="raf",
        timeout=timeout,
    )


async def _load(page, url: str, selector: str) -> float:
    """Open a URL afresh (new session, page scripts from the browser cache) until its content has rendered."""
    t = time.perf_counter()
    await page.goto(url, wait_until="commit")
    await _until(page, selector=selector)
    return time.perf_counter() - t


async def _painted(page) -> None:
    """Untimed: let the last page finish painting (two animation frames, then a breath) before the next click."""
    await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    await page.wait_for_timeout(250)


async def _follow(page, link: str, heading: str, selector: str) -> float:
    """Click a sidebar link (same session, as in a meeting) until the new page's heading and content render."""
    await _painted(page)
    target = page.get_by_role("link", name=re.compile(rf"(^|\s){re.escape(link)}$"))  # icon names come first
    if not await target.first.is_visible():
        await page.get_by_role("button", name=re.compile(r"^View \d+ more$")).click()  # the collapsed page list
    t = time.perf_counter()
    await target.first.click()
    await _until(page, heading=heading, selector=selector)
    return time.perf_counter() - t


async def _browser_pages(
    app_url: str, hello_url: str, repeat: int, month: str, ref: str, app_pid: int | None = None
) -> dict[str, dict]:
    from playwright.async_api import async_playwright

    def median(xs):
        return statistics.median(xs)

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1440, "height": 900})
        fresh: dict[str, float] = {}
        follow: dict[str, float] = {}
        for name, query in (
            ("hello", ""),
            ("hello + one table", "?floor=table"),
            ("hello + one chart", "?floor=chart"),
            (FLOOR, "?floor=both"),
        ):
            selector = {"": "h1", "?floor=table": '[data-testid="stDataFrame"]'}.get(
                query, '[data-testid="stVegaLiteChart"]'
            )
            await _load(page, hello_url + "/" + query, selector)
            fresh[name] = median([await _load(page, hello_url + "/" + query, selector) for _ in range(repeat)])
        hops = []
        for _ in range(repeat):
            await _follow(page, "Hello again", "Hello again", "h1")
            hops.append(await _follow(page, "Hello", "Hello", "h1"))
        follow["hello"] = median(hops)
        hops = []
        for _ in range(repeat):
            await _follow(page, "Hello again", "Hello again", "h1")
            hops.append(await _follow(page, "Floor", "Floor", '[data-testid="stVegaLiteChart"]'))
        follow[FLOOR] = median(hops)

        headings: dict[str, str] = {}
        settled: dict[str, float] = {}
        for path, _, selector, _ in pages_run():
            query = f"?month={month}" + (f"&ref={ref}" if path == "indicator" else "")
            url = f"{app_url}/{path}{query}"
            await _load(page, url, selector)  # warm: caches filled, as in a meeting after the first view
            if app_pid and not headings:  # the server's one-off warm-up of every month runs after the first view:
                settled["after"] = await asyncio.to_thread(_until_idle, app_pid)  # time pages once it is done
            headings[path] = (await page.locator("h1").first.inner_text()).strip()
            fresh[path] = median([await _load(page, url, selector) for _ in range(repeat)])
        await _load(page, f"{app_url}/?month={month}&ref={ref}", pages_run()[0][2])
        for path, _, selector, link in pages_run():
            away_path, _, away_selector, away_link = pages_run()[-1] if path == "" else pages_run()[0]
            hops = []
            for _ in range(repeat):
                await _follow(page, away_link, headings[away_path], away_selector)
                hops.append(await _follow(page, link, headings[path], selector))
            follow[path] = median(hops)
        await browser.close()
    return {"fresh": fresh, "follow": follow, "settled": settled}


async def _main_thread_ms(cdp) -> float:
    """The renderer's main-thread work so far (script, style, layout, paint), from Chrome's own counters."""
    metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
    return metrics["TaskDuration"] * 1000


async def _element_costs(url: str, repeat: int, kinds: int | None = None) -> dict[str, float]:
    """Main-thread milliseconds to follow a link from a title-only page to each page of elements.py."""
    import elements
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1440, "height": 900})
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Performance.enable")
        await _load(page, url + "/", "h1")
        work: dict[str, float] = {}
        for kind in ["title only", *list(elements.KINDS)[:kinds]]:
            link = "Title only" if kind == "title only" else kind
            samples = []
            for _ in range(repeat + 1):  # the first visit loads the element's code: not counted
                await _follow(page, "Away", "Elements: away", "h1")
                await _painted(page)
                before = await _main_thread_ms(cdp)
                await _follow(page, link, f"Elements: {kind}", "h1")
                await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                samples.append(await _main_thread_ms(cdp) - before)
            work[kind] = statistics.median(samples[1:])
        await browser.close()
    return work


def bench_element_costs(repeat: int, kinds: int | None = None) -> None:
    """Why a page costs what it does in the browser: the work each kind of element adds, three at a time."""
    import elements

    server = Server(ROOT / "benchmarks" / "elements.py")
    try:
        work = asyncio.run(_element_costs(server.url, repeat, kinds))
    finally:
        server.stop()
    base = work.pop("title only")
    record("4b drawing", "title-only page by a sidebar link: main-thread work", base, "ms", "", None)
    for kind, ms in work.items():
        record(
            "4b drawing",
            f"{kind} x{elements.COPIES}: main-thread work",
            ms,
            "ms",
            "title-only page",
            base,
            note=f"about {(ms - base) / elements.COPIES:.0f} ms each",
        )


# The area page before the scorecard became one Markdown table: two canvas grids, one hidden by CSS.
AREA_BEFORE = "9c91f4b"
GRID = '[data-testid="stDataFrame"]'


def _checkout(rev: str, work: Path) -> Path | None:
    """This repository's files at `rev`, unpacked once under `work` (None when git or the commit is not there)."""
    folder = work / f"checkout-{rev}"
    if (folder / "app.py").exists():
        return folder
    try:
        tree = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=tree, check=True)
    return folder


async def _main_thread_cpu_ms(cdp) -> float:
    """The renderer main thread's CPU time so far: unlike the task time it does not grow while the thread waits
    for a core, so it holds steady on a shared, busy machine."""
    metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
    return metrics["ThreadTime"] * 1000


async def _paired_area(
    urls: dict[str, str], selectors: dict[str, str], month: str, pairs: int
) -> dict[str, dict[str, list]]:
    """Main-thread milliseconds (task time and CPU time) to follow the sidebar link from About the data to Cared
    For (the longest area), on each server in turn: one tab per server in one browser, the order swapped every
    pair, so a busy spell on the shared machine falls on both sides alike."""
    from playwright.async_api import async_playwright

    area = next(p for p in PAGES if p[0] == "cared-for")
    away = next(p for p in PAGES if p[0] == "about")
    work: dict[str, dict[str, list]] = {"task": {n: [] for n in urls}, "cpu": {n: [] for n in urls}}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tabs = {}
        for name, url in urls.items():
            page = await browser.new_page(viewport={"width": 1440, "height": 900})
            cdp = await page.context.new_cdp_session(page)
            await cdp.send("Performance.enable")
            await _load(page, f"{url}/{area[0]}?month={month}", selectors[name])  # warm: code and caches loaded
            heading = (await page.locator("h1").first.inner_text()).strip()
            await _follow(page, away[3], "About", away[2])
            await _follow(page, area[3], heading, selectors[name])  # one untimed round trip each
            tabs[name] = (page, cdp, heading)
        for k in range(pairs):
            for name in list(urls)[:: 1 if k % 2 == 0 else -1]:
                page, cdp, heading = tabs[name]
                await page.bring_to_front()
                await _follow(page, away[3], "About", away[2])
                await _painted(page)
                task, cpu = await _main_thread_ms(cdp), await _main_thread_cpu_ms(cdp)
                await _follow(page, area[3], heading, selectors[name])
                await _painted(page)  # the grid's canvas paints after the script settles: counted
                work["task"][name].append(await _main_thread_ms(cdp) - task)
                work["cpu"][name].append(await _main_thread_cpu_ms(cdp) - cpu)
        await browser.close()
    return work


def bench_area_before_after(db: Path, work: Path, pairs: int, rev: str = AREA_BEFORE) -> None:
    """The area page's drawing cost against the same page at `rev`, measured as paired, alternated visits."""
    before = _checkout(rev, work)
    if before is None:
        record("4c area before/after", f"Cared For at {rev}", float("nan"), "ms", note="no git checkout: not measured")
        return
    reader = store.ReadOnlyStore(db)
    month = reader.months("latest", service.default_authority(reader))[0]
    store.ReadOnlyStore.close_all()
    servers = {"before": Server(before / "app.py", db, root=before), "after": Server(ROOT / "app.py", db, root=ROOT)}
    try:
        urls = {name: server.url for name, server in servers.items()}
        work_ms = asyncio.run(_paired_area(urls, {"before": GRID, "after": SCORECARD}, f"{month:%Y-%m}", pairs))
    finally:
        for server in servers.values():
            server.stop()
    how = f"median of {pairs} visits each, alternated; 1440x900"
    for kind, words in (("cpu", "main-thread CPU time"), ("task", "main-thread task time")):
        runs = work_ms[kind]
        b, a = statistics.median(runs["before"]), statistics.median(runs["after"])
        per_pair = statistics.median(x / y for x, y in zip(runs["after"], runs["before"]))
        record(
            "4c area before/after",
            f"Cared For by a sidebar link at {rev} (two grids, one hidden): {words}",
            b,
            "ms",
            note=how,
        )
        record(
            "4c area before/after",
            f"Cared For by a sidebar link now (one Markdown table): {words}",
            a,
            "ms",
            f"at {rev}",
            b,
            "no slower than before" if kind == "cpu" else "",
            a <= b if kind == "cpu" else None,
            note=f"{how}; median of the per-pair ratios {per_pair:.2f}"
            + ("" if kind == "cpu" else " (task time grows while the thread waits for a core: noisy when busy)"),
        )


def bench_browser(db: Path, repeat: int) -> None:
    reader = store.ReadOnlyStore(db)
    authority = service.default_authority(reader)
    month = reader.months("latest", authority)[0]
    ref = str(reader.table("indicators")["ref"].iloc[0])
    store.ReadOnlyStore.close_all()
    app, hello = Server(ROOT / "app.py", db), Server(ROOT / "benchmarks" / "hello.py")
    try:
        times = asyncio.run(_browser_pages(app.url, hello.url, repeat, f"{month:%Y-%m}", ref, app.proc.pid))
    finally:
        app.stop()
        hello.stop()
    fresh, follow = times["fresh"], times["follow"]
    record("4 browser", "hello page, opened afresh", fresh["hello"] * 1000, "ms", "", None)
    for floor in ("hello + one table", "hello + one chart", FLOOR):
        record(
            "4 browser",
            f"{floor}, opened afresh",
            fresh[floor] * 1000,
            "ms",
            "hello page",
            fresh["hello"] * 1000,
            note="Streamlit's own floor for a page with a table or chart",
        )
    for path, *_ in pages_run():  # goal against Streamlit's floor for what a page holds (a table and a chart)
        record(
            "4 browser",
            f"page {path or 'overview'}, opened afresh",
            fresh[path] * 1000,
            "ms",
            FLOOR,
            fresh[FLOOR] * 1000,
            "<= 1.3x floor",
            fresh[path] / fresh[FLOOR] <= 1.3,
            note=f"pages timed once the server's warm-up of every month went idle ({times['settled']['after']:.0f} s "
            "after the first view)"
            if path == pages_run()[0][0] and "after" in times["settled"]
            else "",
        )
    record("4 browser", "hello app, sidebar link to a page", follow["hello"] * 1000, "ms", "", None)
    record(
        "4 browser",
        f"hello app, sidebar link to {FLOOR}",
        follow[FLOOR] * 1000,
        "ms",
        "hello link",
        follow["hello"] * 1000,
        note="Streamlit's own floor for a link to a page with a table and a chart",
    )
    for path, *_ in pages_run():
        record(
            "4 browser",
            f"page {path or 'overview'}, sidebar link",
            follow[path] * 1000,
            "ms",
            "floor link",
            follow[FLOOR] * 1000,
            "<= 1.5x floor link",
            follow[path] / follow[FLOOR] <= 1.5,
        )


# ---------------------------------------------------------------- 7. many sessions, server side


def _until_idle(pid: int, quiet: float = 0.05, limit: float = 120.0) -> float:
    """Seconds until the process uses under `quiet` CPU-seconds in each of two consecutive seconds."""
    import loadtest

    start, calm = time.monotonic(), 0
    before = loadtest._cpu_seconds(pid)
    while time.monotonic() - start < limit and calm < 2:
        time.sleep(1)
        now = loadtest._cpu_seconds(pid)
        calm = calm + 1 if now - before < quiet else 0
        before = now
    return time.monotonic() - start


def bench_sessions(db: Path, label: str, sessions: int, seconds: float, each: int = 0) -> None:
    """The protocol-level load test (benchmarks/loadtest.py): no browser per user, so the server is measured.
    With `each` (--tiny) every session makes exactly that many interactions, however long they take, instead of
    running for `seconds`: a count, so the test suite's run never depends on how busy the machine is."""
    import loadtest

    reader = store.ReadOnlyStore(db)
    months = [f"{m:%Y-%m}" for m in reader.months("latest", service.default_authority(reader))[:10]]
    store.ReadOnlyStore.close_all()
    server = Server(ROOT / "app.py", db)
    try:
        # caches filled once
        loadtest.run(server.url, sessions=2, seconds=0 if each else 3, think=(0.2, 0.5), months=months, at_least=each)
        warmed = _until_idle(server.proc.pid)  # the server's own warm-up of every month (ui.data.warm_views)
        think = {"think": (0.05, 0.1)} if each else {}
        started = time.monotonic()
        result = loadtest.run(
            server.url,
            sessions=sessions,
            seconds=0 if each else seconds,
            server_pid=server.proc.pid,
            months=months,
            at_least=each,
            **think,
        )
        wall = time.monotonic() - started
    finally:
        server.stop()
    out = result.summary()
    cores = os.cpu_count() or 1
    busy = out["server_cpu_seconds"] / max(wall, 1e-9)
    how_long = f"{each} times each" if each else f"for {seconds:.0f} s"
    record(
        "7 sessions",
        f"{sessions} sessions changing month and page {how_long}, {label} store: p95",
        out["p95_ms"],
        "ms",
        "p50",
        out["p50_ms"],
        "0 errors and p95 <= 300 ms",
        out["errors"] == 0 and out["p95_ms"] <= 300,
        f"{out['interactions']} interactions, {out['errors']} errors"
        + (f": {out['error_samples'][:2]}" if out["errors"] else "")
        + f"; {out['cpu_seconds_per_interaction']} CPU-s per interaction; server busy {busy:.0%} of one core"
        f" = {sessions / max(busy, 1e-9) / 1:.0f} such sessions per core at this pace ({cores} cores)"
        f"; measured once the server's warm-up of every month went idle ({warmed:.0f} s after opening)",
    )


# ---------------------------------------------------------------- 8. the slow paths users wait on


# One paper in a fresh interpreter: what the CLI does (import, gather the month's pack, write it), timed in parts.
_PAPER = """
import json, sys, time
t0 = time.perf_counter()
import datetime as dt
from dashboard import store
from dashboard.output import export, papers
t1 = time.perf_counter()
db, month, vintage, fmt = sys.argv[1:5]
pack = papers.gather(store.ReadOnlyStore(db), dt.date.fromisoformat(month + "-01"), vintage, series=fmt == "pdf")
t2 = time.perf_counter()
if fmt == "none":
    data = b""
elif fmt == "pdf-no-charts":
    from dashboard.output import export_pdf
    data = export_pdf.to_pdf(pack, charts=False)
else:
    data = export.render(pack, fmt)
t3 = time.perf_counter()
heavy = ("streamlit", "altair", "vl_convert", "psycopg", "pydantic", "openpyxl", "xlsxwriter", "fpdf")
needs = {"xlsx": {"xlsxwriter"}, "pdf": {"fpdf"}, "pdf-no-charts": {"fpdf"}}.get(fmt, set())
heavy = sorted(m for m in heavy if m in sys.modules and m not in needs)
print(json.dumps({"imports": t1 - t0, "gather": t2 - t1, "render": t3 - t2, "bytes": len(data), "heavy": heavy}))
"""

# The interpreter's own floors, each a fresh process: what no paper made in Python can go below.
_FLOORS = {
    "python -c pass": "pass",
    "import duckdb": "import duckdb",
    "import pandas, duckdb": "import pandas, duckdb",
}


def _paper_env(work: Path) -> dict:
    """A fresh process as a council's install runs it: the app's modules compiled once to bytecode (as pip does
    on install; this checkout's own sources otherwise compile on every run under PYTHONDONTWRITEBYTECODE), and no
    other cache of any kind."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(ROOT / "src"), "PYTHONPYCACHEPREFIX": str(work / "bytecode")}


def _fresh(sample_db: Path, month: str, vintage: str, fmt: str, env: dict) -> dict:
    """One paper made in a new process (nothing cached: no chart, no font, no data), timed from the outside
    (the whole run, as the CLI is) and inside (imports, gathering the pack, writing the paper)."""
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _PAPER, str(sample_db), month, vintage, fmt],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    parts = json.loads(out.stdout.strip().splitlines()[-1])
    parts["wall"] = time.perf_counter() - t
    return parts


def timed_cpu(cmd: list[str], **kw) -> tuple[float, float]:
    """(wall, CPU) of one child process: CPU is its user + system time, which other work on a shared machine
    inflates far less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _cli_times(sample_db: Path, month: str, vintage: str, fmt: str, out: Path, env: dict) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "dashboard.cli", "--db", str(sample_db), "export", "--month", month]
    cmd += ["--format", fmt, "--out", str(out), "--vintage", vintage]
    return timed_cpu(cmd, env=env, stderr=subprocess.DEVNULL)


def _cli_seconds(sample_db: Path, month: str, vintage: str, fmt: str, out: Path, env: dict) -> float:
    return _cli_times(sample_db, month, vintage, fmt, out, env)[0]


def busiest_month(reader) -> tuple[str, int]:
    """The sample's month with the most off-target indicators: the most charts in its pack."""
    from dashboard.engine.scorecard import exceptions

    authority = service.default_authority(reader)
    counts = {
        m: len(exceptions(service.build_scorecard(reader, m, "latest", authority)))
        for m in reader.months("latest", authority)
    }
    month = max(counts, key=lambda m: (counts[m], m))
    return f"{month:%Y-%m}", counts[month]


def bench_papers(sample_db: Path, work: Path) -> None:
    """Section 8: the papers from the CLI, each a whole fresh process with no cache of any kind, each beside the
    same process's work without the thing measured (the pack with no charts; gathering the pack and writing
    nothing) and beside the interpreter's floors, all in the same run; wall and CPU (user + system) time."""
    reader = store.ReadOnlyStore(sample_db)
    authority = service.default_authority(reader)
    newest = f"{reader.months('latest', authority)[0]:%Y-%m}"  # its CSV is made when the database is written
    if _TINY:
        month, charts = newest, None
    else:
        month, charts = busiest_month(reader)
    past = [v for v in reader.table("vintages")["vintage"] if v.startswith("pack-")][:-1]  # not the latest
    cases = [(month, "latest")]
    if past and not _TINY:  # a past vintage: its own latest month, as that pack printed it
        cases.append((f"{reader.months(past[-1], authority)[0]:%Y-%m}", past[-1]))
    store.ReadOnlyStore.close_all()
    reps = 1 if _TINY else 5
    med = statistics.median
    env = _paper_env(work)
    for fmt in () if _TINY else ("csv", "xlsx", "pdf"):  # compile the app's modules once (the install's step)
        _cli_seconds(sample_db, month, "latest", fmt, work / f"papers.{fmt}", env)
    floors = {}
    for name, code in list(_FLOORS.items())[: 2 if _TINY else None]:  # --tiny: each part once, two floors
        runs = [timed_cpu([sys.executable, "-c", code], env=env) for _ in range(reps)]
        floors[name] = (med(w for w, _ in runs), med(c for _, c in runs))
    for name, (wall, cpu) in floors.items():
        record(
            "8 papers",
            f"floor: {name}, fresh process",
            wall,
            "s",
            "python -c pass",
            floors["python -c pass"][0],
            note=f"CPU {cpu:.2f} s",
        )
    floor_note = ", ".join(f"{name} {wall:.2f} s (CPU {cpu:.2f} s)" for name, (wall, cpu) in floors.items())

    def cli(m: str, vintage: str, fmt: str) -> tuple[float, float]:
        runs = [_cli_times(sample_db, m, vintage, fmt, work / f"papers.{fmt}", env) for _ in range(reps)]
        return med(w for w, _ in runs), med(c for _, c in runs)

    for m, vintage in cases:
        label = f"{m}" + ("" if vintage == "latest" else f" as {vintage} printed it")
        runs = [_fresh(sample_db, m, vintage, "pdf", env) for _ in range(reps)]
        bare = [_fresh(sample_db, m, vintage, "pdf-no-charts", env) for _ in range(reps)]
        wall, cpu = cli(m, vintage, "pdf")
        record(
            "8 papers",
            f"PDF panel pack {label}, fresh process from the CLI",
            wall,
            "s",
            "pack without charts, fresh process",
            med(r["wall"] for r in bare),
            "<= 3 s",
            wall <= 3,
            f"CPU {cpu:.2f} s; "
            f"{charts if charts and vintage == 'latest' else 'its'} off-target charts drawn as PDF vectors; "
            f"inside the process: imports {med(r['imports'] for r in runs):.2f} s, gathering the pack "
            f"{med(r['gather'] for r in runs):.2f} s, writing it {med(r['render'] for r in runs):.2f} s "
            f"(without charts {med(r['render'] for r in bare):.2f} s); "
            f"{runs[0]['bytes'] // 1024:,} KB; modules it never needs: {runs[0]['heavy'] or 'none imported'}; "
            f"floors {floor_note}",
        )
    csv_cases = [(month, "CSV", "")]
    for m, word, how in [(month, "XLSX workbook", ""), *csv_cases]:
        fmt, goal = ("xlsx", 1.0) if word.startswith("XLSX") else ("csv", 0.3)
        runs = [_fresh(sample_db, m, "latest", fmt, env) for _ in range(reps)]
        floor = [_fresh(sample_db, m, "latest", "none", env) for _ in range(reps)]
        wall, cpu = cli(m, "latest", fmt)
        record(
            "8 papers",
            f"{word} {m}, fresh process from the CLI",
            wall,
            "s",
            "the same process gathering the pack and writing nothing",
            med(r["wall"] for r in floor),
            f"<= {goal:g} s",
            wall <= goal,
            f"CPU {cpu:.2f} s; {how + '; ' if how else ''}"
            f"the engine's way inside a process: imports {med(r['imports'] for r in runs):.2f} s, gathering the pack "
            f"{med(r['gather'] for r in runs):.2f} s, writing it {med(r['render'] for r in runs):.2f} s; "
            f"{runs[0]['bytes'] // 1024:,} KB; modules it never needs: {runs[0]['heavy'] or 'none imported'}; "
            f"floors {floor_note}",
        )


def bench_slow_paths(sample_db: Path, nat_db: Path) -> None:
    reader = store.ReadOnlyStore(nat_db)
    authority = service.default_authority(reader)
    revised = len(reader.revisions(authority))
    t = time.perf_counter()
    service.revisions_with_impact(reader, authority)
    first = time.perf_counter() - t
    store.ReadOnlyStore.close_all()
    record(
        "8 slow paths",
        "Revisions, first view, national-scale store",
        first,
        "s",
        "",
        None,
        "<= 2 s",
        first <= 2,
        f"{revised:,} revised cells, each judged as both vintages stood (one pass per vintage, scorecard.judge)",
    )


# ---------------------------------------------------------------- 5 and 6. memory and concurrent pages


async def _month_changer(
    browser,
    url: str,
    area: str,
    months: list[str],
    deadline: float,
    worker: int,
    times: list[float],
    errors: list[str],
    at_least: int = 0,
) -> None:
    from dashboard.words.periods import label, long_label, parse_period

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"worker {worker}: page error {exc}"))
    try:
        await _load(page, f"{url}/{area}?month={months[0]}", SCORECARD)
    except Exception as exc:
        errors.append(f"worker {worker}: first load: {type(exc).__name__}")
        await context.close()
        return
    k = worker
    while time.time() < deadline or k - worker < at_least:  # each attempt is bounded by its 30 s wait
        k += 1
        month = parse_period(months[k % len(months)])
        t = time.perf_counter()
        try:
            box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Month").locator("input")
            await box.fill(long_label(month))
            await box.press("Enter")
            await _until(page, text=f"Current ({label(month)})", timeout=30_000)
            if await page.locator('[data-testid="stException"]').count():
                errors.append(f"worker {worker}: exception shown at {month}")
            times.append(time.perf_counter() - t)
        except Exception as exc:
            errors.append(f"worker {worker}: {month}: {type(exc).__name__}")
    await context.close()


AREA_PATHS = {row.key: row.url_path for row in page_registry.PAGES if row.section == "Service areas"}


async def _concurrent(
    url: str, months: list[str], pages: int, seconds: float, areas: list[str], at_least: int = 0
) -> tuple[list[float], list[str]]:
    from playwright.async_api import async_playwright

    times: list[float] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        deadline = time.time() + seconds
        await asyncio.gather(
            *[
                _month_changer(browser, url, areas[w % len(areas)], months, deadline, w, times, errors, at_least)
                for w in range(pages)
            ]
        )
        await browser.close()
    return times, errors


def machine_busy() -> float:
    """CPU seconds all cores have spent busy since boot, from /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


async def _visit_all(url: str, month: str, ref: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1440, "height": 900})
        for path, *_ in pages_run():  # headings only: a synthetic area may have no indicators, so no table
            query = f"?month={month}" + (f"&ref={ref}" if path == "indicator" else "")
            await _load(page, f"{url}/{path}{query}", "h1")
        await browser.close()


def bench_server(db: Path, label: str, pages: int, seconds: float, each: int = 0) -> None:
    """Memory after every page, and `pages` browser pages changing months for `seconds` together (or, with `each`
    for --tiny, exactly `each` month changes per page, however long they take)."""
    reader = store.ReadOnlyStore(db)
    authority = service.default_authority(reader)
    months = [f"{m:%Y-%m}" for m in reader.months("latest", authority)[:12]]
    ref = str(reader.table("indicators")["ref"].iloc[0])
    areas = [AREA_PATHS[a] for a in reader.table("indicators")["area"].unique() if a in AREA_PATHS]
    store.ReadOnlyStore.close_all()
    server = Server(ROOT / "app.py", db)
    try:
        idle, _ = server.memory_mb()
        asyncio.run(_visit_all(server.url, months[0], ref))
        # one page alone first: the uncontended month change is the reference for the concurrent p95
        solo_times, solo_errors = asyncio.run(_concurrent(server.url, months, 1, min(15.0, seconds), areas, each))
        cpu0, busy0, wall0 = server.cpu_seconds(), machine_busy(), time.time()
        times, errors = asyncio.run(_concurrent(server.url, months, pages, seconds, areas, each))
        cpu1, busy1, wall1 = server.cpu_seconds(), machine_busy(), time.time()
        now, peak = server.memory_mb()
    finally:
        server.stop()
    record(
        "5 memory",
        f"server RSS after every page and the load test, {label} store",
        peak,
        "MB",
        "server at start",
        idle,
        "<= 600 MB",
        peak <= 600,
        f"resident at the end {now:.0f} MB",
    )
    solo = statistics.median(solo_times) if solo_times else float("nan")
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times, default=float("nan"))
    errors = solo_errors + errors
    record(
        "6 concurrency",
        f"{pages} browser pages changing months {f'{each} times each' if each else f'for {seconds:.0f} s'}, "
        f"{label} store: p95 month change",
        p95,
        "s",
        "one page alone (median)",
        solo,
        "0 errors and p95 <= 2 s",
        not errors and p95 <= 2,
        f"{len(times)} month changes, {len(errors)} errors"
        + (f": {errors[:3]}" if errors else "")
        + f"; server busy {(cpu1 - cpu0) / (wall1 - wall0):.0%} of one core, machine "
        f"{(busy1 - busy0) / ((wall1 - wall0) * (os.cpu_count() or 1)):.0%} busy (the pages render on the same cores)",
    )


# ---------------------------------------------------------------- report


# ---------------------------------------------------------------- 9. shared state on PostgreSQL

FOLLOW = "import sys, time; from dashboard.writes import state; state.follow(sys.argv[1]); time.sleep(3600)"


def _councils_sample(folder: Path, councils: int) -> list[str]:
    """sample_data/ plus SYNTHETIC councils (labelled synth-NNN), so every council's journal fits the catalogue."""
    shutil.copytree(ingest.SAMPLE_DIR, folder, dirs_exist_ok=True)
    names = ["tameside"] + [f"synth-{n:03d}" for n in range(1, councils)]
    with open(folder / "authorities.csv", "a", encoding="utf-8") as fh:
        for n, name in enumerate(names[1:], start=1):
            fh.write(f"{name},Synthetic council {n},50000,synthetic,\n")
    return names


def _write_journal(db: Path, councils: list[str], months: int, refs: list[str]) -> int:
    """A year of monthly loads per council, written straight into the journal (files or the shared state) under
    one writer lock: the journal's own record(), signed and checked as every write is."""
    from dashboard.writes import journal

    made = 0
    when = dt.datetime(2025, 1, 1)
    with journal.writer_lock(db, "the benchmark's journals"):
        for council in councils:
            for m in range(months):
                month = dt.date(2024 + m // 12, m % 12 + 1, 1)
                vid = f"upload-{council}-{month:%Y%m}"
                vintage = {
                    "vintage": vid,
                    "label": f"Synthetic {council} {month:%b %Y}",
                    "published": month,
                    "source_file": f"{council}-{month:%Y-%m}.csv",
                    "as_of_note": "",
                    "kind": "upload",
                    "loaded_at": when + dt.timedelta(minutes=made),
                    "loaded_by": "benchmark",
                }
                rows = [
                    {
                        "authority": council,
                        "ref": ref,
                        "period": month,
                        "vintage": vid,
                        "value": float(100 + i + m),
                        "status": "value",
                        "note": "",
                        "source_file": vintage["source_file"],
                        "source_line": i + 2,
                    }
                    for i, ref in enumerate(refs)
                ]
                journal.record(db, "upload", vintage, {"observations": pd.DataFrame(rows)}, "benchmark", "", "")
                made += 1
    return made


def bench_state(work: Path, quick: bool) -> None:
    """A write's time from commit to served on another host, and many councils' journals replayed into a fresh
    replica from PostgreSQL as a ratio to the same journals built from local files."""
    sys.path.insert(0, str(ROOT / "tests"))
    import psycopg
    from pgserver import NoPostgres, postgres_server

    from dashboard.writes import lifecycle, state, writing

    folder = work / "state"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    saved = {k: os.environ.get(k) for k in (state.URL_ENV, "DASHBOARD_JOURNAL_KEY", "DASHBOARD_SECRETS_FILE")}
    os.environ["DASHBOARD_JOURNAL_KEY"] = "benchmark-journal-key-0123456789"
    os.environ["DASHBOARD_SECRETS_FILE"] = str(folder / "no-secrets.toml")
    try:
        with postgres_server() as server:
            for name in ("latency", "councils"):
                with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                    conn.execute(f"CREATE DATABASE {name}")
            # -- commit to served on the other host (B follows: LISTEN/NOTIFY, polling as the fallback)
            os.environ[state.URL_ENV] = f"{server}/latency"
            a, b = folder / "a" / "dashboard.duckdb", folder / "b" / "dashboard.duckdb"
            lifecycle.build(a)
            lifecycle.build(b)
            follower = subprocess.Popen([sys.executable, "-c", FOLLOW, str(b)])
            try:
                listening = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%%'"
                deadline = time.monotonic() + 60
                with psycopg.connect(f"{server}/latency", autocommit=True) as conn:
                    while not conn.execute(listening).fetchone()[0] and time.monotonic() < deadline:
                        time.sleep(0.05)  # until the follower LISTENs (its first catch-up done)
                served, writes = [], []
                for n in range(3 if quick else 10):
                    before = os.stat(b).st_mtime_ns, os.stat(b).st_ino
                    t0 = time.perf_counter()
                    row = {"authority": "tameside", "ref": "CIN1", "period": dt.date(2024, 2, 1), "value": 300.0 + n}
                    row |= {"status": "value", "note": "", "source_file": "bench.csv", "source_line": 2}
                    vintage = writing.new_vintage("upload", "bench.csv", "Figures from bench.csv")
                    write = writing.Write.of_rows("upload", vintage, {"observations": [row]}, "bench")
                    lifecycle.commit_write(a, write)
                    t1 = time.perf_counter()
                    deadline = t1 + 60
                    while (os.stat(b).st_mtime_ns, os.stat(b).st_ino) == before and time.perf_counter() < deadline:
                        time.sleep(0.002)
                    writes.append(t1 - t0)
                    served.append(time.perf_counter() - t1)
            finally:
                follower.terminate()
                follower.wait(timeout=20)
            pg = state.shared()
            mark = median_time(pg.mark, 50)
            write = statistics.median(writes)
            record(
                "9 shared state",
                "a write: commit on host A to the new file served on host B (LISTEN/NOTIFY + catch-up)",
                statistics.median(served),
                "s",
                "the write itself on host A (journal + publish)",
                write,
                note=f"max {max(served):.2f} s over {len(served)} writes; a missed NOTIFY is polled within "
                f"{state.POLL_SECONDS:g} s",
            )
            record("9 shared state", "the poll: the journal's high-water mark (one query)", mark * 1000, "ms")
            # -- many councils' journals into a fresh replica, against building the same from local files
            councils, months = (10, 12) if quick else (150, 12)
            sample = folder / "councils-sample"
            names = _councils_sample(sample, councils)
            refs = sorted(pd.read_csv(ingest.SAMPLE_DIR / "indicators.csv")["ref"])[:40]
            os.environ[state.URL_ENV] = f"{server}/councils"
            made = _write_journal(folder / "writer" / "dashboard.duckdb", names, months, refs)
            fresh = folder / "fresh" / "dashboard.duckdb"
            t = time.perf_counter()
            state.catch_up(fresh, sample)
            from_state = time.perf_counter() - t
            with state.files_only():
                files_db = folder / "files" / "dashboard.duckdb"
                _write_journal(files_db, names, months, refs)
                t = time.perf_counter()
                lifecycle.build(files_db, sample)
                from_files = time.perf_counter() - t
            record(
                "9 shared state",
                f"a fresh replica from PostgreSQL: {made:,} journal entries ({councils} councils x {months} monthly "
                f"loads x {len(refs)} figures, SYNTHETIC) replayed into its DuckDB",
                from_state,
                "s",
                "the same journal built from local files",
                from_files,
                note="councils scaled down for --quick" if quick else "",
            )
    except NoPostgres as exc:
        record("9 shared state", f"NOT MEASURED: {exc}", 0, "")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _median_wall_and_cpu(fn, repeat: int, warmup: int = 1) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds of this process, DuckDB's threads included): on a shared machine
    the wall time is mostly waiting for a core, so the CPU time is given beside it."""
    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def bench_records(work: Path, repeat: int, councils: int, contacts: int, months: int) -> None:
    """Annex A records: importing a Tameside-size six-month extract (read + pseudonymise), computing every ref for
    `months` extracts, and at national scale (SYNTHETIC councils, one extract each, frames straight to the compute
    step) every ref by DuckDB beside the plain-pandas baseline written from docs/annex-a.md. Each note gives the
    CPU time and the load average (the machine may be shared)."""
    import records_bench

    from dashboard.records import annex_a, compute, pseudonym, synth

    def load() -> str:
        return "load average " + "/".join(f"{x:.1f}" for x in os.getloadavg())

    as_at = dt.date(2024, 1, 31)
    folder = work / f"records-synthetic-{months}"
    plan = synth.simulate(as_at, months, 1)
    newest = folder / synth.file_name(as_at)
    if not newest.exists():
        folder.mkdir(parents=True, exist_ok=True)
        synth.write_workbook(synth.rows_as_at(plan, as_at), as_at, newest)
    one = annex_a.read(newest, as_at, pseudonym.DEMO_KEY)
    n = sum(len(f) for f in one.lists.values())
    took, cpu = _median_wall_and_cpu(lambda: annex_a.read(newest, as_at, pseudonym.DEMO_KEY), repeat, warmup=0)
    note = f"synthetic council (synth-annex-a), as at 31 Jan 2024; CPU {cpu:.2f} s, {load()}"
    record("10 records", f"import one extract ({n:,} rows, read + pseudonymise)", took, "s", "goal", 2.0,
           "<= 2 s", took <= 2.0, note)  # fmt: skip
    extracts = [synth.extract(synth.rows_as_at(plan, d), d, pseudonym.DEMO_KEY) for d in plan.as_ats]
    rows = records_bench.rows(extracts)
    took, cpu = _median_wall_and_cpu(lambda: compute.compute(extracts), repeat)
    record("10 records", f"compute every ref for {months} extracts ({rows:,} rows)", took, "s", "goal", 1.0,
           "<= 1 s", took <= 1.0, f"the synthetic council's month-end extracts; CPU {cpu:.2f} s, {load()}")  # fmt: skip
    nat = records_bench.cached(
        work / f"records-national-{councils}x{contacts}.pickle",
        lambda: records_bench.national_extracts(councils, contacts),
    )
    rows = records_bench.rows(nat)
    duck, duck_cpu = _median_wall_and_cpu(lambda: compute.compute(nat, newest=False), max(1, repeat // 2), warmup=0)
    pandas_s, pandas_cpu = _median_wall_and_cpu(lambda: records_bench.baseline(nat), 1, warmup=0)
    label = f"national scale: {councils} councils, {rows:,} rows"
    record("10 records", f"{label}, DuckDB", duck, "s", "goal", 30.0, "<= 30 s", duck <= 30.0,
           f"SYNTHETIC lean frames, no workbooks; CPU {duck_cpu:.1f} s, {load()}")  # fmt: skip
    note = f"baseline {pandas_s:.1f} s (CPU {pandas_cpu:.1f} s, {pandas_cpu / duck_cpu:.1f}x DuckDB's CPU), {load()}"
    record("10 records", f"{label}, pandas baseline / DuckDB", pandas_s / duck, "x", "goal", 20.0, ">= 20x",
           pandas_s / duck >= 20, note)  # fmt: skip


def bench_drill(sample_db: Path, work: Path, repeat: int, months: int) -> None:
    """The indicator page with its Breakdown (issue 31) against the same page for the same ref with no extract held
    (so no breakdown), server time of a warm AppTest rerun, for the refs with the most rows behind them."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard.records import pseudonym, stored, synth

    as_at = dt.date(2024, 1, 31)
    held = work / "drill.duckdb"
    shutil.copyfile(sample_db, held)
    plan = synth.simulate(as_at, months, 1)
    extract = synth.extract(synth.rows_as_at(plan, as_at), as_at, pseudonym.DEMO_KEY)
    extract.synthetic = True
    stored.publish_extract(held, extract, user="bench", demo_key=True)

    # no background warm-up while the two databases take turns (the app's warm-up thread would outlive its store)
    os.environ["DASHBOARD_WARM_VIEWS"] = "0"

    def page_seconds(db: Path, ref: str) -> float:
        previous = os.environ.get("DASHBOARD_DB")
        os.environ["DASHBOARD_DB"] = str(db)
        try:
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
            at.run()
            at.switch_page("pages/indicator.py")
            at.session_state["ref"] = ref
            at.query_params.update({"ref": ref, "month": "2024-01"})
            at.run()
            if at.exception:
                raise SystemExit(f"AppTest indicator {ref}: {[e.value for e in at.exception]}")
            drawn = any(h.value == f"By team, {as_at:%B %Y}" for h in at.subheader)
            if drawn != (db == held):
                raise SystemExit(f"AppTest indicator {ref}: the breakdown was {'' if drawn else 'not '}drawn")
            return median_time(at.run, repeat)
        finally:
            store.ReadOnlyStore.close_all()
            st.cache_resource.clear()
            if previous is None:
                os.environ.pop("DASHBOARD_DB", None)
            else:
                os.environ["DASHBOARD_DB"] = previous

    refs = ["CIN8", "CF1", "CIN18", "WF8"]
    with_it = {ref: page_seconds(held, ref) for ref in refs}
    heaviest = max(with_it, key=with_it.get)
    without = page_seconds(sample_db, heaviest)
    ratio = with_it[heaviest] / without
    for ref in refs:
        record("11 drill-down", f"indicator page {ref} with its breakdown, warm rerun", with_it[ref] * 1000, "ms")
    record(
        "11 drill-down",
        f"heaviest ({heaviest}): with the breakdown / the same page without it",
        ratio,
        "x",
        "goal",
        1.5,
        "<= 1.5x",
        ratio <= 1.5,
        f"without: {without * 1000:.0f} ms; the synthetic council's Jan-24 extract ({months}-month simulation)",
    )


def report(out_dir: Path, started: float, quick: bool) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        "| section | measurement | value | reference | ratio | goal | met | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in ROWS:
        ref = f"{r.reference} ({r.reference_value:,.3g} {r.unit})" if r.reference_value else r.reference
        lines.append(
            f"| {r.section} | {r.measure} | {r.value:,.3g} {r.unit} | {ref} | "
            f"{f'{r.ratio:.2f}x' if r.ratio else ''} | {r.goal} | "
            f"{'' if r.met is None else ('yes' if r.met else 'NO')} | {r.note} |"
        )
    summary = summary_line()
    text = "\n".join(lines) + "\n\n" + summary + "\n"
    header = (
        f"# Benchmark results{' (quick)' if quick else ''}\n\nOne run, {dt.datetime.now():%Y-%m-%d %H:%M}, "
        f"{os.cpu_count()} cores, {time.time() - started:.0f} s in all. National-scale figures are SYNTHETIC "
        "(benchmarks/generate.py).\n\n"
    )
    (out_dir / "results.md").write_text(header + text, encoding="utf-8")
    (out_dir / "results.json").write_text(json.dumps([asdict(r) for r in ROWS], indent=1), encoding="utf-8")
    return text


def summary_line() -> str:
    def find(section, start):
        return next((r for r in ROWS if r.section == section and r.measure.startswith(start)), None)

    parts = []
    build = [r for r in ROWS if r.section == "1 build"]
    if build:
        parts.append(f"national build {build[-1].value:.1f} s = {build[-1].ratio:.1f}x raw load")
    engines = [r for r in ROWS if r.section == "2 scorecard" and r.measure.startswith("engine")]
    if engines:
        e = engines[-1]
        parts.append(f"scorecard {e.value:.0f} ms = 1/{1 / e.ratio:.0f} of baseline")
    heavy = find("3 AppTest", "heaviest")
    if heavy:
        parts.append(f"AppTest heaviest {heavy.ratio:.1f}x empty")
    for how, word in (("opened afresh", "fresh load"), ("sidebar link", "link")):
        pages = [r for r in ROWS if r.section == "4 browser" and r.goal and r.measure.endswith(how)]
        if pages:
            worst = max(pages, key=lambda r: r.ratio)
            parts.append(
                f"browser {word} worst {worst.ratio:.2f}x floor ({worst.measure.split()[1].rstrip(',')}), "
                f"{sum(bool(r.met) for r in pages)}/{len(pages)} pages within {worst.goal[3:].split('x')[0]}x"
            )
    mem = find("5 memory", "server")
    if mem:
        parts.append(f"RSS {mem.value:.0f} MB = {mem.value / 600:.2f}x goal")
    conc = find("6 concurrency", "")
    if conc:
        errors = conc.note.split(", ")[1].split(";")[0].split(":")[0]
        parts.append(f"10 browsers p95 {conc.value:.2f} s = {conc.ratio:.1f}x solo, {errors}")
    sessions = find("7 sessions", "")
    if sessions:
        parts.append(
            f"{sessions.measure.split()[0]} sessions p95 {sessions.value:.0f} ms, "
            f"{sessions.note.split(', ')[1].split(':')[0].split(';')[0]}"
        )
    for section, start, word in (
        ("8 papers", "PDF", "PDF pack"),
        ("8 papers", "XLSX", "XLSX"),
        ("8 papers", "CSV", "CSV"),
        ("8 slow paths", "Revisions", "Revisions national"),
    ):
        slow = find(section, start)
        if slow:
            parts.append(f"{word} {slow.value:.2f} s")
    records = [r for r in ROWS if r.section == "10 records"]
    if len(records) == 4:
        imp, many, nat, ratio = records
        parts.append(
            f"records import {imp.value:.1f} s, {many.measure.split()[3]} extracts {many.value:.2f} s, "
            f"national {nat.value:.1f} s = {ratio.value:.0f}x pandas"
        )
    goals = [r for r in ROWS if r.met is not None]
    parts.append(f"goals met {sum(r.met for r in goals)}/{len(goals)}")
    return "Summary: " + " · ".join(parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Measure the dashboard at one council and at national scale.")
    p.add_argument("--quick", action="store_true", help="tiny scale, short loops: checks the bench itself")
    p.add_argument("--tiny", action="store_true", help="--quick with one repeat, two pages, a few seconds of load")
    p.add_argument("--work", type=Path, default=ROOT / "bench-data", help="where generated data and stores go")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results")
    p.add_argument(
        "--sections",
        default="build,refusals,engine,apptest,browser,server,sessions,papers,slow,state,records,drill",
        help="comma-separated subset of build,refusals,engine,apptest,browser,server,sessions,papers,slow,state,"
        "records,drill",
    )
    p.add_argument(
        "--before",
        default=AREA_BEFORE,
        help="the commit whose area page section 4c compares against (default: the two-grid scorecard)",
    )
    a = p.parse_args(argv)
    global _TINY
    _TINY = a.tiny
    a.quick = a.quick or a.tiny
    started = time.time()
    scale = (3, 30, 24) if a.quick else (150, 400, 120)
    reps = 1 if a.tiny else 3 if a.quick else 15
    work = a.work
    work.mkdir(parents=True, exist_ok=True)

    sections = set(a.sections.split(","))
    sample_db = work / "sample.duckdb"
    nat_dir = work / ("national-{}x{}x{}".format(*scale))
    nat_db = work / (nat_dir.name + ".duckdb")
    if not (nat_dir / "README.md").exists():
        print(f"generating synthetic data {scale} in {nat_dir}", flush=True)
        generate.generate(nat_dir, *scale)
    if "build" in sections or not sample_db.exists() or not nat_db.exists():
        print("1. build / ingest", flush=True)
        sample_rows = sum(1 for _ in open(ingest.SAMPLE_DIR / "observations.csv", encoding="utf-8")) - 1
        bench_build("sample (real figures)", ingest.SAMPLE_DIR, sample_db, sample_rows, None)
        nat_rows = sum(1 for _ in open(nat_dir / "observations.csv", encoding="utf-8")) - 1
        bench_build("national scale (synthetic {} x {} x {})".format(*scale), nat_dir, nat_db, nat_rows, 15.0)
    if "refusals" in sections:
        print("1b. refusing hostile files", flush=True)
        bench_refusals(sample_db, work)
    if "engine" in sections:
        print("2. scorecard: engine vs plain pandas", flush=True)
        bench_engine("sample", sample_db, None, reps * 2, national=False)
        bench_engine("national scale", nat_db, None, reps * 2, national=True)
    if "apptest" in sections:
        print("3. AppTest warm reruns (sample store)", flush=True)
        bench_apptest(sample_db, reps)
    if "browser" in sections:
        print("4. browser: navigation to rendered page (sample store)", flush=True)
        bench_browser(sample_db, reps if a.quick else 5)
        bench_element_costs(reps if a.quick else 7, kinds=1 if a.tiny else None)
        if not a.tiny:
            bench_area_before_after(sample_db, work, 3 if a.quick else 11, a.before)
    if "server" in sections:
        print("5-6. server memory and concurrent pages (national-scale store)", flush=True)
        # --tiny counts month changes (two per page) instead of timing a stretch of load
        bench_server(
            nat_db,
            "national-scale",
            2 if a.tiny else 3 if a.quick else 10,
            0 if a.tiny else 8 if a.quick else 60,
            each=2 if a.tiny else 0,
        )

    if "sessions" in sections:
        print("7. many sessions over Streamlit's protocol (sample store)", flush=True)
        bench_sessions(
            sample_db, "sample", 2 if a.tiny else 3 if a.quick else 30, 5 if a.quick else 60, each=2 if a.tiny else 0
        )
    if "papers" in sections:
        print("8. papers: the PDF panel pack, XLSX and CSV, each in a fresh process", flush=True)
        bench_papers(sample_db, work)
    if "slow" in sections:
        print("8b. slow paths: Revisions at national scale", flush=True)
        bench_slow_paths(sample_db, nat_db)
    if "state" in sections:
        print("9. shared state on PostgreSQL: replicas on two hosts, many councils' journals", flush=True)
        bench_state(work, a.quick)

    if "records" in sections:
        print("10. Annex A records: import, compute, national scale vs plain pandas", flush=True)
        if a.quick:
            bench_records(work, 1, councils=3, contacts=300, months=2)
        else:
            bench_records(work, 3, councils=150, contacts=38_000, months=24)

    if "drill" in sections:
        print("11. drill-down: the indicator page with its breakdown vs without", flush=True)
        bench_drill(sample_db, work, reps, 2 if a.quick else 25)

    text = report(a.out, started, a.quick)
    print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
