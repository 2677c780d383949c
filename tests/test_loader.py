"""Loading next month: both layouts succeed; every kind of bad input is rejected, named by file,
row and column, and leaves the database byte-identical."""

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


def run_load(db: Path, file: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", str(db), "load", str(file), *extra])
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def xlsx(tmp_path: Path, rows: list[list], name: str = "pack.xlsx", sheet: str = "Scorecard") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    p = tmp_path / name
    wb.save(p)
    return p


BAD = {
    "unknown_ref": ("ref,period,value\nZZ99,2024-02,5\n", "row 2, column 'ref': unknown ref 'ZZ99'"),
    "blank_ref": ("ref,period,value\n,2024-02,5\n", "row 2, column 'ref'"),
    "duplicate": ("ref,period,value\nCIN1,2024-02,300\nCIN1,2024-02,301\n", "row 3, column 'period'"),
    "non_numeric": ("ref,period,value\nCIN1,2024-02,lots\n", "row 2, column 'value': 'lots' is not a number"),
    "percent_over_100": ("ref,period,value\nCIN8,2024-02,104%\n", "outside 0-100"),
    "percent_negative": ("ref,period,value\nCIN8,2024-02,-3\n", "outside 0-100"),
    "negative_count": ("ref,period,value\nCIN1,2024-02,-4\n", "cannot be negative"),
    "malformed_period": ("ref,period,value\nCIN1,Febtember,4\n", "column 'period': 'Febtember' is not a month"),
    "month_13": ("ref,period,value\nCIN1,2024-13,4\n", "column 'period'"),
    "future_period": ("ref,period,value\nCIN1,2099-01,4\n", "2099-01 is in the future"),
    "missing_value_column": ("ref,period\nCIN1,2024-02\n", "missing required column"),
    "missing_ref_column": ("indicator,period,value\nx,2024-02,1\n", "missing required column"),
    "empty_file": ("", "the file is empty"),
    "header_only": ("ref,period,value\n", "no figures"),
    "blank_value": ("ref,period,value\nCIN1,2024-02,\n", "blank value"),
    "bad_status": ("ref,period,value,status\nCIN1,2024-02,,maybe\n", "unknown status"),
    "status_with_number": ("ref,period,value,status\nCIN1,2024-02,5,not yet available\n", "leave value blank"),
    "unknown_authority": ("ref,period,value,authority\nCIN1,2024-02,5,atlantis\n", "unknown authority 'atlantis'"),
    "weekly_bad_date": ("ref,period,value\nCW1,2023-13-45,5\n", "week-ending date"),
    "wide_unknown_ref": ("Ref,Indicator,Feb-24\nQQ1,Mystery,5\n", "row 2, column 'Ref': unknown ref 'QQ1'"),
    "wide_bad_cell": (
        "Ref,Indicator,Feb-24\nCIN8,Assessments,eighty\n",
        "row 2, column 'Feb-24': 'eighty' is not a number",
    ),
    "wide_duplicate_month": ("Ref,Indicator,Feb-24,2024-02\nCIN8,x,80,81\n", "more than one column"),
    "wide_duplicate_ref": ("Ref,Indicator,Feb-24\nCIN8,x,80\nCIN8,x,81\n", "row 3"),
    "wide_future_month": ("Ref,Indicator,Jan-99\nCIN8,x,80\n", "in the future"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_rejected_and_database_unchanged(case, fresh_db, tmp_path):
    text, expected = BAD[case]
    f = write(tmp_path, f"{case}.csv", text)
    before = sha(fresh_db)
    code, out, err = run_load(fresh_db, f)
    assert code == 1
    assert f"{case}.csv" in err and expected in err, err
    assert sha(fresh_db) == before
    assert sorted(p.name for p in fresh_db.parent.iterdir()) == sorted([fresh_db.name, f.name])


def test_wrong_encoding(fresh_db, tmp_path):
    f = write(tmp_path, "latin.csv", b"ref,period,value\nCIN1,2024-02,5\n" + "caf\xe9".encode("latin-1"))
    before = sha(fresh_db)
    code, _, err = run_load(fresh_db, f)
    assert code == 1 and "latin.csv, row 3" in err and "not UTF-8" in err
    assert sha(fresh_db) == before


def test_unreadable_workbook_and_missing_sheet(fresh_db, tmp_path):
    before = sha(fresh_db)
    broken = write(tmp_path, "broken.xlsx", b"PK\x03\x04 not really a workbook")
    code, _, err = run_load(fresh_db, broken)
    assert code == 1 and "not a readable XLSX" in err
    good = xlsx(tmp_path, [["Ref", "Indicator", "Feb-24"], ["CIN8", "x", 80]])
    code, _, err = run_load(fresh_db, good, "--sheet", "Nope")
    assert code == 1 and "no sheet 'Nope'" in err
    assert sha(fresh_db) == before


def test_unreadable_file(fresh_db, tmp_path):
    before = sha(fresh_db)
    code, _, err = run_load(fresh_db, tmp_path / "absent.csv")
    assert code == 1 and "absent.csv: cannot read the file" in err
    assert sha(fresh_db) == before


def test_one_bad_row_rejects_the_whole_file(fresh_db, tmp_path):
    f = write(tmp_path, "mixed.csv", "ref,period,value\nCIN1,2024-02,300\nCIN8,2024-02,140%\n")
    before = sha(fresh_db)
    assert run_load(fresh_db, f)[0] == 1
    assert sha(fresh_db) == before


def test_long_csv_adds_a_month_and_counts_revisions(fresh_db, tmp_path):
    f = write(
        tmp_path,
        "feb24.csv",
        "ref,period,value,status\nCIN1,2024-02,300,\nCIN8,2024-02,81.0%,\n"
        "SG16,2024-02,,not yet available\nFD1,2023-09,1320,\n",
    )
    code, out, err = run_load(fresh_db, f)
    assert code == 0, err
    assert "3 values added, 1 revised an earlier figure" in out
    r = store.ReadOnlyStore(fresh_db)
    latest = r.observations_as_of("latest", "tameside", ["CIN8", "SG16", "FD1"])
    latest = latest.set_index(["ref", "period"])
    assert latest.loc[("CIN8", dt.date(2024, 2, 1)), "value"] == 81.0
    assert latest.loc[("SG16", dt.date(2024, 2, 1)), "status"] == "not_yet_available"
    assert pd.isna(latest.loc[("SG16", dt.date(2024, 2, 1)), "value"])
    assert latest.loc[("FD1", dt.date(2023, 9, 1)), "value"] == 1320
    # the Mar-24 vintage still shows what it printed
    old = r.observations_as_of("pack-2024-03", "tameside", ["FD1"]).set_index("period")["value"]
    assert old[dt.date(2023, 9, 1)] == 1318
    # a blank over a published figure keeps the figure, so it is not reported as a revision (an adversarial pass)
    f = write(tmp_path, "blank.csv", "ref,period,value,status\nFD1,2023-09,,missing\n")
    code, out, err = run_load(fresh_db, f)
    assert "0 revised an earlier figure" in out, out + err
    store.ReadOnlyStore.close_all()
    kept = store.ReadOnlyStore(fresh_db).observations_as_of("latest", "tameside", ["FD1"]).set_index("period")
    assert kept.loc[dt.date(2023, 9, 1), "value"] == 1320


def test_wide_xlsx_in_the_teams_layout(fresh_db, tmp_path):
    f = xlsx(
        tmp_path,
        [
            ["Ref", "Indicator", "Jan-24", "Feb-24", "Previous Year", "Target", "Performance"],
            ["Caseloads", "", "", "", "", "", ""],
            [
                "CIN8",
                "Child and Family Assessments completed under 45 working days (%)",
                "86.3%",
                "88.0%",
                "76%",
                "85%",
                "G",
            ],
            ["CIN1", "Referrals received (No. month)", 318, 290, 280, "", "A"],
            ["SG16", "Audits completed (No Month)", "", "Not Yet Available", "", "", ""],
        ],
    )
    code, out, err = run_load(fresh_db, f)
    assert code == 0, err
    assert "3 values added" in out and "0 revised" in out and "2 unchanged" in out


def test_wide_csv_month_columns_in_iso_form(fresh_db, tmp_path):
    f = write(tmp_path, "wide.csv", "Ref,Indicator,2024-02,Notes\nWF4,Agency social workers,28%,ignored\n")
    code, out, err = run_load(fresh_db, f)
    assert code == 0, err
    assert "1 values added" in out


def test_weekly_rows_load_in_long_layout(fresh_db, tmp_path):
    f = write(tmp_path, "week.csv", "ref,period,value\nCW1,2023-11-03,300\n")
    code, out, err = run_load(fresh_db, f)
    assert code == 0, err
    w = store.ReadOnlyStore(fresh_db).weekly_as_of("latest", "tameside")
    assert (w["week_ending"].astype(str).str.startswith("2023-11-03")).any()
