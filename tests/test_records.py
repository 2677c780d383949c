"""Annex A records: the reader, pseudonyms, working days and the computed refs, each on hand-made lists with the
answer worked out by hand. Every workbook here is SYNTHETIC: invented IDs, dates and values, no real child."""

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard import cli
from dashboard.input.reading import LoadRejected
from dashboard.records import annex_a, compute, pseudonym, workdays
from dashboard.records.measures import REGISTRY

D = dt.date
KEY = b"synthetic-test-key-0001"
AS_AT = D(2024, 1, 31)
# England and Wales bank holidays in the weeks these lists cover, written out as the worked answers assume them
# (the package's own calendar is checked against them below, where the package is installed).
BANK = {D(2023, 8, 28), D(2023, 12, 25), D(2023, 12, 26), D(2024, 1, 1)}

HEAD = {
    "List 1": ["Child Unique ID", "Gender", "Date of Birth", "Age", "Date of Contact", "Contact Source"],
    "List 3": ["Child Unique ID", "Date of Birth", "Date of Referral", "Referral NFA?"],
    "List 4": [
        "Child Unique ID",
        "Date of Birth",
        "Continuous Assessment Start Date",
        "Continuous Assessment Date of Authorisation",
        "Was the child assessed as requiring LA children's social care support?",
    ],
    "List 5": [
        "Child Unique ID",
        "Date of Birth",
        "Strategy discussion initiating Section 47 Enquiry Start Date",
        "Date of Initial Child Protection Conference",
    ],
    "List 6": ["Child Unique ID", "Date of Birth", "CIN Start Date", "CIN Closure Date", "Case Status"],
    "List 7": [
        "Child Unique ID",
        "Date of Birth",
        "Child Protection Plan Start Date",
        "Date of the Last Statutory Visit",
        "Child Protection Plan End Date",
    ],
    "List 8": [
        "Child Unique ID",
        "Date of Birth",
        "Date Started to be Looked After",
        "Date Ceased to be Looked After",
        "Date of Last Health Assessment",
        "Date of Last Dental Check",
        "Number of Placements in the Last 12 months",
        "Placement postcode",
    ],
}
DOB = D(2012, 3, 17)

# The synthetic records. Comments give each row's part in the worked answers.
ROWS = {
    "List 1": [
        ["SYN-C1", "a) Male", DOB, 11, D(2024, 1, 3), "Police"],  # Jan
        ["SYN-C2", "b) Female", DOB, 11, "16/01/2024", "Police"],  # Jan, a UK text date
        ["SYN-C3", "a) Male", DOB, 11, 45322, "Police"],  # Jan: Excel serial 45322 = 2024-01-31
        ["SYN-C4", "a) Male", DOB, 11, D(2023, 12, 4), "Police"],  # Dec
        ["SYN-C5", "a) Male", DOB, 11, "#N/A", "Police"],  # finding: missing_date
        ["SYN-C6", "a) Male", DOB, 11, "soon", "Police"],  # finding: unreadable_date
    ],
    "List 3": [
        ["SYN-R1", DOB, D(2024, 1, 5), "b) No"],  # Jan
        ["SYN-R2", DOB, D(2024, 1, 9), "a) Yes"],  # Jan
        ["SYN-R2", DOB, D(2024, 1, 9), "a) Yes"],  # finding: duplicate (left out)
        ["SYN-R3", DOB, D(2024, 2, 10), "b) No"],  # finding: future_date
        ["\xa0", DOB, D(2024, 1, 10), "b) No"],  # finding: missing_id
    ],
    "List 4": [
        ["SYN-A1", DOB, D(2023, 11, 24), D(2024, 1, 31), "b) No"],  # Jan, on its 45th working day: in time; not in need
        ["SYN-A2", DOB, D(2023, 11, 23), D(2024, 1, 31), "a) Yes"],  # Jan, on its 46th: late
        ["SYN-A3", DOB, D(2024, 1, 10), D(2024, 1, 12), "Yes"],  # Jan, 2 working days: in time
        ["SYN-A3", DOB, D(2024, 1, 10), D(2024, 1, 12), "Yes"],  # finding: duplicate
        ["SYN-A4", DOB, D(2023, 12, 1), D(2023, 12, 20), "No"],  # Dec, 13 working days: in time; not in need
        ["SYN-A5", DOB, D(2024, 1, 20), D(2024, 1, 15), "No"],  # finding: date_order (authorised before its start)
        ["SYN-A6", DOB, D(2024, 1, 22), None, None],  # open: in no month's CIN6
        ["SYN-A7", DOB, D(2024, 1, 2), D(2024, 1, 4), "CS Assessment Updated"],  # Jan, in time; finding: unknown_code
    ],
    "List 5": [
        ["SYN-S1", DOB, D(2023, 12, 20), D(2024, 1, 12)],  # ICPC Jan, 14 working days over Christmas: in time
        ["SYN-S2", DOB, D(2023, 12, 12), D(2024, 1, 9)],  # ICPC Jan, 17 working days: late
        ["SYN-S3", DOB, D(2024, 1, 3), None],  # strategy Jan, no ICPC
        ["SYN-S4", DOB, D(2024, 1, 15), D(2024, 1, 10)],  # finding: date_order (ICPC before strategy)
    ],
    "List 6": [
        ["SYN-N1", DOB, D(2023, 9, 10), None, "c) Child in need plan"],  # Sep..Jan
        ["SYN-N2", DOB, D(2023, 12, 31), D(2024, 1, 31), "CIN"],  # Dec only: started and closed on month ends
        ["SYN-N3", DOB, D(2023, 1, 1), None, "b) Child Protection plan"],  # not a CIN plan
        ["SYN-N4", DOB, D(2023, 1, 1), None, "Banana"],  # finding: unknown_code
    ],
    "List 7": [
        ["SYN-P1", DOB, D(2023, 10, 1), D(2024, 1, 10), D(2024, 1, 31)],  # Oct..Dec: ends on Jan's last day
        ["SYN-P2", DOB, D(2024, 1, 31), None, None],  # Jan: starts on its last day; never visited
        ["SYN-P3", DOB, D(2023, 6, 1), None, D(2023, 9, 15)],  # Aug only
        ["SYN-P4", DOB, D(2023, 12, 1), None, D(2023, 11, 1)],  # finding: date_order (ends before it began)
        ["SYN-P6", DOB, D(2023, 11, 1), D(2024, 1, 3), None],  # Nov..Jan; visited 28 days before 31 Jan
        ["SYN-P7", DOB, D(2023, 11, 1), D(2024, 1, 2), None],  # Nov..Jan; visited 29 days before
        ["SYN-P8", DOB, D(2022, 7, 15), D(2024, 1, 20), None],  # Aug..Jan; over 18 months after 15 Jan 2024
        ["SYN-P9", DOB, D(2021, 12, 31), None, D(2023, 10, 31)],  # Aug, Sep; over 18 months; ends on Oct's last day
        ["SYN-P10", DOB, D(2021, 8, 1), D(2024, 1, 25), None],  # Aug..Jan; over 2 years after 1 Aug 2023
    ],
    "List 8": [
        ["SYN-L1", DOB, D(2023, 1, 1), D(2023, 12, 31), None, None, 1, "ZZ9 9ZZ"],  # Aug..Nov: ceased on Dec's last day
        ["SYN-L2", DOB, D(2024, 1, 31), None, None, None, 3, "ZZ9 9ZZ"],  # Jan; 3 placements
        ["SYN-L1", DOB, D(2024, 1, 15), None, None, None, 1, "ZZ9 9ZZ"],  # Jan: L1 again, a new episode
        ["SYN-L2", DOB, D(2024, 1, 20), None, None, None, 3, "ZZ9 9ZZ"],  # Jan: L2 twice, counted once
        # Aug..Jan. At 31 Jan: L3, L4 and L6 looked after 12 months or more (L4 exactly), L5 not.
        ["SYN-L3", DOB, D(2022, 5, 1), None, D(2023, 2, 1), D(2023, 1, 30), "2", "ZZ9 9ZZ"],  # health in time only
        ["SYN-L4", DOB, D(2023, 1, 31), None, None, D(2023, 12, 1), "#N/A", "ZZ9 9ZZ"],  # dental in time
        ["SYN-L5", DOB, D(2023, 2, 1), None, D(2024, 1, 1), D(2024, 1, 1), 4.0, "ZZ9 9ZZ"],  # under 12 months
        ["SYN-L6", DOB, D(2020, 1, 1), None, D(2024, 1, 10), None, "three", "ZZ9 9ZZ"],  # health; finding: number
    ],
}

# Worked by hand (months Aug-23 .. Jan-24; blank is None: no cases is not 0%).
EXPECTED = {
    "FD1": [0, 0, 0, 0, 1, 3],
    "CIN1": [0, 0, 0, 0, 0, 2],
    "CIN6": [0, 0, 0, 0, 1, 4],
    "CIN8": [None, None, None, None, 100.0, 75.0],
    "CIN5": [None, None, None, None, 100.0, 33.3],
    "CIN9": [0, 0, 0, 0, 2, 1],
    "SG7": [0, 0, 0, 0, 0, 2],
    "SG6": [None, None, None, None, None, 50.0],
    "CIN16": [0, 1, 1, 1, 2, 1],
    "CIN18": [4, 3, 3, 5, 5, 5],
    "SG13": [50.0, 66.7, 33.3, 20.0, 20.0, 40.0],
    "SG14": [25.0, 33.3, 33.3, 20.0, 20.0, 20.0],
    "CF1": [5, 5, 5, 5, 4, 6],
}
MONTHS = [D(2023, 8, 1), D(2023, 9, 1), D(2023, 10, 1), D(2023, 11, 1), D(2023, 12, 1), D(2024, 1, 1)]


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A SYNTHETIC Annex A workbook: sheet title -> rows (header first)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def standard(tmp_path: Path, name: str = "annex_a_synthetic.xlsx", **changes) -> Path:
    sheets = {title: [HEAD[title]] + rows for title, rows in ROWS.items()}
    sheets.update(changes)
    return workbook(tmp_path / name, sheets)


@pytest.fixture()
def extract(tmp_path):
    return annex_a.read(standard(tmp_path), AS_AT, KEY)


def figures(extract, **kw):
    return compute.compute([extract], bank_holidays=BANK, **kw).figures


# --- working days ---------------------------------------------------------------------------------------------


def test_working_days_over_a_bank_holiday_week():
    # 24 Nov -> 31 Jan: 4 (27-30 Nov) + 15 in Dec (less 25, 26 Dec) + 22 in Jan (less 1 Jan) = 45
    assert workdays.working_days_between(D(2023, 11, 24), D(2024, 1, 31), BANK) == 45
    assert workdays.working_days_between(D(2023, 11, 23), D(2024, 1, 31), BANK) == 46
    assert workdays.working_days_between(D(2023, 11, 24), D(2024, 1, 31), set()) == 48  # the holidays count
    assert workdays.working_days_between(D(2024, 1, 12), D(2024, 1, 13), BANK) == 0  # a Saturday
    assert workdays.working_days_between(D(2024, 1, 12), D(2024, 1, 12), BANK) == 0


def test_package_calendar_has_the_bank_holidays():
    got = workdays.bank_holidays([2023, 2024])
    assert got >= BANK
    assert D(2023, 5, 8) in got  # the Coronation: a one-off a hand-typed rule would miss
    assert workdays.working_days_between(D(2023, 11, 24), D(2024, 1, 31)) == 45


def test_no_calendar_means_working_day_refs_are_not_computed(extract, monkeypatch):
    def unavailable(years):
        raise workdays.CalendarUnavailable("no calendar")

    monkeypatch.setattr(workdays, "bank_holidays", unavailable)
    done = compute.compute([extract])
    assert set(done.figures["ref"]) == set(EXPECTED) - {"CIN8", "SG6"} | {"CIN20", "CF4", "CF23", "CF25"}
    # (the refs whose columns these older-style lists lack are noted too: see test_records_refs.py)
    assert [n for n in done.notes if "filled in" not in n] == ["CIN8, SG6 not computed: no calendar"]


# --- the definitions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", sorted(EXPECTED))
def test_each_definition_worked_by_hand(extract, ref):
    got = figures(extract)
    got = got[got["ref"] == ref]
    assert got["month"].tolist() == MONTHS
    values = [None if pd.isna(v) else v for v in got["computed"]]
    assert values == EXPECTED[ref]


def test_percentages_carry_numerator_and_denominator(extract):
    got = figures(extract).set_index(["ref", "month"])
    assert got.loc[("CIN8", D(2024, 1, 1)), ["numerator", "denominator"]].tolist() == [3, 4]
    assert got.loc[("SG13", D(2024, 1, 1)), ["numerator", "denominator"]].tolist() == [2, 5]
    assert got.loc[("SG6", D(2024, 1, 1)), ["numerator", "denominator"]].tolist() == [1, 2]
    assert got.loc[("CIN8", D(2023, 10, 1)), ["numerator", "denominator"]].tolist() == [0, 0]


def test_percentages_round_half_up(tmp_path):
    # 1 of 16 ICPCs in time is 6.25%, printed 6.3 (round-half-even would give 6.2)
    rows = [HEAD["List 5"]] + [[f"SYN-S{i}", DOB, D(2024, 1, 2), D(2024, 1, 31 if i else 4)] for i in range(16)]
    got = compute.compute([annex_a.read(standard(tmp_path, **{"List 5": rows}), AS_AT, KEY)], bank_holidays=BANK)
    sg6 = got.figures.set_index(["ref", "month"]).loc[("SG6", D(2024, 1, 1))]
    assert (sg6["computed"], sg6["numerator"], sg6["denominator"]) == (6.3, 1, 16)


def test_measures_at_the_extract_date(extract):
    got = figures(extract).set_index("ref")
    cols = ["month", "computed", "numerator", "denominator"]
    # Open at 31 Jan: P2 (never visited), P6 (28 days), P7 (29 days: late), P8 (11 days), P10 (6 days) -> 3 of 5
    assert got.loc[["CIN20"], cols].values.tolist() == [[D(2024, 1, 1), 60.0, 3, 5]]
    # Looked after at 31 Jan with a count of placements: L1 (1), L2 (3), L3 (2), L5 (4) -> 2 of 4 with three or more
    assert got.loc[["CF4"], cols].values.tolist() == [[D(2024, 1, 1), 50.0, 2, 4]]
    # Looked after 12 months or more at 31 Jan: L3, L4, L6; health assessment in 12 months: L3, L6; dental: L4
    assert got.loc[["CF23"], cols].values.tolist() == [[D(2024, 1, 1), 66.7, 2, 3]]
    assert got.loc[["CF25"], cols].values.tolist() == [[D(2024, 1, 1), 33.3, 1, 3]]


def test_findings_are_left_out_and_counted(extract):
    got = figures(extract).drop_duplicates("ref").set_index("ref")["excluded"]
    # rows with a finding on a column the ref uses (duplicates and missing IDs touch every ref of their list)
    assert got.to_dict() == {
        "FD1": 2, "CIN1": 3, "CIN6": 2, "CIN8": 2, "CIN5": 3, "CIN9": 1, "SG7": 1, "SG6": 1,
        "CIN16": 1, "CIN18": 1, "CIN20": 1, "SG13": 1, "SG14": 1, "CF1": 0, "CF4": 1, "CF23": 0, "CF25": 0,
    }  # fmt: skip


def test_an_empty_list_is_not_a_month_of_zeros(tmp_path):
    empty = annex_a.read(standard(tmp_path, "empty7.xlsx", **{"List 7": [HEAD["List 7"]]}), D(2024, 2, 29), KEY)
    done = compute.compute([empty], bank_holidays=BANK)
    assert not set(done.figures["ref"]) & {"CIN18", "CIN20", "SG13", "SG14"}
    assert [n for n in done.notes if "filled in" not in n] == [
        "empty7.xlsx: List 7 has no records, so CIN18, CIN20, SG13, SG14 are not computed from it"
    ]
    # an older extract with plans still gives its months, though the newer one covers them
    older = annex_a.read(standard(tmp_path), AS_AT, KEY)
    got = compute.compute([older, empty], bank_holidays=BANK).figures.set_index(["ref", "month"])
    assert got.loc[("CIN18", D(2024, 1, 1)), ["computed", "extract"]].tolist() == [5, "annex_a_synthetic.xlsx"]
    assert got.loc[("CIN1", D(2024, 1, 1)), "extract"] == "empty7.xlsx"


def test_month_rules():
    assert [m for m, _ in compute.months_for("event", D(2024, 1, 31))] == MONTHS
    assert [m for m, _ in compute.months_for("event", D(2024, 1, 15))] == MONTHS[:-1]  # January is not whole
    snap = compute.months_for("snapshot", D(2024, 1, 15))
    assert snap[0] == (D(2023, 7, 1), D(2023, 7, 31)) and snap[-1] == (D(2023, 12, 1), D(2023, 12, 31))
    assert compute.months_for("as_at", D(2024, 1, 15)) == [(D(2024, 1, 1), D(2024, 1, 15))]


def test_newest_extract_wins_a_month(tmp_path):
    older = annex_a.read(standard(tmp_path, "a.xlsx"), D(2024, 1, 31), KEY)
    rows = ROWS["List 3"] + [["SYN-R9", DOB, D(2024, 1, 20), "b) No"]]
    newer = annex_a.read(standard(tmp_path, "b.xlsx", **{"List 3": [HEAD["List 3"]] + rows}), D(2024, 2, 29), KEY)
    for order in ([older, newer], [newer, older]):
        got = compute.compute(order, bank_holidays=BANK).figures.set_index(["ref", "month"])
        assert got.loc[("CIN1", D(2024, 1, 1)), "computed"] == 3
        assert got.loc[("CIN1", D(2024, 1, 1)), "extract"] == "b.xlsx"
        assert got.loc[("CIN1", D(2023, 8, 1)), "extract"] == "a.xlsx"  # only the older covers August
    same_day = annex_a.read(standard(tmp_path, "c.xlsx"), D(2024, 2, 29), KEY)
    got = compute.compute([newer, same_day], bank_holidays=BANK).figures.set_index(["ref", "month"])
    assert got.loc[("CIN1", D(2024, 1, 1)), ["computed", "extract"]].tolist() == [2, "c.xlsx"]  # then load order


def test_registry_refs():
    refs = [m.ref for m in REGISTRY]
    assert {"CIN8", "SG6", "CIN18", "CF1", "FD1", "CIN1", "CIN6", "CIN9", "SG7", "CIN16", "CIN20"} <= set(refs)
    assert len(refs) == len(set(refs))


# --- the reader ---------------------------------------------------------------------------------------------------


def test_findings_listed_per_list_with_the_rule(extract):
    f = extract.findings
    got = sorted(zip(f["list"], f["row"], f["column"], f["rule"]))
    assert got == sorted(
        [
            ("list_1", 6, "contact_date", "missing_date"),
            ("list_1", 7, "contact_date", "unreadable_date"),
            ("list_3", 4, "referral_date", "duplicate"),
            ("list_3", 5, "referral_date", "future_date"),
            ("list_3", 6, "child", "missing_id"),
            ("list_4", 5, "assessment_start", "duplicate"),
            ("list_4", 7, "assessment_start", "date_order"),
            ("list_4", 7, "assessment_authorised", "date_order"),
            ("list_4", 9, "not_in_need", "unknown_code"),
            ("list_5", 5, "strategy_date", "date_order"),
            ("list_5", 5, "icpc_date", "date_order"),
            ("list_6", 5, "case_status", "unknown_code"),
            ("list_8", 9, "placements_12m", "unreadable_number"),
            ("list_7", 5, "cp_start", "date_order"),
            ("list_7", 5, "cp_end", "date_order"),
        ]
    )
    assert set(f["rule"]) <= set(annex_a.RULES)


def test_header_sheet_and_value_variants(tmp_path):
    sheets = {title: [HEAD[title]] + rows for title, rows in ROWS.items()}
    sheets["List_3"] = [["CHILD\xa0 unique  id", "DOB", "Date of referral", "Referral NFA?"]] + [
        ["SYN-R1", "17/03/2012", " 05/01/2024 ", "b) No"],
        ["SYN-R2", "#N/A", "2024-01-09", "0 - No"],
        ["SYN-R4", None, "09.01.2024", "b) No"],
    ]
    del sheets["List 3"]
    sheets["Children Looked After"] = sheets.pop("List 8")
    sheets["Contacts"] = [["Synthetic records for tests"], []] + sheets.pop("List 1")  # title rows above the header
    sheets["List 6"] = [HEAD["List 6"]] + [
        ["SYN-N1", DOB, D(2023, 9, 10), "#N/A", "CiN Plan"],
        ["SYN-N5", DOB, D(2023, 9, 10), None, "c. Child in need plan"],
    ]
    got = annex_a.read(workbook(tmp_path / "variants.xlsx", sheets), AS_AT, KEY)
    assert got.findings[got.findings["list"].isin(["list_3", "list_6"])].empty
    refs = got.lists["list_3"]
    assert refs["referral_date"].dt.date.tolist() == [D(2024, 1, 5), D(2024, 1, 9), D(2024, 1, 9)]
    assert refs["birth_month"].tolist()[0] == pd.Timestamp(2012, 3, 1) and pd.isna(refs["birth_month"][1])
    assert got.lists["list_6"]["case_status"].tolist() == ["cin", "cin"]
    assert len(got.lists["list_8"]) == len(ROWS["List 8"]) and len(got.lists["list_1"]) == 6
    assert got.lists["list_1"]["row"].tolist()[0] == 4  # rows named as the user sees them
    assert annex_a.read_code("a) Male") == "male" and annex_a.read_code("#N/A") is None
    assert annex_a.read_date("16/09/2020") == (D(2020, 9, 16), True)
    assert annex_a.read_date(dt.datetime(2020, 9, 16, 0, 0)) == (D(2020, 9, 16), True)
    assert annex_a.read_date("31/02/2020") == (None, False)


def _refused(path: Path) -> list[str]:
    with pytest.raises(LoadRejected) as exc:
        annex_a.read(path, AS_AT, KEY)
    return [str(p) for p in exc.value.problems]


def test_refused_missing_required_column(tmp_path):
    head = [h for h in HEAD["List 4"] if h != "Continuous Assessment Date of Authorisation"]
    path = standard(tmp_path, **{"List 4": [head, ["SYN-A1", DOB, D(2024, 1, 2), "No"]]})
    assert _refused(path) == [
        "annex_a_synthetic.xlsx, List 4 (sheet 'List 4'), row 1, column 'continuous assessment date of "
        "authorisation': required column not found"
    ]


def test_refused_list_not_found(tmp_path):
    sheets = {title: [HEAD[title]] + rows for title, rows in ROWS.items() if title != "List 7"}
    problems = _refused(workbook(tmp_path / "no7.xlsx", sheets))
    assert len(problems) == 1 and problems[0].startswith("no7.xlsx: no sheet for List 7 (Child protection)")


def test_refused_formula_with_no_stored_value(tmp_path):
    rows = [HEAD["List 3"], ["SYN-R1", DOB, D(2024, 1, 5), "b) No"], ["SYN-R2", DOB, "=C2+1", "b) No"]]
    problems = _refused(standard(tmp_path, **{"List 3": rows}))
    assert problems == [
        "annex_a_synthetic.xlsx, List 3 (sheet 'List 3'), row 3, column 'Date of Referral': a formula with no "
        "stored value (C3): open and save the file in Excel so the values are stored, then load it again"
    ]


def test_a_formula_with_its_stored_value_is_read_as_the_value(tmp_path):
    import zipfile

    rows = [HEAD["List 3"], ["SYN-R1", DOB, D(2024, 1, 5), "b) No"], ["SYN-R2", DOB, "=C2+1", "b) No"]]
    path = standard(tmp_path, **{"List 3": rows})
    saved = tmp_path / "saved_by_excel.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(saved, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if b"<f>C2+1</f>" in data:  # Excel stores the value beside the formula: 45297 is 2024-01-06
                data = data.replace(b"<f>C2+1</f><v />", b"<f>C2+1</f><v>45297</v>")
            dst.writestr(item, data)
    got = annex_a.read(saved, AS_AT, KEY).lists["list_3"]
    assert got["referral_date"].dt.date.tolist() == [D(2024, 1, 5), D(2024, 1, 6)]


def test_a_formula_in_a_column_not_read_is_not_refused(tmp_path):
    rows = [HEAD["List 3"] + ["Note"], ["SYN-R1", DOB, D(2024, 1, 5), "b) No", "=A2"]]
    assert len(annex_a.read(standard(tmp_path, **{"List 3": rows}), AS_AT, KEY).lists["list_3"]) == 1


def test_refused_not_a_workbook(tmp_path):
    path = tmp_path / "extract.xlsx"
    path.write_text("Child Unique ID,Date of Contact\nSYN-1,01/01/2024\n")
    assert _refused(path) == ["extract.xlsx: not an Excel workbook (.xlsx): it cannot be opened as one"]
    bad = tmp_path / "damaged.xlsx"
    raw = io.BytesIO()
    openpyxl.Workbook().save(raw)
    bad.write_bytes(raw.getvalue()[:200])
    assert _refused(bad)[0].startswith("damaged.xlsx: not ")


# --- keep only what the figures need ------------------------------------------------------------------------------


def test_pseudonyms_stable_with_one_key_and_different_with_another(tmp_path):
    path = standard(tmp_path)
    a = annex_a.read(path, AS_AT, KEY)
    b = annex_a.read(standard(tmp_path, "next_month.xlsx"), D(2024, 2, 29), KEY)
    c = annex_a.read(path, AS_AT, b"another-council-key-0002")
    for k in a.lists:
        assert a.lists[k]["child"].tolist() == b.lists[k]["child"].tolist()
        assert set(a.lists[k]["child"].dropna()).isdisjoint(set(c.lists[k]["child"].dropna()))
    assert pseudonym.pseudonym(KEY, 9212044) == pseudonym.pseudonym(KEY, "9212044.0".replace(".0", ""))
    assert pseudonym.pseudonym(KEY, 9212044.0) == pseudonym.pseudonym(KEY, " 9212044\xa0")


def test_no_identifier_in_the_output(extract):
    text = " ".join(
        str(v) for frame in extract.lists.values() for col in frame.columns for v in frame[col].tolist()
    ) + " ".join(map(str, extract.findings.astype(str).values.ravel()))
    assert "SYN-" not in text  # no raw ID
    assert "ZZ9" not in text  # no postcode
    assert "2012-03-17" not in text and "17/03/2012" not in text  # no full date of birth
    for frame in extract.lists.values():
        assert set(frame.columns) <= {"row", "child", "birth_month", "case_status"} | {
            c for spec in annex_a.LISTS.values() for c in (col.key for col in spec.columns)
        } - {"dob"}
        assert (frame["birth_month"].dropna().dt.day == 1).all()


def test_key_required_outside_the_demo(tmp_path):
    with pytest.raises(pseudonym.NoKey, match="DASHBOARD_RECORDS_KEY"):
        pseudonym.resolve_key(env={}, secrets_paths=[tmp_path / "none.toml"])
    with pytest.raises(pseudonym.NoKey, match="at least 16"):
        pseudonym.resolve_key(env={"DASHBOARD_RECORDS_KEY": "short"}, secrets_paths=[])
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('records_key = "from-secrets-0123456789"\n')
    assert pseudonym.resolve_key(env={}, secrets_paths=[secrets]) == b"from-secrets-0123456789"
    assert pseudonym.resolve_key(env={"DASHBOARD_RECORDS_KEY": "from-env-0123456789"}) == b"from-env-0123456789"
    assert pseudonym.resolve_key(demo=True) == pseudonym.DEMO_KEY


# --- the CLI ------------------------------------------------------------------------------------------------------


def test_records_compute_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_RECORDS_KEY", KEY.decode())
    monkeypatch.setattr(workdays, "bank_holidays", lambda years: frozenset(BANK))
    path = standard(tmp_path)
    assert cli.main(["records-compute", str(path), "--as-at", "2024-01-31", "--month", "2024-01"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "ref,month,computed,numerator,denominator,excluded,extract"
    assert "CIN8,2024-01,75,3,4,2,annex_a_synthetic.xlsx" in out
    assert "CIN18,2024-01,5,5,,1,annex_a_synthetic.xlsx" in out
    assert len(out) == 1 + len(EXPECTED) + 4  # and CIN20, CF4, CF23, CF25; these lists lack the other refs' columns


def test_records_cli_usage_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_RECORDS_KEY", KEY.decode())
    path = str(standard(tmp_path))
    assert cli.main(["records-compute", path, "--as-at", "31/01/2024"]) == 2
    assert capsys.readouterr().err.startswith("--as-at: ")
    assert cli.main(["records-compute", path, path, path, "--as-at", "2024-01-31", "--as-at", "2024-02-29"]) == 2
    assert "one per extract (3)" in capsys.readouterr().err
    assert cli.main(["records-compute", path, "--as-at", "2024-01-31", "--month", "Smarch"]) == 2
    assert capsys.readouterr().err.startswith("--month: ")


def test_records_cli_refuses_a_bad_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_RECORDS_KEY", KEY.decode())
    sheets = {title: [HEAD[title]] + rows for title, rows in ROWS.items() if title != "List 5"}
    assert cli.main(["records-compute", str(workbook(tmp_path / "x.xlsx", sheets)), "--as-at", "2024-01-31"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[-1] == "rejected: 1 problem; nothing was loaded"
    assert "no sheet for List 5" in captured.err


def test_records_cli_refuses_without_a_key(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DASHBOARD_RECORDS_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cli.main(["records-compute", str(standard(tmp_path)), "--as-at", "2024-01-31"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no records key" in captured.err


def test_reconcile_cli_against_the_loaded_figures(tmp_path, monkeypatch, capsys, built_db):
    monkeypatch.setenv("DASHBOARD_RECORDS_KEY", KEY.decode())
    monkeypatch.setattr(workdays, "bank_holidays", lambda years: frozenset(BANK))
    before = built_db.read_bytes()
    args = ["--db", str(built_db), "reconcile", "--month", "2024-01", "--extract", str(standard(tmp_path))]
    assert cli.main(args + ["--as-at", "2024-01-31"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"month": str})
    assert out.columns.tolist()[:5] == ["ref", "month", "computed", "loaded", "difference"]
    row = out.set_index("ref").loc["CIN1"]
    assert (row["month"], row["computed"], row["loaded"], row["difference"]) == ("2024-01", 2, 318, -316)
    assert built_db.read_bytes() == before  # read only


def test_reconcile_compares_at_the_printed_precision(reader):
    """A percentage printed as a whole number (CIN4 19%, CIN5 26%, CIN20 71% in Jan-24) is compared with the
    computed figure rounded the same way; one printed to one place (CIN8 86.3%) at one place."""
    from dashboard.records import reconcile

    month = D(2024, 1, 1)
    loaded = reconcile.loaded_figures(reader, month).set_index("ref")
    assert loaded.loc[["CIN4", "CIN5", "CIN20", "CIN8", "CIN1"], "decimals"].tolist() == [0, 0, 0, 1, 0]
    computed = pd.DataFrame(
        {
            "ref": ["CIN4", "CIN5", "CIN20", "CIN8", "CIN1", "WF9"],
            "month": [month] * 6,
            # 19.4 prints as 19 (agrees); 26.5 as 27 (halves up: differs by 1); 70.6 as 71; 86.4 differs by 0.1
            "computed": [19.4, 26.5, 70.6, 86.4, 318.0, None],
            "numerator": [1.0] * 6,
            "denominator": [1.0] * 6,
            "excluded": [0] * 6,
            "extract": ["SYNTHETIC.xlsx"] * 6,
            "as_at": [AS_AT] * 6,
        }
    )
    got = reconcile.reconcile(computed, loaded.reset_index(), month).set_index("ref")
    assert got["difference"].loc[["CIN4", "CIN5", "CIN20", "CIN8", "CIN1"]].tolist() == [0, 1, 0, 0.1, 0]
    assert pd.isna(got.loc["WF9", "difference"])  # no cases: blank, never 0
    assert got.loc["CIN4", "computed"] == 19.4  # the computed figure itself is kept as computed


def test_a_series_printed_to_one_place_keeps_it_in_a_whole_month():
    from dashboard.records import reconcile

    assert [reconcile.decimals(v) for v in (26.0, 86.3, 3.25, 318.0)] == [0, 1, 2, 0]
    month = D(2024, 1, 1)
    loaded = pd.DataFrame({"ref": ["CF3", "CF9"], "loaded": [87.0, 3.25], "decimals": [1.0, 2.0]})
    computed = pd.DataFrame(
        {"ref": ["CF3", "CF9"], "month": [month] * 2, "computed": [87.1, 3.3], "numerator": [1, 1]}
        | {"denominator": [1, 1], "excluded": [0, 0], "extract": ["x", "x"], "as_at": [AS_AT] * 2}
    )
    got = reconcile.reconcile(computed, loaded, month).set_index("ref")["difference"]
    # 87.0 in a series printed to one place differs from 87.1; 3.25 is compared at the computed figure's one place
    assert got.tolist() == [0.1, 0]


def test_each_computed_figure_is_told_in_words_from_its_registry_row():
    from dashboard.records.measures import definition

    by_ref = {m.ref: m for m in REGISTRY}
    assert definition(by_ref["CIN8"]) == (
        "The rows of List 4 (Assessments) whose ‘Continuous assessment date of authorisation’ is in the month. The "
        "figure is the percentage of them whose ‘Continuous assessment date of authorisation’ is 45 working days "
        "(Monday to Friday, less bank holidays) or fewer after their ‘Continuous assessment start date’. Rows with a "
        "data-quality finding that touches this figure are left out."
    )
    assert definition(by_ref["CIN18"]).startswith(
        "The children of List 7 (Child protection) open at the month end (‘Child protection plan start date’ on or "
        "before it and no ‘Child protection plan end date’ on or before it). Each child is counted once. The figure "
        "is how many there are."
    )
    assert "aged 17 to 21 (whole years from the month of birth)" in definition(by_ref["CF30"])
    assert "percentage where it is Yes (in touch)" in definition(by_ref["CF30"])
    assert "whose ‘Date started to be looked after’ is 12 months or more before the extract's as-at date" in (
        definition(by_ref["CF23"])
    )
    assert "more than 18 months before the month end" in definition(by_ref["SG13"])
    assert "divided by the number of workers" in definition(by_ref["WF9"]) and "social work team" in (
        definition(by_ref["WF9"])
    )
    for m in REGISTRY:  # every row: its list, its timescale, how it counts, and never a code name
        text = definition(m)
        assert f"List {annex_a.LISTS[m.list].number} (" in text, m.ref
        assert ("Each child is counted once." in text) == (m.count == "children"), m.ref
        assert ("percentage" in text) == m.percent, m.ref
        if m.within:
            assert f" {m.within.limit} " in text, m.ref
        assert "_" not in text and "@" not in text, m.ref


def test_names_in_any_script_are_kept_apart_and_granted_by_the_same_key():
    """Found on an adversarial pass: the reader kept only a-z and 0-9 in a worker's or team's name, so 'Олена
    Коваль' became no worker (a finding), 'Siân Jones' and 'Sián Jones' one worker (a caseload changed), and a
    records grant for 'Tîm Gogledd' never matched its team."""
    from dashboard.auth import access
    from dashboard.records import views
    from dashboard.words.formatting import name_key

    keys = [name_key(n) for n in ("Siân Jones", "Sián Jones", "Олена Коваль", "王芳", " Synthetic  Social Worker 3 ")]
    assert keys == ["siân jones", "sián jones", "олена коваль", "王芳", "synthetic social worker 3"]
    assert name_key("**Team** [North](x)") == "team north x" and name_key("O'Brien") == "o'brien"
    table = annex_a.CODES["as_given"]
    assert table.get(name_key("Олена Коваль")) == "олена коваль"  # a name, not an unknown code
    roles = access.parse_roles(
        '[[grant]]\nemail = "w@example.test"\nrole = "viewer"\nrecords = ["cin_cp"]\nteams = ["Tîm Gogledd"]\n',
        "roles.toml",
        known_areas={"cin_cp"},
    )
    who = access.resolve(roles, {"email": "w@example.test"})
    teams = access.record_teams(who, "cin_cp")
    assert views.may_see_team(teams, name_key("TÎM  Gogledd")) and not views.may_see_team(teams, "t m gogledd")
