"""Loader strictness that loses nothing: every wide header is a month or a known column, every value is
well-formed and possible for its unit, whatever the file format. Each refusal names file, row and column and
leaves the database byte-identical."""

import datetime as dt
import hashlib
import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard import cli, store


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def load(db: Path, file: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", str(db), "load", str(file)])
    store.ReadOnlyStore.close_all()
    return code, out.getvalue(), err.getvalue()


def stored(db: Path, ref: str, month: str) -> float:
    rows = store.ReadOnlyStore(db).observations_as_of("latest", "tameside", refs=[ref])
    store.ReadOnlyStore.close_all()
    return rows.set_index(pd.to_datetime(rows["period"]))["value"][month]


def xlsx(tmp_path: Path, rows: list[list], formats: dict[tuple[int, int], str] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for (row, col), fmt in (formats or {}).items():
        ws.cell(row=row, column=col).number_format = fmt
    p = tmp_path / "sheet.xlsx"
    wb.save(p)
    return p


@pytest.mark.parametrize("header", ["Sep-23", "Sept-23", "Sep 23", "September 2023", "2023-09", "09/2023", "sept 2023"])
def test_every_month_form_analysts_type_is_read_and_reported(fresh_db, tmp_path, header):
    f = tmp_path / "wide.csv"
    f.write_text(f"Ref,Indicator,{header},Target\nCIN1,Referrals,377,\n")
    code, out, err = load(fresh_db, f)
    assert code == 0, err
    assert f"column {header!r} read as 2023-09" in out
    assert stored(fresh_db, "CIN1", "2023-09-01") == 377


def test_an_excel_date_cell_as_a_month_header_is_read(fresh_db, tmp_path):
    f = xlsx(
        tmp_path,
        [["Ref", "Indicator", dt.datetime(2023, 9, 1), dt.datetime(2023, 10, 1)], ["CIN1", "Referrals", 377, 378]],
    )
    code, out, err = load(fresh_db, f)
    assert code == 0, err
    assert stored(fresh_db, "CIN1", "2023-10-01") == 378


@pytest.mark.parametrize("header", ["Febuary 2024", "Sepp-23", "Q3", "Referrals"])
def test_a_header_that_is_neither_a_month_nor_a_known_column_refuses_the_load(fresh_db, tmp_path, header):
    f = tmp_path / "wide.csv"
    f.write_text(f"Ref,Indicator,Jan-24,{header}\nCIN1,Referrals,377,401\n")
    before = sha(fresh_db)
    code, _, err = load(fresh_db, f)
    assert code == 1 and f"wide.csv, row 1, column {header!r}: not a month this loader can read" in err
    assert sha(fresh_db) == before


def test_a_column_with_no_header_but_figures_is_refused(fresh_db, tmp_path):
    f = tmp_path / "wide.csv"
    f.write_text("Ref,Indicator,Jan-24,\nCIN1,Referrals,377,401\n")
    code, _, err = load(fresh_db, f)
    assert code == 1 and "wide.csv, row 2, column 'column 4': this column has no header but holds figures" in err


@pytest.mark.parametrize(
    "ref, cell, message",
    [
        ("CIN1", "9" * 100_000, "is too large to be a figure"),
        ("CIN1", "inf", "'inf' is not a number"),
        ("CIN1", "nan", "'nan' is not a number"),
        ("CIN1", "1e308", "not a number"),
        ("CIN1", "12000000", "not a plausible figure"),
        ("CIN1", "12.5%", "has a % sign, but this indicator is a count"),
        ("CIN1", '"1,2,3,4"', "is not a number (write 1234 or 1,234"),
        ("CIN1", '"1,23"', "is not a number"),
        ("CIN1", '"1.234,5"', "is not a number"),
        ("CIN8", "104%", "outside 0-100"),
        ("CIN1", "-4", "cannot be negative"),
    ],
)
def test_impossible_or_loose_values_are_refused_with_file_row_column(fresh_db, tmp_path, ref, cell, message):
    f = tmp_path / "feb.csv"
    f.write_text(f"ref,period,value\n{ref},2024-02,{cell}\n")
    before = sha(fresh_db)
    code, _, err = load(fresh_db, f)
    assert code == 1 and "feb.csv, row 2, column 'value'" in err and message in err
    assert sha(fresh_db) == before


@pytest.mark.parametrize(
    "ref, cell, value", [("CIN1", '"1,234"', 1234), ("CIN8", "12.5%", 12.5), ("FD1", '"12,345"', 12345)]
)
def test_well_formed_thousands_and_percentages_are_accepted(fresh_db, tmp_path, ref, cell, value):
    f = tmp_path / "feb.csv"
    f.write_text(f"ref,period,value\n{ref},2024-02,{cell}\n")
    code, _, err = load(fresh_db, f)
    assert code == 0, err
    assert stored(fresh_db, ref, "2024-02-01") == value


def test_an_excel_percentage_cell_is_stored_as_shown(fresh_db, tmp_path):
    f = xlsx(tmp_path, [["ref", "period", "value"], ["CIN8", "2024-02", 0.125]], {(2, 3): "0.0%"})
    code, _, err = load(fresh_db, f)
    assert code == 0, err
    assert stored(fresh_db, "CIN8", "2024-02-01") == 12.5


def test_the_same_value_rule_for_xlsx_numbers_and_csv_text(fresh_db, tmp_path):
    f = xlsx(tmp_path, [["ref", "period", "value"], ["CIN1", "2024-02", 1e308]])
    code, _, err = load(fresh_db, f)
    assert code == 1 and "sheet.xlsx, sheet 'Sheet', row 2, column 'value'" in err and "not a plausible figure" in err


@pytest.mark.parametrize(
    "text, message",
    [
        ("ref,period,value\nCIN1,2024-02,1,234\n", "row 2: the row has 4 cells but the header has 3"),
        ("ref,period,value\nCIN1,2024-02\n", "row 2: the row has 2 cells but the header has 3"),
        ("ref,value,Value\nCIN1,1,2\n", "row 1, column 'value': this column header appears more than once"),
        ("ref,period,value\nCIN1,1899-12,4\n", "row 2, column 'period': 1899-12 is before 2000"),
    ],
)
def test_ragged_rows_duplicate_headers_and_old_months_are_refused(fresh_db, tmp_path, text, message):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    before = sha(fresh_db)
    code, _, err = load(fresh_db, f)
    assert code == 1 and f"bad.csv, {message}" in err
    assert sha(fresh_db) == before
