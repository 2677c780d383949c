"""What grows is one row (issue 29, item 1): a comparator added to the vocabulary's registry is read by the
loader, the comparators load, the scorecard frame, its CSV, the rating and the words; the codes are spelled
nowhere else."""

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from dashboard import service
from dashboard.engine import rag
from dashboard.engine import scorecard as scorecard_engine
from dashboard.input import models
from dashboard.words import vocabulary
from dashboard.words.formatting import scorecard_csv, scorecard_csv_columns
from dashboard.writes import loader, reference

SRC = Path(__file__).resolve().parent.parent / "src" / "dashboard"
WALES = vocabulary.Comparator("wales", "Wales", "Wales", spellings=("welsh average",))


@pytest.fixture()
def fifth_comparator(monkeypatch):
    monkeypatch.setattr(vocabulary, "COMPARATOR_REGISTRY", [*vocabulary.COMPARATOR_REGISTRY, WALES])
    return WALES


def test_the_registry_holds_the_printed_scorecards_order_and_every_name():
    assert vocabulary.comparator_codes() == ("gm", "nw", "sn", "england")
    assert vocabulary.COMPARATOR_NAME["sn"] == "Statistical neighbours"
    assert vocabulary.rating_comparators() == ("england", "sn")
    assert vocabulary.comparator_by_name()["stat neighbours"] == "sn"
    assert vocabulary.comparator_by_name()["national"] == "england"
    assert vocabulary.comparator_choices() == "gm, nw, sn or england"


def test_a_fifth_comparator_is_one_row(fifth_comparator, reader):
    # The loader's wide layout reads its name as a column that holds no month (before: refused as a month).
    assert loader.is_known_non_month("Wales") and loader.is_known_non_month("Welsh average")
    assert "wales" in loader.non_month_headers()
    # A comparator row validates, and a comparators file may name it.
    row = dict(authority="tameside", ref="CIN2", vintage="v", value=1.0, source_file="f", source_line=2)
    assert models.Comparator(comparator="wales", **row).comparator == "wales"
    assert vocabulary.comparator_by_name()["welsh average"] == "wales"
    assert vocabulary.comparator_choices() == "gm, nw, sn, england or wales"
    # The scorecard frame carries it as a column (from a comparators row), and the CLI's CSV prints it.
    month = dt.date(2024, 1, 1)
    inputs = service.inputs(reader, "latest", "tameside")
    extra = pd.DataFrame(
        [{"authority": "tameside", "ref": "CIN2", "comparator": "wales", "value": 600.0, "year": "2022/23"}]
    )
    inputs.comparators = pd.concat([inputs.comparators, extra], ignore_index=True)
    sc = scorecard_engine.build(inputs, month)
    assert {"wales", "wales_year"} <= set(sc.columns)
    assert sc.loc[sc["ref"] == "CIN2", "wales"].iloc[0] == 600.0
    assert "Wales (2022/23)" in sc.loc[sc["ref"] == "CIN2", "comparator_summary"].iloc[0]
    assert scorecard_csv_columns()[6:11] == ["gm", "nw", "sn", "england", "wales"]
    assert scorecard_csv(sc).loc[sc["ref"] == "CIN2", "wales"].iloc[0] == "600"
    # Not a rating comparator: the rating reads England and SN only.
    assert "wales" in rag.comparator_position(sc).columns
    assert vocabulary.rating_comparators() == ("england", "sn")


def test_a_comparators_file_may_name_the_fifth_and_an_unknown_one_is_refused(fifth_comparator, tmp_path, reader):
    path = tmp_path / "comparators.csv"
    path.write_text("ref,comparator,value,year\nCIN2,Welsh average,600,2022/23\nCIN2,Scotland,500,2022/23\n")
    up = reference.parse_comparators(path, reader, "tameside")
    assert [(p.row, p.column, p.message) for p in up.problems] == [
        (3, "comparator", "'Scotland' is not gm, nw, sn, england or wales")
    ]


def test_the_codes_are_spelled_only_in_the_registry():
    """No module outside the words layer lists the four comparators' codes or names itself."""
    listing = re.compile(r"""\(\s*"(gm|nw|sn|england)",\s*"(gm|nw|sn|england)"|"Statistical neighbours"[,:]""")
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if p.name != "vocabulary.py" and listing.search(p.read_text())
    ]
    assert offenders == []


ROOT = Path(__file__).resolve().parent.parent


def test_every_page_is_one_row_and_its_file_only_names_itself():
    """pages/ holds one file per row of ui.page_registry, each named as its address and saying only that."""
    from dashboard.ui import page_registry

    files = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
    assert files == sorted(f"{row.url_path}.py" for row in page_registry.PAGES)
    for name in files:
        assert (ROOT / "pages" / name).read_text() == "from dashboard.ui.routing import serve\n\nserve(__file__)\n"
    assert len(page_registry.BY_KEY) == len(page_registry.PAGES) == len(page_registry.BY_URL)
    for row in page_registry.PAGES:  # every body is there to call
        module, function = row.body.split(":")
        assert callable(getattr(__import__(f"dashboard.ui.{module}", fromlist=[function]), function)), row.key
    assert "PagesManager" not in (ROOT / "src" / "dashboard" / "ui" / "routing.py").read_text()
