"""The runtime under a served app's conditions, unit by unit: a database replaced (or let go of) while other
threads read it, and the error boundary."""

import logging
import os
import shutil
import threading

from streamlit.testing.v1 import AppTest

from dashboard import store


def _vintage(name: str) -> dict:
    return {"vintage": name, "label": name, "published": None, "source_file": "", "kind": "upload", "as_of_note": ""}


def _reading(reader: store.ReadOnlyStore, stop: threading.Event, errors: list, seen: set, read=None) -> None:
    while not stop.is_set():
        try:
            seen.add(len(reader.table("vintages")))
            reader.query("SELECT count(*) FROM observations o JOIN vintages v USING (vintage)")
        except Exception as exc:  # every failure a reader meets is collected
            errors.append(repr(exc))
        if read is not None:
            read.release()


def test_replacing_the_database_never_closes_a_connection_under_a_reader(fresh_db, tmp_path):
    reader = store.ReadOnlyStore(fresh_db)
    before = len(reader.table("vintages"))
    stop, errors, seen = threading.Event(), [], set()
    read = threading.Semaphore(0)  # one release per finished read
    threads = [threading.Thread(target=_reading, args=(reader, stop, errors, seen, read)) for _ in range(3)]
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
            # a reader has read the replaced file (awaited read by read, not a pause) before the next replaces it
            while before + n + 1 not in seen and not errors:
                assert read.acquire(timeout=60), f"no reader finished a read after publish {n}"
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
