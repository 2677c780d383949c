"""Roles, the server-side check at the moment of writing, and the audit trail (without a browser; the real
sign-in through an OpenID provider is tests/test_signin.py)."""

import datetime as dt
import json
import subprocess
import sys

import duckdb
import pytest
from apptest import run_page
from streamlit.testing.v1 import AppTest

from dashboard import store
from dashboard.auth import access
from dashboard.ui import signin
from dashboard.writes import audit, commentary, journal, lifecycle

AREAS = {"front_door", "early_help", "cin_cp", "cared_for", "safeguarding", "workforce"}
ROLES = """
group_claim = "roles"

[[grant]]
email = "Editor@Example.test"
role = "area_editor"
areas = ["front_door", "cin_cp"]

[[grant]]
group = "performance-team"
role = "publisher"

[[grant]]
email = "boss@example.test"
role = "admin"
"""


def identity(**claims) -> access.Identity:
    return access.resolve(access.parse_roles(ROLES, "roles.toml", AREAS), claims)


@pytest.mark.parametrize(
    "claims, action, area, allowed",
    [
        ({"email": "editor@example.test"}, access.READ, None, True),
        ({"email": "editor@example.test"}, access.COMMENTARY, "front_door", True),
        ({"email": "editor@example.test"}, access.COMMENTARY, "early_help", False),
        ({"email": "editor@example.test"}, access.PUBLISH, None, False),
        ({"email": "pub@example.test", "roles": ["performance-team"]}, access.PUBLISH, None, True),
        ({"email": "pub@example.test", "roles": ["performance-team"]}, access.COMMENTARY, "front_door", False),
        ({"email": "pub@example.test", "roles": ["performance-team"]}, access.MANAGE, None, False),
        ({"email": "pub@example.test", "groups": ["performance-team"]}, access.PUBLISH, None, False),  # wrong claim
        ({"email": "boss@example.test"}, access.COMMENTARY, "workforce", True),
        ({"email": "boss@example.test"}, access.MANAGE, None, True),
        ({"email": "stranger@example.test"}, access.READ, None, False),
    ],
)
def test_each_role_may_do_what_the_issue_says_and_no_more(claims, action, area, allowed):
    assert access.permits(identity(**claims), action, area) is allowed


def test_emails_match_whatever_their_case_and_roles_add_up():
    both = access.resolve(
        access.parse_roles(ROLES + '\n[[grant]]\ngroup = "heads"\nrole = "viewer"\n', "r", AREAS),
        {"email": "EDITOR@example.test", "roles": ["heads"]},
    )
    assert both.roles == {"area_editor", "viewer"} and both.role == "area_editor"
    assert both.areas == {"front_door", "cin_cp"}


def test_nobody_signed_in_may_do_nothing():
    assert not access.permits(None, access.READ)
    with pytest.raises(access.Refused, match="nobody signed in may not publish commentary for front_door"):
        access.require(None, access.COMMENTARY, "front_door")


@pytest.mark.parametrize(
    "text, message",
    [
        ('[[grant]]\nemail = "a@b"\ngroup = "g"\nrole = "viewer"\n', "grant 1: give exactly one of email or group"),
        ('[[grant]]\nemail = "a@b"\nrole = "area_editor"\n', "grant 1: an area_editor grant needs areas"),
        ('[[grant]]\nemail = "a@b"\nrole = "owner"\n', "grant 1"),
        ('[[grant]]\nemail = "a@b"\nrole = "area_editor"\nareas = ["frontdoor"]\n', "grant 1: unknown area frontdoor"),
        ('[[grant]]\nemial = "a@b"\nrole = "viewer"\n', "grant 1"),
        ("[[grant]\n", "not valid TOML"),
    ],
)
def test_a_broken_roles_file_is_refused_naming_the_grant(text, message):
    with pytest.raises(access.RolesError, match=message) as exc:
        access.parse_roles(text, "roles.toml", AREAS)
    assert str(exc.value).startswith("roles.toml")


def test_a_missing_roles_file_grants_nothing_and_a_change_is_read_at_once(tmp_path):
    path = tmp_path / "roles.toml"
    assert access.load_roles(path).grant == []
    path.write_text('[[grant]]\nemail = "a@example.test"\nrole = "publisher"\n')
    assert access.permits(access.resolve(access.load_roles(path), {"email": "a@example.test"}), access.PUBLISH)
    path.write_text('[[grant]]\nemail = "a@example.test"\nrole = "viewer"\n# now longer than before\n')
    assert not access.permits(access.resolve(access.load_roles(path), {"email": "a@example.test"}), access.PUBLISH)


# ---------------------------------------------------------------- the check at the moment of writing


@pytest.fixture()
def signed_in(monkeypatch, tmp_path, fresh_db):
    """The app as if Streamlit's sign-in were configured, with the claims a test chooses."""
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    monkeypatch.setenv(access.ROLES_ENV, str(roles))
    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    claims = {"email": "editor@example.test"}
    monkeypatch.setattr(signin, "auth_configured", lambda: True)
    monkeypatch.setattr(signin, "_claims", lambda: dict(claims))
    return claims, roles, fresh_db


def _crafted_write(area: str) -> None:
    """A commentary write for an area the form never offered, as a crafted request would make it."""
    import datetime

    from dashboard.ui import admin

    admin.publish_commentary(area, datetime.date(2024, 1, 1), "Crafted.", "x", "result", "done")
    import streamlit as st

    st.write(st.session_state["result"][1])


def test_an_area_editor_cannot_write_another_areas_commentary_even_by_crafting_the_call(signed_in):
    _, _, db = signed_in
    at = AppTest.from_function(_crafted_write, args=("early_help",), default_timeout=60).run()
    assert not at.exception
    assert (
        "Refused: editor@example.test (area editor for cin_cp, front_door) may not publish commentary for "
        "early_help." in at.markdown[0].value
    )
    assert journal.entries(journal.journal_dir(db)) == []
    events = audit.trail(db)
    assert events.iloc[-1]["event"] == "refused: commentary" and events.iloc[-1]["who"] == "editor@example.test"
    at = AppTest.from_function(_crafted_write, args=("front_door",), default_timeout=60).run()
    assert "Saved as vintage commentary-" in at.markdown[0].value
    assert journal.entries(journal.journal_dir(db))[-1].manifest["user"] == "editor@example.test"


def test_a_role_taken_away_after_the_form_was_drawn_stops_the_write(signed_in):
    claims, roles, db = signed_in
    at = run_page("cin_cp", month="2024-01")
    publish = next(b for b in at.button if b.label == "Publish as this area's commentary")
    roles.write_text(ROLES.replace('areas = ["front_door", "cin_cp"]', 'areas = ["front_door"]'))
    publish.click().run()
    assert any("may not publish commentary for cin_cp" in e.value for e in at.error)
    assert journal.entries(journal.journal_dir(db)) == []


def test_a_viewer_is_offered_no_writing_page_and_a_stranger_no_data(signed_in):
    claims, _, _ = signed_in
    claims["email"] = "pub@example.test"  # no group claim: a signed-in person with no grant
    at = AppTest.from_file("../app.py", default_timeout=60).run()
    assert any("you have no access to this dashboard yet" in w.value for w in at.warning)
    assert not at.dataframe and not at.get("vega_lite_chart")


def test_the_demo_without_sign_in_still_unlocks_with_the_shared_secret(fresh_db, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    monkeypatch.setenv("DASHBOARD_ADMIN_SECRET", "s3cret")
    at = run_page("about")
    assert any("Sign-in is not configured: this is the embedded demo" in w.value for w in at.warning)
    at = run_page("load", _admin_ok="s3cret")
    assert any(u.label == "Figures file" for u in at.get("file_uploader"))
    assert [u.label for u in at.get("file_uploader")][:5] == [  # the plan's BRAG has its preview too
        "Figures file",
        "Targets file",
        "Comparators file",
        "National statistics files",
        "Plan update file",
    ]
    assert "Load improvement-plan BRAG and commentary" in [h.value for h in at.header]


# ---------------------------------------------------------------- the trail


def test_the_trail_lists_writes_from_the_journal_and_refusals_from_the_events_file(fresh_db):
    commentary.publish(fresh_db, "front_door", dt.date(2024, 1, 1), "Steady.", user="jo@example.test")
    audit.record(fresh_db, "refused: publish", "sam@example.test", "figures from feb.csv\nwith a second line")
    (audit.events_path(fresh_db)).open("a").write('{"cut short')
    trail = audit.trail(fresh_db)
    assert list(trail.columns) == audit.COLUMNS
    write = trail[trail["outcome"] == "published"].iloc[0]
    assert write["who"] == "jo@example.test" and write["event"] == "write: commentary"
    refused = trail[trail["event"] == "refused: publish"].iloc[0]
    assert refused["what"] == "figures from feb.csv with a second line"
    assert "unreadable audit line" in set(trail["event"])


def _audit_csv(db) -> str:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "audit", "--db", str(db)], capture_output=True, text=True, check=True
    ).stdout


def test_dashboard_audit_prints_the_trail_as_csv(fresh_db):
    commentary.publish(fresh_db, "cin_cp", dt.date(2024, 1, 1), "Better.", user="jo@example.test")
    out = _audit_csv(fresh_db)
    lines = out.splitlines()
    assert lines[0] == "when,who,event,what,vintage,outcome"
    assert "jo@example.test,write: commentary" in lines[1]
    assert ", edited in the app by jo@example.test (1 commentary)" in lines[1] and "from edited" not in out
    # typed text that a spreadsheet would run as a formula is written as text (found on an adversarial pass)
    audit.record(fresh_db, "write: upload", "=cmd|' /C calc'!A0", '=HYPERLINK("http://x") from a.csv')
    out = _audit_csv(fresh_db)
    assert ",'=cmd|" in out and ",\"'=HYPERLINK(" in out and ",=" not in out and ',"=' not in out


def test_the_revisions_page_says_who_loaded_each_vintage(fresh_db, monkeypatch):
    commentary.publish(fresh_db, "cin_cp", dt.date(2024, 1, 1), "Better.", user="jo@example.test")
    store.ReadOnlyStore.close_all()
    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    at = run_page("revisions")
    who = at.dataframe[-1].value
    assert who["Loaded"].str.startswith("loaded by jo@example.test on ").any()


def test_a_database_from_before_loaded_by_is_rebuilt_on_the_next_write(fresh_db):
    store.ReadOnlyStore.close_all()
    con = duckdb.connect(str(fresh_db))
    con.execute("ALTER TABLE vintages DROP COLUMN loaded_by")
    con.close()
    assert not store.schema_current(fresh_db)
    commentary.publish(fresh_db, "cin_cp", dt.date(2024, 1, 1), "Better.", user="jo@example.test")
    assert store.schema_current(fresh_db)
    v = store.ReadOnlyStore(fresh_db).table("vintages")
    store.ReadOnlyStore.close_all()
    assert v.iloc[-1]["loaded_by"] == "jo@example.test"
    assert (
        json.loads((lifecycle.journal.entries(journal.journal_dir(fresh_db))[-1].path / "manifest.json").read_text())[
            "vintage"
        ]["loaded_by"]
        == "jo@example.test"
    )


def test_the_roles_table_shows_who_may_see_childrens_records(tmp_path, monkeypatch):
    """Found on a walk of the audit page: the table of who has which role left out record-level access (the
    children's pseudonyms, workers' names) and its team limit, and named areas by their codes."""

    roles = tmp_path / "roles.toml"
    roles.write_text(
        '[[grant]]\nemail = "admin@example.test"\nrole = "admin"\n'
        '[[grant]]\nemail = "ed@example.test"\nrole = "area_editor"\nareas = ["cin_cp"]\nrecords = ["cin_cp"]\n'
        'teams = ["Locality Team North"]\n'
    )
    monkeypatch.setenv(access.ROLES_ENV, str(roles))
    monkeypatch.setattr(signin, "auth_configured", lambda: True)
    monkeypatch.setattr(signin, "_claims", lambda: {"email": "admin@example.test"})
    at = run_page("audit")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Children's records" in d.value.columns).set_index("Email or group")
    assert table.loc["admin@example.test", "Children's records"] == "none"
    assert table.loc["ed@example.test", "Children's records"].endswith("(teams: Locality Team North)")
    assert "cin_cp" not in table.loc["ed@example.test", "Commentary for"]


def test_the_sidebar_names_an_area_editors_areas_by_name():
    who = access.Identity(who="ed@example.test", roles=frozenset({"area_editor"}), areas=frozenset({"cin_cp"}))
    assert who.describe() == "ed@example.test (area editor for cin_cp)"  # refusals and logs keep the code
    assert who.describe({"cin_cp": "Child in Need & Protection"}) == (
        "ed@example.test (area editor for Child in Need & Protection)"
    )
