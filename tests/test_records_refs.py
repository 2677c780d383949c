"""The refs added to the registry after the first seventeen (CIN4, CF3, CF8, CF9, CF30, WF8-WF13), each on hand-made
lists with the answer worked out by hand, and the header and value variants of their columns. Every workbook here is
SYNTHETIC: invented IDs, names, dates and values, no real child or worker."""

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from dashboard.records import annex_a, compute

D = dt.date
KEY = b"synthetic-test-key-0002"
AS_AT = D(2024, 1, 31)
JAN = D(2024, 1, 1)
DOB = D(2012, 3, 17)
BANK = {D(2023, 8, 28), D(2023, 12, 25), D(2023, 12, 26), D(2024, 1, 1)}
FOSTER, HOME = "a) U4: Foster placement - long term", "h) Children’s Homes"

HEAD = {
    "List 1": ["Child Unique ID", "Date of Contact"],
    "List 3": ["Child Unique ID", "Date of Referral", "Number of Referrals in Last 12 Months"],
    "List 4": [
        "Child Unique ID",
        "Continuous Assessment Start Date",
        "Continuous Assessment Date of Authorisation",
        "Was the child assessed as requiring LA children's social care support?",
    ],
    "List 5": ["Child Unique ID", "Strategy discussion date", "Date of ICPC"],
    "List 6": [
        "Child Unique ID",
        "CIN Start Date",
        "CIN Closure Date",
        "Case Status",
        "Allocated Team",
        "Allocated Worker",
    ],
    "List 7": [
        "Child Unique ID",
        "Child Protection Plan Start Date",
        "Child Protection Plan End Date",
        "Date of the Last Statutory Visit",
    ],
    "List 8": [
        "Child Unique ID",
        "Date Started to be Looked After",
        "Date Ceased to be Looked After",
        "Date of Last Social Work Visit",
        "Placement Type",
        "Date of Last Health Assessment",
        "Date of Last Dental Check",
        "Number of Placements in the Last 12 months",
    ],
    "List 9": ["Child Unique ID", "Date of Birth", "LA in Touch", "Allocated Personal Advisor"],
}
LOCAL, CWD, CARED, ADOPT = (
    "Synthetic Locality Team North",
    "Children with Disabilities Team",
    "Cared for Children Team",
    "Adoption Team",
)
ROWS = {
    "List 1": [["SYN-C1", D(2024, 1, 3)]],
    "List 3": [
        ["SYN-R1", D(2024, 1, 5), 1],  # Jan: a first referral
        ["SYN-R2", D(2024, 1, 9), 2],  # Jan: a re-referral (this one and one before it in 12 months)
        ["SYN-R3", D(2024, 1, 10), "3"],  # Jan: a re-referral (text)
        ["SYN-R4", D(2024, 1, 11), "#N/A"],  # Jan: not known, left out of the percentage
        ["SYN-R5", D(2023, 12, 11), 1],  # Dec: a first referral -> 0% (one case, none re-referred)
    ],
    "List 4": [["SYN-A1", D(2024, 1, 2), D(2024, 1, 4), "a) Yes"]],
    "List 5": [["SYN-S1", D(2024, 1, 3), None]],
    "List 6": [
        ["SYN-N1", D(2023, 5, 1), None, "c) Child in need plan", LOCAL, "Synthetic Worker Ash"],
        ["SYN-N1", D(2023, 9, 1), None, "c) Child in need plan", LOCAL, "Synthetic Worker Ash"],  # once per worker
        ["SYN-N2", D(2023, 6, 1), None, "c) Child in need plan", LOCAL, "Synthetic Worker Ash"],
        ["SYN-N3", D(2023, 7, 1), None, "b) Child protection plan", LOCAL, "synthetic  worker ASH"],  # same worker
        ["SYN-N4", D(2023, 7, 1), None, "a) Open assessment", LOCAL, "Synthetic Worker Beech"],
        ["SYN-N5", D(2023, 7, 1), D(2024, 1, 31), "e) Closed episode", LOCAL, "Synthetic Worker Beech"],  # closed
        ["SYN-N6", D(2023, 7, 1), None, "c) Child in need plan", "ISCAN", "Synthetic Worker Cedar"],  # CWD
        ["SYN-N7", D(2022, 7, 1), None, "d) Looked after child", CARED, "Synthetic Worker Damson"],
        ["SYN-N8", D(2022, 7, 1), None, "d) Looked after child", CARED, "Synthetic Worker Elm"],
        ["SYN-N9", D(2022, 7, 1), None, "d) Looked after child", CARED, "Synthetic Worker Elm"],
        ["SYN-N10", D(2022, 7, 1), None, "d) Looked after child", ADOPT, None],  # no worker: in no caseload
    ],
    "List 7": [["SYN-P1", D(2023, 10, 1), None, D(2024, 1, 30)]],
    "List 8": [  # the last three columns (health, dental, placements) are read but not used here
        [
            "SYN-L1",
            D(2023, 1, 1),
            None,
            D(2023, 12, 20),
            FOSTER,
            None,
            None,
            1,
        ],  # visited 42 days before 31 Jan: in time
        ["SYN-L2", D(2023, 1, 1), None, D(2023, 12, 19), "F2", None, None, 1],  # 43 days: late; foster (a code)
        ["SYN-L3", D(2023, 1, 1), None, None, HOME, None, None, 1],  # never visited: late; not foster
        [
            "SYN-L4",
            D(2023, 1, 1),
            D(2024, 1, 31),
            D(2024, 1, 30),
            FOSTER,
            None,
            None,
            1,
        ],  # ceased on 31 Jan: not looked after
        [
            "SYN-L5",
            D(2024, 1, 31),
            None,
            D(2024, 1, 31),
            "#N/A",
            None,
            None,
            1,
        ],  # visited that day; placement not known
    ],
    "List 9": [
        ["SYN-Y1", D(2006, 1, 15), "a) Yes", "Synthetic Adviser Alder"],  # 18: in touch
        ["SYN-Y2", D(2002, 2, 10), "d) Refu", "Synthetic Adviser Alder"],  # 21 (22 from February): refused -> not
        ["SYN-Y3", D(2002, 1, 5), "a) Yes", "Synthetic Adviser Birch"],  # 22: too old for CF30; in WF13
        ["SYN-Y4", D(2007, 1, 31), "Not Recorded", None],  # 17: not recorded -> not in touch; no adviser
        ["SYN-Y5", D(2007, 2, 1), "a) Yes", "Synthetic Adviser Birch"],  # 16: in neither
        ["SYN-Y6", D(2005, 6, 1), None, "Synthetic Adviser Birch"],  # 18: answer blank, left out of CF30
    ],
}
# Worked by hand, at 31 Jan 2024 (CIN4 also Dec; blank is None: no cases is never 0).
EXPECTED = {
    ("CIN4", D(2023, 12, 1)): (0.0, 0, 1),
    ("CIN4", JAN): (66.7, 2, 3),  # R2, R3 of R1-R3 (R4 not known)
    ("CF3", JAN): (50.0, 2, 4),  # L1, L5 of L1, L2, L3, L5
    ("CF8", JAN): (2, 2, None),  # L1, L2
    ("CF9", JAN): (66.7, 2, 3),  # L1, L2 of the known types L1-L3
    ("CF30", JAN): (33.3, 1, 3),  # Y1 of Y1, Y2, Y4 (Y3 22, Y5 16, Y6 blank)
    ("WF8", JAN): (3, 3, 5),  # Ash: N1, N2, N3; five workers with children open at 31 Jan
    ("WF9", JAN): (2.0, 4, 2),  # Ash 3, Beech 1 (N5 closed on the day)
    ("WF10", JAN): (1.0, 1, 1),  # Cedar (ISCAN)
    ("WF11", JAN): (1.5, 3, 2),  # Damson 1, Elm 2
    ("WF12", JAN): (None, 0, 0),  # no worker allocated in the adoption team: blank, never 0
    ("WF13", JAN): (2.0, 4, 2),  # 18+: Alder Y1, Y2; Birch Y3, Y6
}


def workbook(path, sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def standard(tmp_path, name="refs.xlsx", **replace):
    sheets = {title: [HEAD[title]] + rows for title, rows in ROWS.items()}
    sheets.update(replace)
    return workbook(tmp_path / name, {k: v for k, v in sheets.items() if v is not None})


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    path = standard(tmp_path_factory.mktemp("refs"))
    return compute.compute([annex_a.read(path, AS_AT, KEY)], bank_holidays=BANK)


@pytest.mark.parametrize("ref,month", sorted(EXPECTED))
def test_each_new_definition_worked_by_hand(figures, ref, month):
    got = figures.figures.set_index(["ref", "month"]).loc[(ref, month)]
    value, num, den = (None if pd.isna(v) else v for v in got[["computed", "numerator", "denominator"]])
    assert (value, num, den) == EXPECTED[(ref, month)]


def test_as_at_refs_only_in_the_as_at_month(figures):
    got = figures.figures
    for ref in ("CF3", "CF8", "CF9", "CF30", "WF8", "WF9", "WF13"):
        assert got[got["ref"] == ref]["month"].tolist() == [JAN]


def test_without_list_9_or_the_new_columns_those_refs_are_not_computed(tmp_path):
    old = {
        "List 3": [["Child Unique ID", "Date of Referral"], ["SYN-R1", D(2024, 1, 5)]],
        "List 6": [HEAD["List 6"][:4], ["SYN-N1", D(2023, 5, 1), None, "CIN"]],
        "List 8": [HEAD["List 8"][:3] + HEAD["List 8"][5:], ["SYN-L1", D(2023, 1, 1), None, None, None, 1]],
        "List 9": None,
    }
    done = compute.compute([annex_a.read(standard(tmp_path, "old.xlsx", **old), AS_AT, KEY)], bank_holidays=BANK)
    refs = set(done.figures["ref"])
    assert not refs & {"CIN4", "CF3", "CF8", "CF9", "CF30", "WF8", "WF9", "WF10", "WF11", "WF12", "WF13"}
    assert {"CIN1", "CIN16", "CF1"} <= refs  # the rest of the lists still give their figures
    assert "old.xlsx: List 3 has no referrals_12m filled in, so CIN4 is not computed from it" in done.notes


@pytest.mark.parametrize(
    "header,value,code",
    [
        ("Number of referrals in the last 12 months", 2, 2),
        ("No. of Referrals in Last 12 Months", "2", 2),
    ],
)
def test_referral_count_header_variants(tmp_path, header, value, code):
    sheet = [["Child Unique ID", "Date of Referral", header], ["SYN-R1", D(2024, 1, 5), value]]
    got = annex_a.read(standard(tmp_path, **{"List 3": sheet}), AS_AT, KEY).lists["list_3"]
    assert got["referrals_12m"].tolist() == [code]


@pytest.mark.parametrize(
    "value,code",
    [
        ("a) U4: Foster placement - long term", "foster"),
        ("F3 - Placement with agency foster carer in LA", "foster"),
        ("U6", "foster"),
        ("Foster placement with relative or friend", "foster"),
        ("b) Placed for adoption", "other"),
        ("A4 Placed for adoption w. consent not w. current foster carer", "other"),
        ("h) Children’s Homes", "other"),
        ("#N/A", None),
    ],
)
def test_placement_type_values(tmp_path, value, code):
    sheet = [
        [
            "child unique id",
            "Date started looked after",
            "Date ceased looked after",
            "Date of the last statutory visit",
            "Type of placement",
        ]
        + HEAD["List 8"][5:],
        ["SYN-L1", D(2023, 1, 1), None, D(2024, 1, 2), value, None, None, 1],
    ]
    got = annex_a.read(standard(tmp_path, **{"List 8": sheet}), AS_AT, KEY).lists["list_8"]
    assert got["placement_type"].tolist() == [code]
    assert got["cla_last_visit"].tolist() == [pd.Timestamp(2024, 1, 2)]


@pytest.mark.parametrize(
    "value,code",
    [
        ("a) Yes", "yes"),
        ("1 - Yes, resident in the UK", "yes"),
        ("Y", "yes"),
        ("b) No", "no"),
        ("REFUSED", "no"),
        ("Young person no longer requires services", "no"),
        ("No Contact Recorded", "no"),
    ],
)
def test_in_touch_values(tmp_path, value, code):
    sheet = [
        ["Child Unique ID", "Date of Birth", "In touch", "Personal Adviser"],
        ["SYN-Y1", D(2005, 1, 1), value, "A"],
    ]
    got = annex_a.read(standard(tmp_path, **{"Care leavers": sheet, "List 9": None}), AS_AT, KEY).lists["list_9"]
    assert got["in_touch"].tolist() == [code]


def test_an_unknown_in_touch_answer_is_a_finding(tmp_path):
    sheet = [HEAD["List 9"], ["SYN-Y1", D(2005, 1, 1), "Perhaps", "A"]]
    extract = annex_a.read(standard(tmp_path, **{"List 9": sheet}), AS_AT, KEY)
    f = extract.findings
    assert f[f["list"] == "list_9"][["column", "rule"]].values.tolist() == [["in_touch", "unknown_code"]]


@pytest.mark.parametrize(
    "team,code",
    [
        ("Synthetic Locality Team North", "socialwork"),
        ("ISCAN", "cwd"),
        ("Children with Disabilities Team", "cwd"),
        ("Cared for Children Team", "caredfor"),
        ("Looked After Children Team", "caredfor"),
        ("Adoption Team", "adoption"),
        ("Leaving Care Team", "leavingcare"),
        ("16+ Team", "leavingcare"),
    ],
)
def test_team_names_and_header_variants(tmp_path, team, code):
    sheet = [
        [
            "Child Unique ID",
            "CIN Start Date",
            "CIN Closure Date",
            "Case Status",
            "Allocated team name",
            "Social Worker",
        ],
        ["SYN-N1", D(2023, 5, 1), None, "CIN", team, "Synthetic\xa0Worker Ash"],
    ]
    got = annex_a.read(standard(tmp_path, **{"List 6": sheet}), AS_AT, KEY).lists["list_6"]
    assert got[["team_type", "worker"]].values.tolist() == [[code, "synthetic worker ash"]]
