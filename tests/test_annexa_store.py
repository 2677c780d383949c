"""Annex A extracts read through the one reading layer, stored through the journal (load, refusal, rebuild,
backup and restore, retention), reconciled from what is stored, and published as a vintage. Every workbook here
is SYNTHETIC: invented IDs and dates, no real child."""

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_records import AS_AT, BANK, HEAD, KEY, ROWS, standard, workbook

from dashboard import cli
from dashboard.reading import LoadRejected
from dashboard.records import annex_a, workdays

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
