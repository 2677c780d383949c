"""Several councils in one deployment (issue 33 item 2): council grants, the council in view, every write checked
for its council, regional sharing and the "GM this month" comparator. The second and third councils are
SYNTHETIC (councils.synthetic_figures): no real council's figures but Tameside's are in the sample."""

import datetime as dt
import shutil

import pandas as pd
import pytest
from apptest import run_page
from streamlit.testing.v1 import AppTest

from dashboard import store
from dashboard.auth import access
from dashboard.engine import regional
from dashboard.input.reading import LoadRejected
from dashboard.ui import signin
from dashboard.ui.page_registry import PAGE_PATHS
from dashboard.words.formatting import regional_text
from dashboard.writes import audit, commentary, councils, journal, lifecycle, loader

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
        regional_text(out.loc["CF1"], "gm") == "GM this month: mean 20.0, range 10.0 to 30.0, from 2 councils sharing"
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

    from dashboard.auth import access
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


# ---------------------------------------------------------------- Annex A extracts per council (SYNTHETIC records)

SECOND_KEY = "synthetic-borough-own-key-0002"  # Synthetic Borough's own records key; Tameside's is the deployment's


def _records_env(mp) -> None:
    from test_records import BANK, KEY

    from dashboard.records import pseudonym, stored, workdays

    mp.setenv(pseudonym.KEY_ENV, KEY.decode())
    mp.setenv(pseudonym.council_env(SECOND), SECOND_KEY)
    mp.delenv(stored.RETENTION_ENV, raising=False)
    mp.setattr(workdays, "bank_holidays", lambda years: frozenset(BANK))


@pytest.fixture()
def records_env(monkeypatch, tmp_path):
    monkeypatch.setenv(journal.SECRETS_ENV, str(tmp_path / "no-secrets.toml"))
    _records_env(monkeypatch)


def _second_workbook(folder):
    """Synthetic Borough's extract: the test lists with only two January assessments, one late (CIN8 50%)."""
    from test_records import HEAD, ROWS, standard

    return standard(folder, "borough_annex_a.xlsx", **{"List 4": [HEAD["List 4"]] + ROWS["List 4"][:2]})


def _annex(db, *args: str) -> int:
    from dashboard import cli

    return cli.main(["--db", str(db), *args])


@pytest.fixture(scope="module")
def records_councils(built_db, tmp_path_factory):
    """Tameside and Synthetic Borough, each holding one SYNTHETIC Annex A extract as at 31 Jan 2024, each
    pseudonymised under its own key."""
    from test_records import standard

    tmp = tmp_path_factory.mktemp("records_councils")
    db = tmp / "data" / "dashboard.duckdb"
    db.parent.mkdir()
    shutil.copyfile(built_db, db)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(journal.SECRETS_ENV, str(tmp / "no-secrets.toml"))
        _records_env(mp)
        councils.add_council(db, SECOND, councils.SYNTHETIC_NAME, 40000, region="gm", note=councils.SYNTHETIC_NOTE)
        _load_synthetic(db, tmp, {SECOND: 1})  # its monthly figures: a council with none is not offered to view
        assert _annex(db, "load-annex-a", str(standard(tmp)), "--as-at", "2024-01-31") == 0
        assert (
            _annex(db, "load-annex-a", str(_second_workbook(tmp)), "--as-at", "2024-01-31", "--authority", SECOND) == 0
        )
    store.ReadOnlyStore.close_all()
    yield db
    store.ReadOnlyStore.close_all()


def _copy(db, tmp_path):
    """A private copy of a deployment's data directory (database, journal, key) for a test that writes."""
    store.ReadOnlyStore.close_all()
    shutil.copytree(db.parent, tmp_path / "data")
    return tmp_path / "data" / db.name


def _cin8(done, month=dt.date(2024, 1, 1)) -> float:
    f = done.figures
    return float(f[(f["ref"] == "CIN8") & (f["month"] == month)]["computed"].iloc[0])


def test_each_council_holds_and_computes_from_its_own_extracts_only(records_councils, records_env):
    from dashboard.records import stored

    reader = store.ReadOnlyStore(records_councils)
    ours, theirs = stored.held(reader), stored.held(reader, SECOND)
    assert list(ours["name"]) == ["annex_a_synthetic.xlsx"] and list(theirs["name"]) == ["borough_annex_a.xlsx"]
    assert set(ours["authority"]) == {"tameside"} and set(theirs["authority"]) == {SECOND}
    assert _cin8(stored.computed_for(reader)[0]) == 75.0  # 3 of 4 in time
    assert _cin8(stored.computed_for(reader, authority=SECOND)[0]) == 50.0  # 1 of 2
    loads = [
        e.manifest for e in journal.entries(journal.journal_dir(records_councils)) if e.manifest["kind"] == "records"
    ]
    assert [m["councils"] for m in loads] == [["tameside"], [SECOND]]  # each entry names its council
    # Each council's own key: the same child ID is a different pseudonym in each, so nothing links across them.
    a = reader.extract_records(list(ours["extract"]))
    b = reader.extract_records(list(theirs["extract"]))
    named = lambda f: set(f["child"].dropna()) - {""}  # noqa: E731  (a record with no ID has no pseudonym)
    assert named(a) and named(a) & named(b) == set()
    vintages = set(reader.vintages_of(SECOND))
    assert set(theirs["vintage"]) <= vintages and not set(ours["vintage"]) & vintages


def test_a_councils_own_key_falls_back_to_the_deployments(tmp_path):
    from dashboard.records import pseudonym

    none = [tmp_path / "none.toml"]
    env = {pseudonym.KEY_ENV: "deployment-key-0123456789", pseudonym.council_env("bury"): "bury-own-key-0123456789"}
    assert pseudonym.council_env("synthetic-borough") == "DASHBOARD_RECORDS_KEY_SYNTHETIC_BOROUGH"
    assert pseudonym.resolve_key(env=env, secrets_paths=none, council="bury") == b"bury-own-key-0123456789"
    assert pseudonym.resolve_key(env=env, secrets_paths=none, council="tameside") == b"deployment-key-0123456789"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('records_key = "file-deployment-key-01"\n[records_keys]\nwigan = "wigan-file-key-0123456"\n')
    assert pseudonym.resolve_key(env={}, secrets_paths=[secrets], council="wigan") == b"wigan-file-key-0123456"
    assert pseudonym.resolve_key(env={}, secrets_paths=[secrets], council="bury") == b"file-deployment-key-01"
    with pytest.raises(pseudonym.NoKey, match="DASHBOARD_RECORDS_KEY_BURY or DASHBOARD_RECORDS_KEY"):
        pseudonym.resolve_key(env={}, secrets_paths=none, council="bury")


def test_reconcile_and_publish_computed_are_per_council(records_councils, records_env, tmp_path, capsys):
    db = _copy(records_councils, tmp_path)
    capsys.readouterr()
    assert _annex(db, "reconcile", "--month", "2024-01", "--authority", SECOND) == 0
    rows = {line.split(",")[0]: line.split(",") for line in capsys.readouterr().out.splitlines()}
    theirs = store.ReadOnlyStore(db).figures_for_month("latest", [SECOND], dt.date(2024, 1, 1)).set_index("ref")
    assert rows["CIN8"][:3] == ["CIN8", "2024-01", "50"]
    assert rows["CIN8"][-2:] == ["borough_annex_a.xlsx", "2024-01-31"]
    assert float(rows["CIN8"][3]) == theirs.loc["CIN8", "value"]  # beside Synthetic Borough's loaded figure
    assert _annex(db, "reconcile", "--month", "2024-01") == 0
    assert "CIN8,2024-01,75,86.3,-11.3,3,4,2,annex_a_synthetic.xlsx,2024-01-31" in capsys.readouterr().out
    assert _annex(db, "reconcile", "--month", "2024-01", "--authority", "nowhere") == 2
    assert "--authority: unknown council 'nowhere'" in capsys.readouterr().err
    tameside_before = store.ReadOnlyStore(db).observations_as_of("latest", "tameside")
    assert _annex(db, "publish-computed", "--month", "2024-01", "--authority", SECOND) == 0
    store.ReadOnlyStore.close_all()
    reader = store.ReadOnlyStore(db)
    obs = reader.observations_as_of("latest", SECOND)
    cin8 = obs[(obs["ref"] == "CIN8") & (pd.to_datetime(obs["period"]) == "2024-01-01")]
    assert list(cin8["value"]) == [50.0]
    assert "borough_annex_a.xlsx" in reader.table("vintages").set_index("vintage").loc[cin8["vintage"].iloc[0], "label"]
    pd.testing.assert_frame_equal(reader.observations_as_of("latest", "tameside"), tameside_before)


def test_a_publisher_of_one_council_cannot_load_anothers_extract(records_councils, records_env, tmp_path):
    from test_records import AS_AT

    from dashboard.records import annex_a, pseudonym, stored

    db = _copy(records_councils, tmp_path)
    before = (db.read_bytes(), len(journal.entries(journal.journal_dir(db))))
    extract = annex_a.read(_second_workbook(tmp_path), AS_AT, pseudonym.resolve_key(council=SECOND))
    publisher = identity("tameside.pub@example.test")
    with pytest.raises(access.Refused, match=f"may not load figures, targets and comparators for council {SECOND}"):
        stored.publish_extract(db, extract, user=publisher.who, authority=SECOND, identity=publisher)
    last = audit.trail(db).iloc[-1]
    assert last["event"] == "refused: publish" and last["who"] == "tameside.pub@example.test"
    assert last["what"].endswith(f"for council {SECOND}")
    assert (db.read_bytes(), len(journal.entries(journal.journal_dir(db)))) == before
    with pytest.raises(LoadRejected, match="unknown council 'nowhere'"):
        stored.publish_extract(db, extract, authority="nowhere")
    # The same file for Tameside is not "already held": each council's extracts are its own.
    vintage, _, _ = stored.publish_extract(db, extract, user=publisher.who, identity=publisher)
    assert vintage in set(stored.held(store.ReadOnlyStore(db))["vintage"])


def test_a_records_grant_for_one_council_does_not_open_anothers_children(records_councils):
    from dashboard.ui import breakdown as ui_breakdown

    roles = access.parse_roles(
        f'[[grant]]\nemail = "borough.sw@example.test"\nrole = "viewer"\nrecords = ["cin_cp"]\n'
        f'councils = ["{SECOND}"]\n',
        "roles.toml",
        AREAS,
        {"tameside", SECOND},
    )
    worker = access.resolve(roles, {"email": "borough.sw@example.test"})
    assert ui_breakdown.Access(worker, "cin_cp", False, SECOND).teams is None  # every team of its own council
    assert ui_breakdown.Access(worker, "cin_cp", False, "tameside").teams == frozenset()  # none of Tameside's
    assert not ui_breakdown.Access(worker, "cin_cp", False, "tameside").any


def test_children_and_breakdown_on_the_command_line_are_per_council_and_audited(
    records_councils, records_env, tmp_path, capsys
):
    from dashboard.records import stored

    db = _copy(records_councils, tmp_path)
    capsys.readouterr()
    assert _annex(db, "children", "--ref", "CIN8", "--month", "2024-01", "--authority", SECOND) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(f"council {SECOND}. Do not share.") and len(out) == 3  # one late assessment
    theirs = store.ReadOnlyStore(db).extract_records(list(stored.held(store.ReadOnlyStore(db), SECOND)["extract"]))
    assert out[2].split(",")[1] in set(theirs["child"])  # Synthetic Borough's pseudonym, not Tameside's
    last = audit.trail(db).iloc[-1]
    assert last["event"] == "records viewed" and last["what"].startswith("CIN8 2024-01: children to discuss")
    assert last["what"].endswith(f"; council {SECOND}")
    assert _annex(db, "breakdown", "--ref", "CIN8", "--month", "2024-01") == 0
    assert audit.trail(db).iloc[-1]["what"].endswith("; council tameside")


def test_retention_withdraws_each_councils_extracts_by_its_own_newest(records_councils, records_env, tmp_path, capsys):
    from test_records import standard

    from dashboard.records import stored

    db = _copy(records_councils, tmp_path)
    later = standard(tmp_path, "borough_june.xlsx")
    # 3 months' retention: Synthetic Borough's June extract withdraws its own January one, never Tameside's.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(stored.RETENTION_ENV, "3")
        assert _annex(db, "load-annex-a", str(later), "--as-at", "2024-06-30", "--authority", SECOND) == 0
    assert "withdrawn by the retention setting: borough_annex_a.xlsx as at 31 Jan 2024" in capsys.readouterr().err
    reader = store.ReadOnlyStore(db)
    assert list(stored.held(reader, SECOND)["name"]) == ["borough_june.xlsx"]
    assert list(stored.held(reader)["name"]) == ["annex_a_synthetic.xlsx"]
    last = journal.entries(journal.journal_dir(db))[-1].manifest
    assert last["kind"] == "records-withdrawal" and last["councils"] == [SECOND]
    event = audit.trail(db).query("event == 'records retention'").iloc[-1]
    assert event["what"].startswith(f"council {SECOND}: 1 Annex A extract withdrawn (borough_annex_a.xlsx")
    # purge-extracts with no council applies each council's retention from its own newest: Tameside's January
    # extract is its newest, so it stays.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(stored.RETENTION_ENV, "3")
        assert _annex(db, "purge-extracts") == 0
    assert list(stored.held(store.ReadOnlyStore(db))["name"]) == ["annex_a_synthetic.xlsx"]


def test_a_journal_from_before_councils_replays_to_the_same_figures(fresh_db, records_env, tmp_path):
    """Entries written before extracts named a council (no authority column) are the home council's."""
    from test_records import AS_AT, KEY, standard

    from dashboard.records import annex_a, compute, stored

    now = dt.datetime(2024, 2, 1, 9, 0)
    old = annex_a.read(standard(tmp_path, "old.xlsx"), dt.date(2021, 12, 31), KEY)
    kept = annex_a.read(standard(tmp_path), AS_AT, KEY)
    with journal.writer_lock(fresh_db, "an older release's writes"):
        for n, extract in enumerate((old, kept)):
            vintage_id = f"records-20240201-09000{n}-000000"
            frames = {
                t: f.drop(columns="authority", errors="ignore")
                for t, f in stored.to_frames(extract, vintage_id, "").items()
            }
            vintage = {
                "vintage": vintage_id,
                "label": extract.name,
                "published": now.date(),
                "source_file": extract.name,
                "as_of_note": "",
                "kind": "records",
                "loaded_at": now,
                "loaded_by": "cli (old)",
            }
            journal.record(fresh_db, "records", vintage, frames, "cli (old)", extract.name, extract.sha256)
        gone = pd.DataFrame(
            {"extract": ["records-20240201-090000-000000"], "vintage": "records-withdrawal-old", "reason": "retention"}
        )
        vintage = {
            "vintage": "records-withdrawal-old",
            "label": "withdrawn",
            "published": now.date(),
            "source_file": "",
            "as_of_note": "",
            "kind": "records-withdrawal",
            "loaded_at": now,
            "loaded_by": "cli (old)",
        }
        journal.record(fresh_db, "records-withdrawal", vintage, {"extract_withdrawals": gone}, "cli (old)", "", "")
    store.ReadOnlyStore.close_all()
    lifecycle.build(fresh_db)
    reader = store.ReadOnlyStore(fresh_db)
    held = stored.held(reader)
    assert list(held["name"]) == ["annex_a_synthetic.xlsx"] and list(held["authority"]) == ["tameside"]
    assert list(reader.query("SELECT authority FROM extract_withdrawals")["authority"]) == ["tameside"]
    replayed, _ = stored.computed_for(reader)
    direct = compute.compute([kept])
    pd.testing.assert_frame_equal(replayed.figures, direct.figures, check_dtype=False)


def test_scorecard_and_export_take_the_council(three_councils, tmp_path, capsys):
    from dashboard import service
    from dashboard.words.formatting import scorecard_csv

    db = three_councils
    capsys.readouterr()
    assert _annex(db, "scorecard", "--month", "2023-01", "--authority", SECOND) == 0
    theirs = capsys.readouterr().out
    want = scorecard_csv(service.build_scorecard(store.ReadOnlyStore(db), dt.date(2023, 1, 1), authority=SECOND))
    assert theirs == want.to_csv(index=False, lineterminator="\n")
    assert _annex(db, "scorecard", "--month", "2023-01") == 0
    assert capsys.readouterr().out != theirs  # the default is still the home council's
    for council, name in ((SECOND, "borough.csv"), (None, "home.csv")):
        extra = ["--authority", council] if council else []
        assert _annex(db, "export", "--month", "2023-01", "--format", "csv", "--out", str(tmp_path / name), *extra) == 0
    assert (tmp_path / "borough.csv").read_bytes() != (tmp_path / "home.csv").read_bytes()
    assert (
        _annex(
            db,
            "export",
            "--month",
            "2023-01",
            "--format",
            "csv",
            "--out",
            str(tmp_path / "x.csv"),
            "--authority",
            "nowhere",
        )
        == 2
    )
    assert "--authority: unknown council 'nowhere'" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_computed_vs_loaded_shows_the_council_in_views_extracts_only(records_councils, records_env, monkeypatch):
    roles = records_councils.parent / "roles.toml"
    roles.write_text(f'[[grant]]\nemail = "borough.viewer@example.test"\nrole = "viewer"\ncouncils = ["{SECOND}"]\n')
    monkeypatch.setenv(access.ROLES_ENV, str(roles))
    monkeypatch.setenv("DASHBOARD_DB", str(records_councils))
    monkeypatch.setattr(signin, "auth_configured", lambda: True)
    monkeypatch.setattr(signin, "_claims", lambda: {"email": "borough.viewer@example.test"})
    at = run_page("computed", month="2024-01")
    text = _shown_text(at)
    held = next(m.value for m in at.markdown if "extract held" in m.value)
    assert "1 extract held" in held and "borough_annex_a.xlsx" not in held  # the held line gives dates, not names
    assert "or fewer after their ‘Continuous assessment start date’" in text  # CIN8 in words, in the expander
    shown = pd.concat([d.value for d in at.dataframe if "Ref" in d.value])  # the figures, not the findings
    # one extract behind every figure: said once above the tables, not on every row; this council's, not Tameside's
    assert "From extract" not in shown.columns
    assert "Every figure here is computed from borough_annex_a.xlsx as at 31 Jan 2024." in text
    assert shown.set_index("Ref").loc["CIN8", "Computed"] == "50.0%"
