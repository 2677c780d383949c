"""Annex A extracts read through the one reading layer, stored through the journal (load, refusal, rebuild,
backup and restore, retention), reconciled from what is stored, and published as a vintage. Every workbook here
is SYNTHETIC: invented IDs and dates, no real child."""

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_records import AS_AT, BANK, HEAD, KEY, ROWS, standard, workbook

from dashboard import cli, store
from dashboard.input.reading import LoadRejected
from dashboard.records import annex_a, stored, workdays
from dashboard.writes import audit, journal, lifecycle

D = dt.date


def _refused(path: Path, **kw) -> list[str]:
    with pytest.raises(LoadRejected) as exc:
        annex_a.read(path, AS_AT, KEY, **kw)
    return [str(p) for p in exc.value.problems]


def synthetic(tmp_path: Path, name: str = "annex_a_synthetic.xlsx", **changes) -> Path:
    """The hand-made lists with the generator's mark: a sheet `Synthetic data` whose A1 begins SYNTHETIC."""
    sheets = {title: [HEAD[title]] + rows for title, rows in ROWS.items()}
    sheets.update(changes)
    sheets["Synthetic data"] = [["SYNTHETIC: invented children for testing, no real person"]]
    return workbook(tmp_path / name, sheets)


# --- 1. the reader uses the one reading layer -------------------------------------------------------------------


def test_synthetic_mark_is_recorded(tmp_path):
    assert annex_a.read(synthetic(tmp_path), AS_AT, KEY).synthetic is True
    assert annex_a.read(standard(tmp_path), AS_AT, KEY).synthetic is False
    sheets = {t: [HEAD[t]] + r for t, r in ROWS.items()} | {"Synthetic data": [["Real records"]]}
    assert annex_a.read(workbook(tmp_path / "x.xlsx", sheets), AS_AT, KEY).synthetic is False
    hidden = synthetic(tmp_path, "hidden_mark.xlsx")  # the mark holds no records: hidden, it still counts
    wb = openpyxl.load_workbook(hidden)
    wb["Synthetic data"].sheet_state = "hidden"
    wb.save(hidden)
    assert annex_a.read(hidden, AS_AT, KEY).synthetic is True


def _hide(path: Path, row: int | None = None, column: str | None = None, sheet: str = "List 3") -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    if row:
        ws.row_dimensions[row].hidden = True
    if column:
        ws.column_dimensions[column].hidden = True
    wb.save(path)
    return path


def test_a_hidden_row_is_refused_unless_include_hidden(tmp_path):
    path = _hide(standard(tmp_path), row=3)
    problems = _refused(path)
    assert len(problems) == 1
    assert problems[0].startswith("annex_a_synthetic.xlsx, List 3 (sheet 'List 3'), row 3: this row is hidden")
    assert "--include-hidden" in problems[0] and "Read hidden rows and columns" in problems[0]
    assert len(annex_a.read(path, AS_AT, KEY, include_hidden=True).lists["list_3"]) == 5


def test_a_hidden_column_read_is_refused_and_one_not_read_is_not(tmp_path):
    problems = _refused(_hide(standard(tmp_path), column="C"))  # Date of Referral
    assert len(problems) == 1 and "column 'Date of Referral'" in problems[0] and "is hidden" in problems[0]
    assert annex_a.read(_hide(standard(tmp_path, "d.xlsx"), column="D"), AS_AT, KEY).lists["list_3"].shape[0] == 5


def test_a_hidden_list_sheet_is_refused(tmp_path):
    path = standard(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["List 7"].sheet_state = "hidden"
    wb.save(path)
    problems = _refused(path)
    assert problems == [
        "annex_a_synthetic.xlsx, sheet 'List 7': the sheet is hidden in Excel: unhide it and check it, or load "
        "with --include-hidden (command line) or “Read hidden rows and columns” (load page)"
    ]


def _rewrite(path: Path, out: Path, part_contains: bytes, old: bytes, new: bytes) -> Path:
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if part_contains in data and item.filename.startswith("xl/worksheets/"):
                data = data.replace(old, new, 1)
            dst.writestr(item, data)
    return out


def test_declared_dimension_is_ignored(tmp_path):
    path = standard(tmp_path)
    out = tmp_path / "dim.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/"):
                start = data.find(b"<dimension ref=")
                end = data.find(b"/>", start) + 2
                data = data[:start] + b'<dimension ref="A1:B2"/>' + data[end:]
            dst.writestr(item, data)
    assert len(annex_a.read(out, AS_AT, KEY).lists["list_1"]) == 6


def test_a_malformed_cell_names_file_sheet_and_cell(tmp_path):
    path = standard(tmp_path, **{"List 3": [HEAD["List 3"], ["SYN-R1", "x", 45300, "b) No"]]})
    out = _rewrite(path, tmp_path / "bad.xlsx", b"45300", b"<v>45300</v>", b"<v>12abc</v>")
    problems = _refused(out)
    assert len(problems) == 1
    assert problems[0].startswith("bad.xlsx, sheet 'List 3', cell C2: not a readable XLSX workbook (")


def test_a_link_is_refused_before_reading(tmp_path):
    link = tmp_path / "extract.xlsx"
    os.symlink("/dev/zero", link)
    assert _refused(link) == ["extract.xlsx: this is a link to /dev/zero, not a file: load the file itself, not a link"]


def test_a_csv_named_xlsx_is_not_a_workbook(tmp_path):
    path = tmp_path / "extract.xlsx"
    path.write_text("Child Unique ID,Date of Contact\nSYN-1,01/01/2024\n")
    assert _refused(path) == ["extract.xlsx: not an Excel workbook (.xlsx): it cannot be opened as one"]
    raw = io.BytesIO()
    openpyxl.Workbook().save(raw)
    (tmp_path / "cut.xlsx").write_bytes(raw.getvalue()[:300])
    assert _refused(tmp_path / "cut.xlsx")[0].startswith("cut.xlsx: not a readable XLSX workbook")


def test_records_compute_cli_still_reads(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_RECORDS_KEY", KEY.decode())
    monkeypatch.setattr(workdays, "bank_holidays", lambda years: frozenset(BANK))
    assert cli.main(["records-compute", str(synthetic(tmp_path)), "--as-at", "2024-01-31", "--month", "2024-01"]) == 0
    assert "CIN8,2024-01,75,3,4,2,annex_a_synthetic.xlsx" in capsys.readouterr().out.splitlines()


# --- 2. extracts stored through the journal ----------------------------------------------------------------------


@pytest.fixture()
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_RECORDS_KEY", KEY.decode())
    monkeypatch.delenv(stored.RETENTION_ENV, raising=False)
    monkeypatch.setenv(journal.SECRETS_ENV, str(tmp_path / "no-secrets.toml"))
    monkeypatch.setattr(workdays, "bank_holidays", lambda years: frozenset(BANK))


def _state(db: Path) -> dict[str, bytes]:
    """The database and every journal file, byte for byte."""
    out = {"db": db.read_bytes()}
    folder = journal.journal_dir(db)
    if folder.exists():
        out |= {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return out


def _load(db: Path, path: Path, as_at: str = "2024-01-31", *extra: str) -> int:
    return cli.main(["--db", str(db), "load-annex-a", str(path), "--as-at", as_at, *extra])


def _held(db: Path):
    store.ReadOnlyStore.close_all()
    return stored.from_store(store.ReadOnlyStore(db))


def test_load_writes_one_entry_of_pseudonymised_rows_only(fresh_db, tmp_path, env, capsys):
    assert _load(fresh_db, synthetic(tmp_path)) == 0
    err = capsys.readouterr().err
    assert "44 records in 7 lists, 15 data-quality findings; the file itself is not kept" in err
    found = journal.entries(journal.journal_dir(fresh_db))
    assert len(found) == 1 and found[0].manifest["kind"] == "records"
    assert found[0].manifest["row_counts"] == {"extract_findings": 15, "extract_records": 44, "extracts": 1}
    rows = (found[0].path / "rows.jsonl").read_text()
    assert "SYN-" not in rows and "ZZ9" not in rows and "2012-03-17" not in rows  # no ID, postcode or birth date
    assert not list(journal.journal_dir(fresh_db).rglob("*.xlsx"))  # the file is never kept
    (got,) = _held(fresh_db)
    want = annex_a.read(synthetic(tmp_path, "again.xlsx"), AS_AT, KEY)
    assert got.synthetic and got.as_at == AS_AT and got.name == "annex_a_synthetic.xlsx"
    for key, frame in want.lists.items():
        pd.testing.assert_frame_equal(got.lists[key], frame.reset_index(drop=True), check_dtype=False)
    assert sorted(got.findings.astype(str).values.tolist()) == sorted(want.findings.astype(str).values.tolist())


@pytest.mark.parametrize(
    "case",
    ["missing list", "not a workbook", "future as-at", "demo key on real records", "already held", "bad retention"],
)
def test_a_refusal_writes_nothing(fresh_db, tmp_path, env, monkeypatch, capsys, case):
    path, extra, as_at = synthetic(tmp_path), [], "2024-01-31"
    if case == "already held":
        assert _load(fresh_db, path) == 0
    before = _state(fresh_db)
    if case == "missing list":
        sheets = {t: [HEAD[t]] + r for t, r in ROWS.items() if t != "List 5"}
        path = workbook(tmp_path / "no5.xlsx", sheets)
    elif case == "not a workbook":
        path = tmp_path / "x.xlsx"
        path.write_text("not a workbook")
    elif case == "future as-at":
        as_at = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    elif case == "demo key on real records":
        path, extra = standard(tmp_path, "real.xlsx"), ["--demo-key"]
    elif case == "bad retention":
        monkeypatch.setenv(stored.RETENTION_ENV, "two years")
    capsys.readouterr()
    assert _load(fresh_db, path, as_at, *extra) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "rejected: 1 problem; nothing was loaded"
    assert _state(fresh_db) == before


def test_rebuild_keeps_the_extract(fresh_db, tmp_path, env, capsys):
    assert _load(fresh_db, synthetic(tmp_path)) == 0
    capsys.readouterr()
    assert cli.main(["--db", str(fresh_db), "reconcile", "--month", "2024-01"]) == 0
    before = capsys.readouterr().out
    store.ReadOnlyStore.close_all()
    fresh_db.unlink()  # the database is a build product: the journal alone rebuilds the extract
    lifecycle.build(fresh_db)
    assert cli.main(["--db", str(fresh_db), "reconcile", "--month", "2024-01"]) == 0
    assert capsys.readouterr().out == before
    assert "CIN8,2024-01,75,86.3,-11.3,3,4,2,annex_a_synthetic.xlsx,2024-01-31" in before.splitlines()


def test_backup_and_restore_keep_the_extract(fresh_db, tmp_path, env):
    assert _load(fresh_db, synthetic(tmp_path)) == 0
    archive = tmp_path / "backup.tar.gz"
    lifecycle.backup(fresh_db, archive)
    other = tmp_path / "elsewhere" / "dashboard.duckdb"
    other.parent.mkdir()
    other.write_bytes(fresh_db.read_bytes())
    (other.parent / journal.KEY_FILE).write_bytes((fresh_db.parent / journal.KEY_FILE).read_bytes())
    store.ReadOnlyStore.close_all()
    lifecycle.restore(other, archive)
    a, b = _held(fresh_db), _held(other)
    assert len(b) == 1 and b[0].synthetic and b[0].as_at == AS_AT
    for key in a[0].lists:
        pd.testing.assert_frame_equal(a[0].lists[key], b[0].lists[key])


def test_retention_withdraws_old_extracts_through_the_journal(fresh_db, tmp_path, env, capsys):
    path = synthetic(tmp_path)
    assert _load(fresh_db, path, "2021-12-31") == 0  # 25 months before the next
    assert _load(fresh_db, path, "2022-01-31") == 0  # exactly 24 months before: kept
    assert [e.as_at for e in _held(fresh_db)] == [D(2021, 12, 31), D(2022, 1, 31)]
    capsys.readouterr()
    assert _load(fresh_db, path, "2024-01-31") == 0
    err = capsys.readouterr().err
    assert "withdrawn by the retention setting: annex_a_synthetic.xlsx as at 31 Dec 2021" in err
    assert [e.as_at for e in _held(fresh_db)] == [D(2022, 1, 31), D(2024, 1, 31)]
    kinds = [e.manifest["kind"] for e in journal.entries(journal.journal_dir(fresh_db))]
    assert kinds == ["records", "records", "records", "records-withdrawal"]  # no entry deleted, one withdrawal
    trail = audit.trail(fresh_db)
    event = trail[trail["event"] == "records retention"]
    assert len(event) == 1 and event["outcome"].iloc[0] == "done"
    assert "1 Annex A extract withdrawn (annex_a_synthetic.xlsx as at 31 Dec 2021)" in event["what"].iloc[0]
    assert "write: records-withdrawal" in set(trail["event"])
    store.ReadOnlyStore.close_all()
    lifecycle.build(fresh_db)  # a rebuild keeps the withdrawal
    assert [e.as_at for e in _held(fresh_db)] == [D(2022, 1, 31), D(2024, 1, 31)]
    stamp = store.ReadOnlyStore(fresh_db).extracts()
    assert len(stamp) == 2
    # an extract the retention would withdraw at once is refused, nothing written
    before = _state(fresh_db)
    assert _load(fresh_db, synthetic(tmp_path, "old.xlsx"), "2021-06-30") == 1
    assert "more than 24 months before the newest extract" in capsys.readouterr().err
    assert _state(fresh_db) == before


def test_retention_setting(tmp_path):
    assert stored.retention_months(env={}, secrets_path=tmp_path / "none.toml") == 24
    assert stored.retention_months(env={stored.RETENTION_ENV: "36"}) == 36
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[records]\nretention_months = 12\n")
    assert stored.retention_months(env={}, secrets_path=secrets) == 12
    for bad in ("0", "1.5", "241", "forever"):
        with pytest.raises(LoadRejected, match="whole number of months"):
            stored.retention_months(env={stored.RETENTION_ENV: bad})


def test_purge_command_with_a_shorter_retention(fresh_db, tmp_path, env, monkeypatch, capsys):
    path = synthetic(tmp_path)
    assert _load(fresh_db, path, "2023-07-31") == 0
    assert _load(fresh_db, path, "2024-01-31") == 0
    monkeypatch.setenv(stored.RETENTION_ENV, "3")
    capsys.readouterr()
    assert cli.main(["--db", str(fresh_db), "purge-extracts"]) == 0
    assert "1 extract withdrawn by the retention setting (3 months)" in capsys.readouterr().err
    assert [e.as_at for e in _held(fresh_db)] == [D(2024, 1, 31)]
    assert cli.main(["--db", str(fresh_db), "purge-extracts"]) == 0
    assert "0 extracts withdrawn" in capsys.readouterr().err


# --- 4. reconcile from the held extracts, publish the computed figures -------------------------------------------


def test_reconcile_reads_the_held_extracts(fresh_db, tmp_path, env, capsys):
    path = synthetic(tmp_path)
    assert _load(fresh_db, path) == 0
    capsys.readouterr()
    assert cli.main(["--db", str(fresh_db), "reconcile", "--month", "2024-01"]) == 0
    held, err = capsys.readouterr()
    assert stored.BANNER in err  # every view of synthetic records says so
    args = ["--db", str(fresh_db), "reconcile", "--month", "2024-01", "--extract", str(path), "--as-at", "2024-01-31"]
    assert cli.main(args) == 0
    assert capsys.readouterr().out == held
    rows = held.splitlines()
    assert rows[0] == "ref,month,computed,loaded,difference,numerator,denominator,excluded,extract,as_at"
    assert "CIN1,2024-01,2,318,-316,2,,3,annex_a_synthetic.xlsx,2024-01-31" in rows


def test_reconcile_with_nothing_held(fresh_db, env, capsys):
    assert cli.main(["--db", str(fresh_db), "reconcile", "--month", "2024-01"]) == 0
    assert capsys.readouterr().out.strip() == (
        "ref,month,computed,loaded,difference,numerator,denominator,excluded,extract,as_at"
    )
    assert cli.main(["--db", str(fresh_db), "reconcile", "--month", "2024-01", "--as-at", "2024-01-31"]) == 2


def test_publish_computed_is_a_new_vintage_of_figures(fresh_db, tmp_path, env, capsys):
    assert _load(fresh_db, synthetic(tmp_path)) == 0
    before = _state(fresh_db)
    assert cli.main(["--db", str(fresh_db), "publish-computed", "--month", "2023-06"]) == 1  # not covered
    assert "no figure is computed for Jun 2023" in capsys.readouterr().err
    assert _state(fresh_db) == before
    assert cli.main(["--db", str(fresh_db), "publish-computed", "--month", "2024-01"]) == 0
    entry = journal.entries(journal.journal_dir(fresh_db))[-1]
    assert entry.manifest["kind"] == "computed"
    assert entry.vintage["label"] == "Jan 2024 computed from Annex A extract annex_a_synthetic.xlsx as at 31 Jan 2024"
    store.ReadOnlyStore.close_all()
    reader = store.ReadOnlyStore(fresh_db)
    obs = reader.observations_as_of(None, "tameside", refs=["CIN1", "CF1", "SG6"], until=D(2024, 1, 1))
    jan = obs[obs["period"] == D(2024, 1, 1)].set_index("ref")
    assert jan.loc["CIN1", "value"] == 2 and jan.loc["CIN1", "vintage"] == entry.vintage["vintage"]
    assert jan.loc["CIN1", "note"] == "computed from Annex A extract annex_a_synthetic.xlsx as at 31 Jan 2024"
    assert jan.loc["SG6", "value"] == 50
    revised = reader.revised_as_of(None, "tameside")
    assert ((revised["ref"] == "CIN1") & (revised["period"] == D(2024, 1, 1))).any()  # † 318 -> 2
    capsys.readouterr()
    assert cli.main(["--db", str(fresh_db), "reconcile", "--month", "2024-01"]) == 0
    assert "CIN1,2024-01,2,2,0,2,,3,annex_a_synthetic.xlsx,2024-01-31" in capsys.readouterr().out.splitlines()


def test_replay_checks_records_column_wise_as_the_model_does(fresh_db, tmp_path, env):
    from pydantic import ValidationError

    assert _load(fresh_db, synthetic(tmp_path)) == 0
    raw = journal.entries(journal.journal_dir(fresh_db))[0].rows()["extract_records"]
    fast, problems = stored.FAST["extract_records"](raw, "entry", "extract_records")
    assert problems == []
    slow = pd.DataFrame(
        [
            stored.ExtractRecord.model_validate({k: "" if v is None else v for k, v in r.items()}).model_dump()
            for r in raw
        ]
    )
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), slow, check_dtype=False)
    bad = [
        dict(raw[0], child="SYN-R1"),  # a raw ID, never a pseudonym
        dict(raw[1], birth_month="2012-03-17"),  # a full date of birth
        dict(raw[2], row=0),
        dict(raw[3], list="List 3"),
    ]
    _, problems = stored.FAST["extract_records"](bad, "journal entry X", "extract_records")
    assert problems == [
        "journal entry X, extract_records row 4, column 'list': not a list (list_N)",
        "journal entry X, extract_records row 3, column 'row': not a row number",
        "journal entry X, extract_records row 1, column 'child': not a keyed pseudonym",
        "journal entry X, extract_records row 2, column 'birth_month': a date of birth is held only as its month",
    ]
    for record in bad:
        with pytest.raises(ValidationError):
            stored.ExtractRecord.model_validate(record)


# --- the load page ---------------------------------------------------------------------------------------------


def test_the_load_page_offers_hidden_rows_off_and_the_annex_a_section(fresh_db, monkeypatch):
    from apptest import run_page

    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    monkeypatch.setenv("DASHBOARD_ADMIN_SECRET", "s3cret")
    at = run_page("load", _admin_ok="s3cret")
    box = at.checkbox(key="include_hidden")
    assert box.label == "Read hidden rows and columns" and box.value is False
    assert any(u.label == "Annex A workbook" for u in at.get("file_uploader"))
    assert [d.label for d in at.date_input] == ["As at (the extract's date)"]
    assert "Load an Annex A extract" in [h.value for h in at.header]


def test_reading_hidden_rows_is_named_in_the_audit_trail(fresh_db, monkeypatch):
    from types import SimpleNamespace

    from dashboard.ui import admin

    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    admin.note_hidden(SimpleNamespace(who="pub@example.test"), "figures from pack.xlsx", "upload-20240301-1")
    trail = audit.trail(fresh_db)
    row = trail[trail["event"] == "hidden rows and columns read"].iloc[0]
    assert row["who"] == "pub@example.test" and row["outcome"] == "done"
    assert row["what"] == (
        "figures from pack.xlsx, published as vintage upload-20240301-1, read with “Read hidden rows and columns” "
        "ticked"
    )


def test_the_preview_asks_the_publisher_to_check_the_as_at_date_and_what_loading_withdraws(fresh_db, tmp_path, env):
    """Found on a walk of the load page: a date typed into the As at box but not yet taken by the page loaded the
    extract as at last month's end, 34 months after its records, and withdrew the older extract without a word
    before. The preview now says so before anything is written."""
    path = synthetic(tmp_path)
    assert _load(fresh_db, path, "2021-12-31") == 0
    store.ReadOnlyStore.close_all()
    reader = store.ReadOnlyStore(fresh_db)
    right = stored.preview(path, AS_AT, KEY, path.name)
    assert stored.newest_record(right) == AS_AT  # a record dated after the as-at date is a finding, not the newest
    late = stored.preview(path, D(2026, 11, 30), KEY, path.name)
    assert stored.newest_record(late) == D(2024, 2, 10)
    checks = stored.cautions(reader, late, "tameside", stored.newest_record(late), months=24)
    assert checks[0].startswith("The newest date in the file is 10 Feb 2024, 1024 days before the as-at date")
    assert checks[1] == (
        "Loading it withdraws 1 older extract under the retention setting (24 months of extracts): "
        "annex_a_synthetic.xlsx as at 31 Dec 2021."
    )
    assert (
        stored.cautions(reader, right, "tameside", stored.newest_record(right), months=36) == []
    )  # as at its records' date, nothing withdrawn
    again = stored.preview(path, D(2021, 12, 31), KEY, "again.xlsx")
    assert stored.cautions(reader, again, "tameside", stored.newest_record(again), months=36)[-1].startswith(
        "An extract as at 31 Dec 2021 is already held (annex_a_synthetic.xlsx)"
    )
