"""Every file either loads exactly right or is refused: the corpus of hostile files in tests/corpus, workbooks
that lie (formulas without values, zip bombs, title rows, several sheets), faults of the disk and the database,
text that reaches other viewers, the unlock back-off and the default month."""

import datetime as dt
import errno
import hashlib
import io
import os
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from apptest import run_page, static_tables

from dashboard import cli, store
from dashboard.auth.backoff import FREE_TRIES, Backoff
from dashboard.output import export, papers
from dashboard.words.formatting import plain, safe_commentary
from dashboard.words.periods import default_month
from dashboard.writes import journal

CORPUS = Path(__file__).resolve().parent / "corpus"


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def dashboard(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", str(db), *args])
    store.ReadOnlyStore.close_all()
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- the corpus

EXPECTED = {
    "ragged_unquoted_thousands.csv": "row 2: the row has 4 cells but the header has 3",
    "ragged_wide.csv": "row 2: the row has 6 cells but the header has 4",
    "loose_thousands.csv": "row 2, column 'value': '1,2,3,4' is not a number",
    "comma_decimal.csv": "row 2, column 'value': '1,23' is not a number",
    "european_number.csv": "row 2, column 'value': '1.234,5' is not a number",
    "percent_on_a_count.csv": "row 2, column 'value': '12.5%' has a % sign, but this indicator is a count",
    "semicolons.csv": "row 1: the columns are separated by semicolons",
    "cp1252_pound.csv": 'row 2: not UTF-8 text (byte 0xa3). It looks like Excel\'s "CSV (Comma delimited)"',
    "duplicate_headers.csv": "row 1, column 'value': this column header appears more than once",
    "year_1899.csv": "row 2, column 'period': 1899-12 is before 2000",
    "year_0.csv": "row 2, column 'period'",
    "weekly_trailing_text.csv": "row 2, column 'period': '2023-11-03garbage' is not a week-ending date",
    "weekly_not_week_ending_day.csv": "row 2, column 'period': 2023-11-01 is a Wednesday; weekly figures are for weeks "
    "ending on a Friday",
    "overflow_text.csv": "row 2, column 'value': '1e308' is not a number",
    "infinity.csv": "row 2, column 'value': 'inf' is not a number",
    "nan_text.csv": "row 2, column 'value': 'nan' is not a number",
    "misspelt_month_header.csv": "row 1, column 'Febuary 2024': not a month this loader can read",
    "hundred_thousand_nines.csv": "row 2, column 'value'",
}


def test_the_corpus_is_complete():
    assert sorted(p.name for p in CORPUS.glob("*.csv")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_hostile_file_is_refused_naming_where_and_nothing_changes(fresh_db, name):
    before = sha(fresh_db)
    code, _, err = dashboard(fresh_db, "load", str(CORPUS / name))
    assert code == 1, err
    assert f"{name}, {EXPECTED[name]}" in err
    assert "Traceback" not in err
    assert sha(fresh_db) == before and not journal.journal_dir(fresh_db).exists()


# ---------------------------------------------------------------- workbooks


def book(tmp_path: Path, sheets: dict[str, list[list]], name: str = "pack.xlsx") -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    p = tmp_path / name
    wb.save(p)
    return p


def test_a_formula_with_no_stored_value_is_refused(fresh_db, tmp_path):
    f = book(tmp_path, {"Scorecard": [["ref", "period", "value"], ["CIN1", "2024-02", "=SUM(1,2)"]]})
    code, _, err = dashboard(fresh_db, "load", str(f))
    assert code == 1
    assert (
        "pack.xlsx, sheet 'Scorecard', row 2, column 'C2': a formula with no stored value: open and save the "
        "file in Excel so the values are stored"
    ) in err


def test_title_rows_above_the_header_are_skipped_and_rows_keep_their_sheet_numbers(fresh_db, tmp_path):
    rows = [
        ["Performance and QA Scorecard"],
        ["February 2024"],
        [],
        ["Ref", "Indicator", "Feb-24"],
        ["CIN1", "Referrals", 290],
        ["CIN8", "Assessments", "104%"],
    ]
    code, _, err = dashboard(fresh_db, "load", str(book(tmp_path, {"Scorecard": rows})))
    assert code == 1 and "pack.xlsx, sheet 'Scorecard', row 6, column 'Feb-24'" in err
    rows[-1][-1] = "88%"
    code, out, err = dashboard(fresh_db, "load", str(book(tmp_path, {"Scorecard": rows}, "ok.xlsx")))
    assert code == 0, err


def test_several_sheets_with_a_ref_column_ask_for_sheet(fresh_db, tmp_path):
    data = [["ref", "period", "value"], ["CIN1", "2024-02", 290]]
    f = book(tmp_path, {"Notes": [["Read me"]], "Jan": data, "Feb": data})
    code, _, err = dashboard(fresh_db, "load", str(f))
    assert code == 1 and "several sheets have a Ref column (Jan, Feb): choose one with --sheet" in err
    assert dashboard(fresh_db, "load", str(f), "--sheet", "Feb")[0] == 0
    one = book(tmp_path, {"Notes": [["Read me"]], "Feb": data}, "one.xlsx")
    assert dashboard(fresh_db, "load", str(one))[0] == 0  # the only sheet with a header is found


def test_a_zip_bomb_workbook_is_refused_unread(fresh_db, tmp_path):
    f = book(tmp_path, {"Scorecard": [["ref", "period", "value"], ["CIN1", "2024-02", 290]]})
    with zipfile.ZipFile(f, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/padding.bin", b"\0" * (120 * 1024 * 1024))
    assert f.stat().st_size < 2 * 1024 * 1024
    code, _, err = dashboard(fresh_db, "load", str(f))
    assert code == 1 and "the workbook unpacks to 120 MB; the limit is 100 MB, so it was not opened" in err


def test_a_huge_file_is_refused_unread(fresh_db, tmp_path):
    f = tmp_path / "huge.csv"
    with open(f, "wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    code, _, err = dashboard(fresh_db, "load", str(f))
    assert code == 1 and "huge.csv: the file is 21 MB; the limit is 20 MB" in err


def test_the_app_caps_uploads():
    config = (Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text()
    assert "maxUploadSize = 20" in config


# ---------------------------------------------------------------- exports


def test_the_csv_export_never_prints_nan(built_db):
    reader = store.ReadOnlyStore(built_db)
    text = export.render(papers.gather(reader, dt.date(2024, 1, 1)), "csv").decode("utf-8-sig")
    store.ReadOnlyStore.close_all()
    cells = [c for line in text.splitlines() for c in line.split(",")]
    assert "nan" not in cells and "NaN" not in cells


# ---------------------------------------------------------------- faults say what happened


@pytest.mark.parametrize("code_, words", [(errno.EROFS, "Read-only file system"), (errno.ENOSPC, "No space left")])
def test_a_read_only_or_full_disk_is_one_sentence_and_changes_nothing(fresh_db, tmp_path, monkeypatch, code_, words):
    def refuse(*a, **k):
        raise OSError(code_, os.strerror(code_), str(fresh_db.parent))

    monkeypatch.setattr(journal, "_fsync_write", refuse)
    f = tmp_path / "feb.csv"
    f.write_text("ref,period,value\nCIN1,2024-02,290\n")
    before = sha(fresh_db)
    code, _, err = dashboard(fresh_db, "load", str(f))
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"Nothing was written: {words}")
    assert sha(fresh_db) == before and not list(journal.journal_dir(fresh_db).glob("0*"))


def test_a_missing_or_damaged_database_is_one_sentence(tmp_path, built_db):
    code, _, err = dashboard(tmp_path / "none.duckdb", "scorecard", "--month", "2024-01")
    assert code == 1 and "No database at" in err and "make build" in err and "Traceback" not in err
    damaged = tmp_path / "damaged.duckdb"
    damaged.write_bytes(built_db.read_bytes()[:4096])
    code, _, err = dashboard(damaged, "scorecard", "--month", "2024-01")
    assert code == 1 and "cannot be opened" in err and "make build" in err and "Traceback" not in err


def test_a_damaged_replacement_keeps_the_previous_database_served(tmp_path, built_db):
    db = tmp_path / "d.duckdb"
    db.write_bytes(built_db.read_bytes())
    reader = store.ReadOnlyStore(db)
    before = reader.table("vintages")
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a database" * 1000)
    os.replace(junk, db)
    pd.testing.assert_frame_equal(reader.table("vintages"), before)  # still the old one
    store.ReadOnlyStore.close_all()


def test_a_killed_loads_temp_file_is_cleaned_on_the_next_write(fresh_db, tmp_path):
    stale = fresh_db.parent / (fresh_db.name + ".abc123.tmp")
    stale.write_bytes(b"x" * 1000)
    f = tmp_path / "feb.csv"
    f.write_text("ref,period,value\nCIN1,2024-02,290\n")
    assert dashboard(fresh_db, "load", str(f))[0] == 0
    assert not stale.exists()


# ---------------------------------------------------------------- text that reaches other viewers


def test_a_label_is_plain_text_in_markdown():
    label = "[Official](http://example.org) ![t](http://example.org/pixel.png)"
    shown = plain(label)
    assert "](" not in shown.replace("\\]\\(", "") and "\\!\\[" in shown
    assert "http" not in shown and "h\u2060ttp" in shown  # a joiner stops the renderer linking the address


def test_commentary_keeps_emphasis_but_no_images_or_outside_links():
    text = (
        "*Referrals rose*.\n\n- one\n- two\n\n![px](http://evil.example/p.png) [DfE](https://gov.uk/x) "
        "www.evil.example <b>x</b>"
    )
    safe = safe_commentary(text)
    assert safe.startswith("*Referrals rose*.") and "\n- one\n- two" in safe
    assert "![" not in safe and "[image not shown: px]" in safe
    assert "](" not in safe and "DfE (link: h\u2060ttps://gov.uk/x)" in safe
    assert "w\u2060ww.evil" in safe and "&lt;b>" in safe


def test_an_uploaded_label_renders_as_text_for_every_viewer(built_db, tmp_path):
    db = tmp_path / "dashboard.duckdb"
    db.write_bytes(built_db.read_bytes())
    f = tmp_path / "feb.csv"
    f.write_text("ref,period,value\nCIN1,2024-02,290\n")
    label = "[Official](http://example.org) ![t](http://example.org/pixel.png)"
    code, out, _ = dashboard(db, "load", str(f), "--label", label)
    vintage = out.split("as vintage ")[1].split(":")[0]
    os.environ["DASHBOARD_DB"] = str(db)
    try:
        at = run_page("cin_cp", month="2024-02", vintage=vintage)
    finally:
        os.environ["DASHBOARD_DB"] = str(built_db)
    warning = next(w.value for w in at.warning if "Showing figures" in w.value)
    assert "\\[official\\]\\(h\u2060ttp\\://example\\.org\\)" in warning and "](" not in warning
    # The vintages tables (About, Data quality) are Markdown tables: the label is a cell of escaped text.
    for page in ("about", "data_quality"):
        os.environ["DASHBOARD_DB"] = str(db)
        try:
            at = run_page(page)
        finally:
            os.environ["DASHBOARD_DB"] = str(built_db)
        cells = [c for t in static_tables(at) if "Reported in" in t.columns for c in t["Reported in"]]
        assert label.replace("http", "h\u2060ttp") in cells, (page, cells)
        tables = [m.value for m in at.markdown if "Reported in" in m.value]
        assert tables and all("](" not in t and "![" not in t for t in tables)


# ---------------------------------------------------------------- unlocking


def test_guessing_the_secret_backs_off_per_session_and_per_address():
    now = [0.0]
    b = Backoff(clock=lambda: now[0])
    keys = ("session:a", "address:1.2.3.4")
    for _ in range(FREE_TRIES - 1):
        assert b.failed(*keys) == 0
    assert b.failed(*keys) == 2.0  # the third wrong try starts a wait
    assert b.wait(*keys) == 2.0 and b.wait("session:other", "address:1.2.3.4") == 2.0  # a new tab waits too
    now[0] += 2.0
    assert b.wait(*keys) == 0
    assert b.failed(*keys) == 4.0  # doubling
    b.succeeded(*keys)
    assert b.wait(*keys) == 0


# ---------------------------------------------------------------- the default month


def test_one_early_figure_does_not_make_next_month_the_default(fresh_db, tmp_path):
    f = tmp_path / "early.csv"
    f.write_text("ref,period,value\nCIN1,2024-02,290\n")
    assert dashboard(fresh_db, "load", str(f))[0] == 0
    cov = store.ReadOnlyStore(fresh_db).month_coverage("latest", "tameside")
    store.ReadOnlyStore.close_all()
    pairs = [(pd.Timestamp(p).date(), int(n)) for p, n in zip(cov["period"], cov["figures"])]
    assert pairs[0] == (dt.date(2024, 2, 1), 1)
    assert default_month(pairs) == dt.date(2024, 1, 1)
