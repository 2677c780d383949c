"""Several councils in one deployment (issue 33 item 2): council grants, the council in view, every write checked
for its council, regional sharing and the "GM this month" comparator. The second and third councils are
SYNTHETIC (councils.synthetic_figures): no real council's figures but Tameside's are in the sample."""

import datetime as dt
import shutil

import pandas as pd
import pytest
from apptest import run_page
from streamlit.testing.v1 import AppTest

from dashboard import access, audit, commentary, councils, journal, lifecycle, loader, store
from dashboard.engine import regional
from dashboard.reading import LoadRejected
from dashboard.ui import signin
from dashboard.ui.page_registry import PAGE_PATHS

AREAS = {"front_door", "early_help", "cin_cp", "cared_for", "safeguarding", "workforce"}
SECOND, THIRD = councils.SYNTHETIC_ID, "synthetic-vale"
ROLES = f"""
[[grant]]
email = "bury.viewer@example.test"
role = "area_editor"
areas = ["cin_cp"]
councils = ["{SECOND}"]

[[grant]]
email = "tameside.pub@example.test"
role = "publisher"
councils = ["tameside"]

[[grant]]
email = "tameside.pub@example.test"
role = "viewer"
councils = ["{THIRD}"]

[[grant]]
email = "regional.admin@example.test"
role = "admin"

[[grant]]
email = "vale.admin@example.test"
role = "admin"
councils = ["{THIRD}"]
"""
SECOND_WORDS = "SYNTHETIC commentary for Synthetic Borough: invented for the tests."


def identity(email: str) -> access.Identity:
    roles = access.parse_roles(ROLES, "roles.toml", AREAS, {"tameside", SECOND, THIRD})
    return access.resolve(roles, {"email": email})


# ---------------------------------------------------------------- grants per council (pure)


def test_a_grant_holds_only_for_the_councils_it_names():
    pub = identity("tameside.pub@example.test")
    assert access.permits(pub, access.PUBLISH, council="tameside")
    assert not access.permits(pub, access.PUBLISH, council=SECOND)
    assert not access.permits(pub, access.READ, council=SECOND)
    assert access.permits(pub, access.READ, council=THIRD) and not access.permits(pub, access.PUBLISH, council=THIRD)
    bury = identity("bury.viewer@example.test")
    assert access.permits(bury, access.COMMENTARY, "cin_cp", council=SECOND)
    assert not access.permits(bury, access.COMMENTARY, "cin_cp", council="tameside")
    assert not access.permits(bury, access.READ, council="tameside")
    assert access.readable_councils(bury, ["tameside", SECOND, THIRD]) == [SECOND]
    assert access.readable_councils(pub, ["tameside", SECOND, THIRD]) == ["tameside", THIRD]


def test_a_grant_without_councils_keeps_todays_meaning_every_council():
    boss = identity("regional.admin@example.test")
    assert all(access.permits(boss, access.MANAGE, council=c) for c in ("tameside", SECOND, THIRD))
    plain = access.resolve(
        access.parse_roles('[[grant]]\nemail = "a@x.test"\nrole = "publisher"\n', "r"), {"email": "a@x.test"}
    )
    assert access.permits(plain, access.PUBLISH) and access.permits(plain, access.PUBLISH, council="tameside")
    assert access.permits(access.DEMO_VIEWER, access.READ, council=SECOND)  # the demo: no grants, reads all


def test_a_roles_file_naming_a_council_the_deployment_lacks_is_refused():
    with pytest.raises(access.RolesError, match=r"grant 1: unknown council bury; use tameside"):
        access.parse_roles(
            '[[grant]]\nemail = "a@x.test"\nrole = "viewer"\ncouncils = ["bury"]\n', "r", None, {"tameside"}
        )


# ---------------------------------------------------------------- the regional comparator (pure)


def _figures(rows):
    return pd.DataFrame(rows, columns=["authority", "ref", "value", "status"])


def _sharing(rows):
    return pd.DataFrame(rows, columns=["authority", "region", "shared"])


def test_the_regional_comparator_is_mean_range_and_count_of_the_sharing_councils_only():
    figures = _figures(
        [
            ("a", "CF1", 10.0, "value"),
            ("b", "CF1", 30.0, "value"),
            ("c", "CF1", 1000.0, "value"),  # has not shared: never in it
            ("d", "CF1", 500.0, "value"),  # stopped sharing
            ("e", "CF1", 700.0, "value"),  # shares with another region
            ("a", "CF2", None, "suppressed"),  # a status is left out, never zero
            ("b", "CF2", 4.0, "value"),
        ]
    )
    sharing = _sharing([("a", "gm", True), ("b", "gm", True), ("d", "gm", False), ("e", "nw", True)])
    out = regional.comparator(figures, sharing, "gm").set_index("ref")
    assert out.loc["CF1"].to_dict() == {"mean": 20.0, "low": 10.0, "high": 30.0, "councils": 2}
    assert out.loc["CF2"].to_dict() == {"mean": 4.0, "low": 4.0, "high": 4.0, "councils": 1}
    assert regional.comparator(figures, _sharing([]), "gm").empty
    assert regional.comparator(figures, sharing, "").empty  # a council with no region sees none
    assert (
        regional.describe(out.loc["CF1"], "gm")
        == "GM this month: mean 20.0, range 10.0 to 30.0, from 2 councils sharing"
    )


def test_a_councils_region_is_the_one_it_was_added_with_else_gm_by_code():
    assert regional.region_of("357") == "gm" and regional.region_of("351", "") == "gm"
    assert regional.region_of("", "gm") == "gm" and regional.region_of("209") == "" and regional.region_of("") == ""


# ---------------------------------------------------------------- three councils in one store


def _load_synthetic(db, tmp, seeds: dict[str, int]) -> None:
    """Each SYNTHETIC council's figures, in one upload (one write)."""
    reader = store.ReadOnlyStore(db)
    frames = [councils.synthetic_figures(reader, authority, seed) for authority, seed in seeds.items()]
    path = tmp / "synthetic.csv"
    pd.concat(frames).to_csv(path, index=False)
    loader.load_file(db, path, label="SYNTHETIC figures for " + " and ".join(seeds))


@pytest.fixture(scope="module")
def three_councils(built_db, tmp_path_factory):
    """The sample (Tameside) plus two SYNTHETIC GM councils: Synthetic Borough and Synthetic Vale share their
    monthly figures, Tameside does not; each council has its own commentary for January 2023."""
    tmp = tmp_path_factory.mktemp("councils")
    db = tmp / "data" / "dashboard.duckdb"
    db.parent.mkdir()
    shutil.copyfile(built_db, db)
    for authority, name in ((SECOND, councils.SYNTHETIC_NAME), (THIRD, "Synthetic Vale (SYNTHETIC)")):
        councils.add_council(db, authority, name, 40000, region="gm", note=councils.SYNTHETIC_NOTE)
    _load_synthetic(db, tmp, {SECOND: 1, THIRD: 2})
    for authority in (SECOND, THIRD):
        councils.set_sharing(db, authority, True)
    commentary.publish(db, "cin_cp", dt.date(2023, 1, 1), SECOND_WORDS, authority=SECOND, user="cli (test)")
    store.ReadOnlyStore.close_all()
    yield db
    store.ReadOnlyStore.close_all()


def test_councils_and_sharing_are_journaled_and_survive_a_rebuild(three_councils, tmp_path):
    db = three_councils
    reader = store.ReadOnlyStore(db)
    assert reader.councils_with_figures() == ["tameside", SECOND, THIRD]
    assert store.home_authority(reader) == "tameside"  # a write naming no council is still Tameside's
    before = reader.dump_all()
    copy = tmp_path / "data" / "dashboard.duckdb"
    copy.parent.mkdir()
    shutil.copytree(db.parent / "journal", copy.parent / "journal")
    shutil.copyfile(db.parent / journal.KEY_FILE, copy.parent / journal.KEY_FILE)
    lifecycle.build(copy)
    after = store.ReadOnlyStore(copy).dump_all()
    assert before.keys() == after.keys()
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], check_dtype=False, obj=table)
    manifests = [e.manifest for e in journal.entries(journal.journal_dir(db))]
    written = [m for m in manifests if m["kind"] in ("council", "upload", "sharing", "commentary")]
    assert [m["councils"] for m in written] == [[SECOND], [THIRD], sorted([SECOND, THIRD]), [SECOND], [THIRD], [SECOND]]
    names = store.ReadOnlyStore(db).table("authorities").set_index("authority")["name"]
    assert "SYNTHETIC" in names[SECOND] and "SYNTHETIC" in names[THIRD]
    labels = store.ReadOnlyStore(db).table("vintages")["label"]
    assert labels.str.contains(f"SYNTHETIC figures for {SECOND}").any()  # the upload says what it is


def test_a_council_is_added_once(three_councils):
    with pytest.raises(LoadRejected, match="already has a council"):
        councils.add_council(three_councils, SECOND, "Again", 1000, region="gm")


def test_synthetic_figures_are_deterministic_and_differ_from_tamesides(three_councils):
    reader = store.ReadOnlyStore(three_councils)
    one, again = councils.synthetic_figures(reader, SECOND, 1), councils.synthetic_figures(reader, SECOND, 1)
    pd.testing.assert_frame_equal(one, again)
    assert not one.equals(councils.synthetic_figures(reader, SECOND, 2))
    ours = reader.observations_as_of("latest", "tameside").query("status == 'value'")[["ref", "period", "value"]]
    theirs = reader.observations_as_of("latest", SECOND)[["ref", "period", "value"]]
    both = ours.merge(theirs, on=["ref", "period"], suffixes=("", "_synthetic"))
    assert len(both) > 1000 and (both["value"] != both["value_synthetic"]).mean() > 0.8


def test_the_comparator_from_the_store_leaves_out_the_council_that_has_not_shared(three_councils):
    reader = store.ReadOnlyStore(three_councils)
    month = dt.date(2023, 1, 1)
    region, table = councils.regional_comparator(reader, "tameside", "latest", month)
    cf1 = table.set_index("ref").loc["CF1"]
    figures = reader.figures_for_month("latest", ["tameside", SECOND, THIRD], month).set_index(["authority", "ref"])
    two = [figures.loc[(SECOND, "CF1"), "value"], figures.loc[(THIRD, "CF1"), "value"]]
    assert region == "gm" and cf1["councils"] == 2
    assert cf1["mean"] == pytest.approx(sum(two) / 2) and (cf1["low"], cf1["high"]) == (min(two), max(two))
    councils.set_sharing(three_councils, THIRD, False)  # stops: out at once, from every view
    try:
        _, table = councils.regional_comparator(reader, SECOND, "latest", month)
        only = table.set_index("ref").loc["CF1"]
        assert only["councils"] == 1 and only["mean"] == two[0]
    finally:
        councils.set_sharing(three_councils, THIRD, True)


# ---------------------------------------------------------------- the app: the council in view, writes refused


@pytest.fixture()
def signed_in(monkeypatch, tmp_path, three_councils):
    """The app signed in (Streamlit's sign-in faked at its one seam), on the three councils' database."""
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    monkeypatch.setenv(access.ROLES_ENV, str(roles))
    monkeypatch.setenv("DASHBOARD_DB", str(three_councils))
    claims = {"email": "bury.viewer@example.test"}
    monkeypatch.setattr(signin, "auth_configured", lambda: True)
    monkeypatch.setattr(signin, "_claims", lambda: dict(claims))
    return claims, three_councils


def _shown_text(at) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "warning", "info", "error") for e in at.get(kind))


def test_a_bury_user_sees_only_their_councils_commentary_and_no_picker(signed_in):
    at = run_page("cin_cp", month="2023-01")
    text = _shown_text(at)
    assert SECOND_WORDS.split(":")[0] in text
    assert "further month in month reduction" not in text  # Tameside's own January 2023 commentary
    assert not [s for s in at.selectbox if s.label == "Council"]  # one council granted: nothing to pick


def test_an_address_naming_a_council_not_granted_shows_theirs_and_says_so(signed_in):
    at = AppTest.from_file("../app.py", default_timeout=90)
    at.query_params["council"] = "tameside"
    at.query_params["month"] = "2023-01"
    at.run()
    assert not at.exception
    assert any("no council called ‘tameside’ that you have access to" in w.value for w in at.warning)
    assert at.session_state["_council"] == SECOND


def test_the_picker_lists_only_granted_councils_and_lives_in_the_url(signed_in):
    claims, _ = signed_in
    claims["email"] = "tameside.pub@example.test"
    at = AppTest.from_file("../app.py", default_timeout=90)
    at.query_params["council"] = THIRD
    at.run()
    picker = next(s for s in at.selectbox if s.label == "Council")
    assert picker.options == ["Tameside", "Synthetic Vale (SYNTHETIC)"] and picker.value == THIRD
    picker.select("tameside").run()
    assert at.query_params["council"] == "tameside" and at.session_state["_council"] == "tameside"


def _crafted(action: str, council: str) -> None:
    """A write for a council the page never offered, as a crafted request would make it: the server's check."""
    import datetime as dt

    import streamlit as st

    from dashboard import access
    from dashboard.ui import admin, signin

    st.session_state["_council"] = council
    if action == "commentary":
        admin.publish_commentary("cin_cp", dt.date(2023, 1, 1), "Crafted.", "x", "result", "done")
        st.write(st.session_state["result"][1])
    else:
        try:
            signin.authorise(access.PUBLISH, None, "figures from bury.csv", [council])
            st.write("allowed")
        except access.Refused as exc:
            st.write(str(exc))


def test_a_publisher_of_one_council_is_refused_another_councils_load_and_it_is_audited(signed_in):
    claims, db = signed_in
    claims["email"] = "tameside.pub@example.test"
    before = (db.read_bytes(), len(journal.entries(journal.journal_dir(db))))
    at = AppTest.from_function(_crafted, args=("publish", SECOND), default_timeout=60).run()
    assert (
        "Refused: tameside.pub@example.test (publisher) may not load figures, targets and comparators for "
        f"council {SECOND}." in at.markdown[0].value
    )
    last = audit.trail(db).iloc[-1]
    assert last["event"] == "refused: publish" and last["who"] == "tameside.pub@example.test"
    assert f"for council {SECOND}" in last["what"]
    assert (db.read_bytes(), len(journal.entries(journal.journal_dir(db)))) == before
    at = AppTest.from_function(_crafted, args=("publish", "tameside"), default_timeout=60).run()
    assert at.markdown[0].value == "allowed"


def test_an_area_editor_of_one_council_cannot_write_anothers_commentary(signed_in):
    _, db = signed_in
    before = len(journal.entries(journal.journal_dir(db)))
    at = AppTest.from_function(_crafted, args=("commentary", "tameside"), default_timeout=60).run()
    assert "may not publish commentary for cin_cp for council tameside" in at.markdown[0].value
    assert len(journal.entries(journal.journal_dir(db))) == before
    assert audit.trail(db).iloc[-1]["what"].endswith("for council tameside")


def test_a_councils_admin_sees_its_own_councils_writes_in_the_audit_trail_not_anothers(signed_in):
    claims, db = signed_in
    claims["email"] = "vale.admin@example.test"
    kinds = {
        e.manifest["vintage"]["vintage"]: (e.manifest["kind"], e.manifest.get("councils"))
        for e in journal.entries(journal.journal_dir(db))
    }
    at = AppTest.from_file("../app.py", default_timeout=90)
    at.run()
    at.switch_page(PAGE_PATHS["audit"]).run()
    assert not at.exception
    shown = set(at.dataframe[0].value["Vintage"])
    assert {v for v, (k, c) in kinds.items() if k == "sharing" and c == [THIRD]} <= shown
    assert not {v for v, (k, c) in kinds.items() if c == [SECOND]} & shown  # Synthetic Borough's own writes
