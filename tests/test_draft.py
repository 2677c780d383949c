"""Drafted commentary: written from the engine's results only, in the packs' register, the same words for
the same figures; published sentences flagged when a revision changes a figure they quote."""

import datetime as dt
import io
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from apptest import run_page

from dashboard import cli, service, store
from dashboard.writes import commentary

AREAS = ["front_door", "early_help", "cin_cp", "cared_for", "safeguarding", "workforce"]
JAN23, SEP23, JAN24 = dt.date(2023, 1, 1), dt.date(2023, 9, 1), dt.date(2024, 1, 1)


@pytest.fixture(scope="module")
def drafts(reader):
    return {(m, a): service.draft(reader, m, a).markdown() for m in (JAN23, SEP23, JAN24) for a in AREAS}


# Concrete facts from the packs' own figures, one or more per area and month.
FACTS = [
    (
        JAN24,
        "cin_cp",
        [
            "Child Protection cases (No.) (CIN18) is Red: 380 is worse than England 221 (2022/23)",
            "Referrals received (Rate 12 Months rolling) (CIN2) is Red: 650 against a target of 612",
            "SPC shows a signal of concern for Referrals received (Rate 12 Months rolling) (CIN2): 7 months "
            "in a row each higher than the last",
        ],
    ),
    (
        JAN24,
        "front_door",
        [
            "MASH Screening Outcomes - Early Help % (FD8d) was 24.0%, unusually high for this measure",
            "Requests for Information Completed (FD8b) rose from 16 in December 2023 to 47 in January "
            "2024, higher than 34 in January 2023",
        ],
    ),
    (JAN24, "early_help", ["(EH7) was 152, unusually high", "it is the highest of any month shown (since Jan-22)"]),
    (
        JAN24,
        "cared_for",
        [
            "(CF30) is Red: 86.0% against a target of 93%, 7.0 points short",
            "(CF22) improved from 22.0% in December 2023 to 55.0% in January 2024",
        ],
    ),
    (JAN24, "safeguarding", ["(SG10) is Red: 65.0% against last year's 100.0% (Jan-23), 35.0 points worse"]),
    (
        JAN24,
        "workforce",
        [
            "(WF4) is Red: 29.0% against a target of 14-22%, 7.0 points over",
            "WF2 for September 2023 was revised from 444 to 439.",
        ],
    ),
    (
        SEP23,
        "front_door",
        [
            "Since the Scrutiny Panel pack, 8 November 2023, 23 figures were revised in the Scrutiny "
            "Panel pack, 6 March 2024",
            "FD8b for September 2023 was revised from 33 to 84.",
            "Other revised indicators: FD2a, FD1",
        ],
    ),
    (SEP23, "cin_cp", ["(CIN18) is Amber: 301 is between England 221 (2022/23) and Statistical neighbours 330"]),
    (SEP23, "cared_for", ["(CF1) is Red: 660 against a target of 552, 108 over"]),
    (SEP23, "early_help", ["In September 2023,"]),
    (SEP23, "safeguarding", ["In September 2023,"]),
    (SEP23, "workforce", ["(WF4) is Red"]),
    (JAN23, "front_door", ["(FD9) is Amber: 88.0% against a target of 90-95%, 2.0 points short"]),
    (JAN23, "early_help", ["(EH11) is Red: 5 against last year's 9 (Jan-22), 4 worse"]),
    (
        JAN23,
        "cin_cp",
        [
            "(CIN2) is Red: 722 against a target of 612, 110 over",
            "(CIN18) is Red: 379 is worse than England 221 (2022/23)",
        ],
    ),
    (JAN23, "cared_for", ["(CF1) is Red: 661 against a target of 552, 109 over"]),
    (JAN23, "safeguarding", ["(SG1) is Red: 217 against last year's 155 (Jan-22), 62 worse"]),
    (JAN23, "workforce", ["(WF1) is Red: 2,328 against a target of 2175, 153 over"]),
]


@pytest.mark.parametrize("month, area, facts", FACTS, ids=[f"{m:%Y-%m}-{a}" for m, a, _ in FACTS])
def test_the_draft_states_the_months_facts(drafts, month, area, facts):
    text = drafts[(month, area)]
    for fact in facts:
        assert fact in text, (fact, text)


def test_every_draft_lists_the_refs_it_uses(drafts):
    for (month, area), text in drafts.items():
        assert text.startswith(f"In {month:%B %Y}, "), (month, area)
        body, _, used = text.rpartition("\n\n*Figures used: ")
        assert body and used.endswith(".*"), (month, area)
        listed = used.removesuffix(".*").split(", ")
        assert len(listed) == len(set(listed))
        assert set(listed) == set(re.findall(r"\b([A-Z]{2,3}\d+[a-z]?)\b", body)), (month, area)


def test_a_draft_never_quotes_a_later_month(reader):
    text = service.draft(reader, JAN23, "front_door").markdown()
    assert "2023 was revised" not in text and "September 2023" not in text


def test_the_same_data_gives_byte_identical_drafts(built_db):
    def once() -> bytes:
        return subprocess.run(
            [
                str(Path(sys.executable).parent / "dashboard"),
                "--db",
                str(built_db),
                "draft",
                "--month",
                "2024-01",
                "--area",
                "cin_cp",
            ],
            capture_output=True,
            check=True,
        ).stdout

    first, second = once(), once()
    assert first == second and first.startswith(b"## Child in Need & Protection: draft commentary, 2024-01")


def test_draft_cli_checks_its_options(built_db):
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--db", str(built_db), "draft", "--month", "2024-01", "--area", "nowhere"]) == 2


def test_a_published_sentence_quoting_a_revised_figure_is_flagged(fresh_db):
    text = "Contacts received (FD1) were 1,265 in September 2023. Screening stayed steady."
    commentary.publish(fresh_db, "front_door", SEP23, text, author="Head of Front Door")
    reader = store.ReadOnlyStore(fresh_db)
    stale = service.stale_commentary(reader, text, "front_door")
    store.ReadOnlyStore.close_all()
    assert stale == [
        (
            "Contacts received (FD1) were 1,265 in September 2023.",
            "this sentence quotes 1,265; the figure is now 1,318 (FD1, Sep-23)",
        )
    ]
    fresh = service.stale_commentary(
        store.ReadOnlyStore(fresh_db), "Contacts (FD1) were 1,318 in September 2023.", "front_door"
    )
    store.ReadOnlyStore.close_all()
    assert fresh == []


def test_the_area_page_shows_the_draft_and_flags_stale_published_sentences(fresh_db, monkeypatch):
    commentary.publish(fresh_db, "front_door", SEP23, "Contacts received (FD1) were 1,265 in September 2023.")
    store.ReadOnlyStore.close_all()
    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    at = run_page("front_door", month="2023-09")
    warnings = [w.value for w in at.warning]
    assert any("this sentence quotes 1,265; the figure is now 1,318 (FD1, Sep-23)" in w for w in warnings), warnings
    assert any("Draft commentary from the figures" in e.label for e in at.expander)
    text = "\n".join(m.value for m in at.markdown)
    assert "FD8b for September 2023 was revised from 33 to 84." in text


def test_publishing_a_draft_needs_the_admin_unlocked(fresh_db, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    monkeypatch.setenv("DASHBOARD_ADMIN_SECRET", "s3cret")
    locked = run_page("cin_cp", month="2024-01")
    assert not any(b.label == "Publish as this area's commentary" for b in locked.button)
    at = run_page("cin_cp", month="2024-01", _admin_ok="s3cret")
    publish = next(b for b in at.button if b.label == "Publish as this area's commentary")
    publish.click().run()
    assert any("Published as vintage commentary-" in s.value for s in at.success)
    c = store.ReadOnlyStore(fresh_db).commentary_as_of("latest", "tameside", "cin_cp", JAN24)
    store.ReadOnlyStore.close_all()
    assert "(CIN18) is Red: 380" in c["text"].iloc[0]


def test_presenter_speaks_the_draft_where_nothing_is_published(reader):
    from dashboard.engine.draft import Draft  # the summary is the first two sentences

    d = service.draft(reader, JAN24, "cin_cp")
    assert isinstance(d, Draft) and d.summary().startswith("In January 2024, 13 of the 25")
    assert d.summary().count(". ") >= 1
