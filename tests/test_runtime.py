"""The runtime under a served app's conditions, unit by unit: chart workers that never import the app, a broken
pool replaced, a database replaced (or let go of) while other threads read it, and the error boundary."""

import logging
import os
import shutil
import signal
import sys
import threading
import time
import types
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import chartpool, export_charts, papers, store
from dashboard.engine.scorecard import exceptions
from dashboard.periods import parse_period


@pytest.fixture(scope="module")
def jobs(built_db):
    pack = papers.gather(store.ReadOnlyStore(built_db), parse_period("2024-01"))
    refs = list(exceptions(pack.area_rows("cin_cp"))["ref"])[:3]
    return {ref: export_charts.chart_job(pack, ref) for ref in refs}


@pytest.fixture()
def fresh_pool(monkeypatch):
    """Charts not yet drawn (a version no other test used) and no pool yet: each test starts its own workers."""
    monkeypatch.setattr(chartpool, "CHART_VERSION", f"runtime-{time.monotonic_ns()}")
    if chartpool._pool:
        chartpool._replace(chartpool._pool)
    yield
    if chartpool._pool:
        chartpool._replace(chartpool._pool)


def test_chart_workers_never_run_the_apps_main_script(jobs, fresh_pool, tmp_path, monkeypatch):
    # Under Streamlit, __main__ is app.py; a worker that re-ran it died in the sign-in gate.
    marker = tmp_path / "main-ran"
    script = tmp_path / "app.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    batch = chartpool.Batch(jobs)
    assert len(batch._futures) == len(jobs)  # drawn by the workers, not here
    assert all(batch._futures[ref].result(timeout=120)[0].startswith(b"\x89PNG") for ref in jobs)
    assert not marker.exists()


def test_a_broken_pool_is_replaced_and_the_pack_still_gets_every_chart(jobs, fresh_pool):
    pool = chartpool._workers()
    pool.submit(os.getpid).result(timeout=120)  # workers running
    for proc in list(pool._processes.values()):
        os.kill(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while not pool._broken and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool._broken
    batch = chartpool.Batch(jobs)
    assert chartpool._pool is not pool  # a broken pool is never reused
    assert all(batch.get(ref)[0].startswith(b"\x89PNG") for ref in jobs)


def test_a_chart_whose_worker_died_is_drawn_in_the_caller(jobs, fresh_pool, monkeypatch):
    pool = chartpool._workers()

    def died(k, job):
        future = Future()
        future._chart_pool = pool
        future.set_exception(BrokenProcessPool("a worker died"))
        return future

    monkeypatch.setattr(chartpool, "_submit", died)
    batch = chartpool.Batch(jobs)
    assert all(batch.get(ref)[0].startswith(b"\x89PNG") for ref in jobs)
    assert chartpool._pool is not pool


def _vintage(name: str) -> dict:
    return {"vintage": name, "label": name, "published": None, "source_file": "", "kind": "upload", "as_of_note": ""}


def _reading(reader: store.ReadOnlyStore, stop: threading.Event, errors: list, seen: set) -> None:
    while not stop.is_set():
        try:
            seen.add(len(reader.table("vintages")))
            reader.query("SELECT count(*) FROM observations o JOIN vintages v USING (vintage)")
        except Exception as exc:  # every failure a reader meets is collected
            errors.append(repr(exc))


def test_replacing_the_database_never_closes_a_connection_under_a_reader(fresh_db, tmp_path):
    reader = store.ReadOnlyStore(fresh_db)
    before = len(reader.table("vintages"))
    stop, errors, seen = threading.Event(), [], set()
    threads = [threading.Thread(target=_reading, args=(reader, stop, errors, seen)) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for n in range(4):  # publishes replace the file; close_all is what a CLI build or restore calls
            store.publish(
                fresh_db,
                {
                    "vintage": f"v-{n}",
                    "label": f"test {n}",
                    "published": None,
                    "source_file": "",
                    "kind": "upload",
                    "as_of_note": "",
                },
                {},
            )
            store.ReadOnlyStore.close_all()
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert len(reader.table("vintages")) == before + 4  # and the readers follow the file to the new one
    assert max(seen) > before


def test_a_replaced_file_is_opened_only_after_the_last_read_of_the_old_one(fresh_db, tmp_path):
    reader = store.ReadOnlyStore(fresh_db)
    old = len(reader.table("vintages"))
    replacement = tmp_path / "next.duckdb"
    shutil.copyfile(fresh_db, replacement)
    store.publish(
        replacement,
        {
            "vintage": "v-next",
            "label": "next",
            "published": None,
            "source_file": "",
            "kind": "upload",
            "as_of_note": "",
        },
        {},
    )
    with reader._borrow() as cur:  # a read in flight on the old file
        os.replace(replacement, fresh_db)
        answer = []
        t = threading.Thread(target=lambda: answer.append(len(reader.table("vintages"))))
        t.start()
        t.join(timeout=0.5)
        assert t.is_alive()  # the new read waits rather than closing the old connection under this one
        assert len(cur.execute("SELECT * FROM vintages").df()) == old
    t.join(timeout=60)
    assert answer == [old + 1]


def _raising_page():
    import streamlit as st

    from dashboard.ui import errors

    def page():
        st.write("before the fault")
        raise ZeroDivisionError("a fault in a page")

    errors.boundary(page, "test-page")


def _navigating_page():
    import streamlit as st

    from dashboard.ui import errors

    def page():
        st.session_state["runs"] = st.session_state.get("runs", 0) + 1
        if st.session_state["runs"] == 1:
            st.rerun()
        st.write(f"run {st.session_state['runs']}")
        st.stop()
        st.write("never drawn")

    errors.boundary(page, "test-page")


def test_a_page_that_raises_shows_one_sentence_with_a_reference_and_logs_the_trace():
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("dashboard.errors")
    logger.addHandler(handler)
    try:
        at = AppTest.from_function(_raising_page, default_timeout=60).run()
    finally:
        logger.removeHandler(handler)
    assert not at.exception
    (shown,) = at.error
    assert shown.value.startswith("This part of the dashboard could not be shown because of a fault on the server")
    assert "ZeroDivisionError" not in shown.value and "Traceback" not in shown.value
    (record,) = records
    reference = record.getMessage().rsplit(" ", 1)[-1]
    assert f"(reference {reference})" in shown.value and len(reference) == 6
    assert record.exc_info[0] is ZeroDivisionError and "test-page" in record.getMessage()


def test_rerun_and_stop_pass_through_the_boundary():
    at = AppTest.from_function(_navigating_page, default_timeout=60).run()
    assert not at.exception and not at.error
    assert [m.value for m in at.markdown] == ["run 2"]


def test_the_served_configuration_shows_no_error_details():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit/config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_a_cached_read_overtaken_by_a_replacement_is_read_again(fresh_db, monkeypatch):
    from dashboard.ui import data

    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    calls = []

    @data.per_database(max_entries=4)
    def vintage_count() -> int:
        n = len(data.reader().table("vintages"))
        calls.append(n)
        if len(calls) == 1:  # the file is replaced while this read runs
            store.publish(fresh_db, _vintage("v-mid-read"), {})
        return n

    before = len(store.ReadOnlyStore(fresh_db).table("vintages"))
    assert vintage_count() == before + 1  # never the old file's answer under the new file's stamp
    assert vintage_count() == before + 1 and calls == [before, before + 1]  # and then served cached
