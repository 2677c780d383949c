"""Trust in the numbers: revisions, data quality, the admin gate, commentary safety, and a published
upload reaching a running app without a restart."""

import hashlib

import pytest
import streamlit as st
from apptest import run_page, table_text
from streamlit.testing.v1 import AppTest

from dashboard import service, store
from dashboard.input import reading
from dashboard.output import export_charts, papers
from dashboard.words.periods import parse_period
from dashboard.writes import commentary, loader


def sha(p) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


app = run_page


texts = table_text


@pytest.fixture()
def db_env(fresh_db, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    monkeypatch.delenv("DASHBOARD_ADMIN_SECRET", raising=False)
    return fresh_db


# ---------------------------------------------------------------- revisions


def test_revisions_with_impact_lists_the_real_revised_cells(built_db):
    rev = service.revisions_with_impact(store.ReadOnlyStore(built_db))
    assert len(rev) == 70
    fd1 = rev[(rev["ref"] == "FD1") & (rev["period"] == parse_period("2023-09"))].iloc[0]
    assert (fd1["old_value"], fd1["new_value"], fd1["old_vintage"], fd1["new_vintage"]) == (
        1265,
        1318,
        "pack-2023-11",
        "pack-2024-03",
    )
    # The flags are worked out, not constant: some revisions moved a direction of travel, and the flag agrees
    # with the judgements on either side.
    assert rev["direction_changed"].any() and not rev["direction_changed"].all()
    assert (rev["direction_changed"] == (rev["old_direction"] != rev["new_direction"])).all()


def test_revisions_page_lists_fd1_and_filters_by_area():
    at = app("revisions")
    text = texts(at)
    assert "FD1" in text and "1,265" in text and "1,318" in text and "Sep-23" in text
    at.multiselect(key="rev_area").set_value(["cared_for"]).run()
    refs = set(at.dataframe[0].value["Ref"])
    assert refs and all(r.startswith("CF") for r in refs)


def test_nov23_vintage_shows_sep23_as_printed():
    at = app("front_door", "2023-09", vintage="pack-2023-11")
    text = texts(at)
    assert "1,265" in text and "1,318" not in text
    latest = texts(app("front_door", "2023-09"))
    assert "1,318 †" in latest  # the revised cell is marked


# ---------------------------------------------------------------- data quality


def test_data_quality_page_lists_each_check():
    at = app("data_quality")
    heads = [h.value for h in at.header]
    assert any(h.startswith("Missing and not-yet-available months") for h in heads)
    text = texts(at)
    assert "EH10" in text and "WF10" in text  # definition changes under the same ref
    assert "FD2a" in text and "appears" in text and "FD3" in text and "disappears" in text
    assert "SG16" in text  # printed 'Not Yet Available'
    assert "pack-2024-03" in text and "2024-03-06" in text  # vintage dates


# ---------------------------------------------------------------- admin gate


def unlock(at: AppTest):
    return next(b for b in at.main.button if b.label == "Unlock")


def test_admin_section_is_off_without_a_secret(db_env):
    at = app("load")
    assert any("switched off" in i.value for i in at.info)
    assert not at.get("file_uploader") and not at.main.text_input


def test_admin_needs_the_secret_entered(db_env, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ADMIN_SECRET", "correct horse")
    at = app("load")
    assert not at.get("file_uploader")
    at.text_input(key="admin_secret_input").input("wrong")
    unlock(at).click().run()
    assert any("not the admin secret" in e.value for e in at.error)
    assert not at.get("file_uploader")
    at.text_input(key="admin_secret_input").input("correct horse")
    unlock(at).click().run()
    assert at.get("file_uploader"), "the uploader appears once unlocked"


# ---------------------------------------------------------------- publishing


def test_good_upload_appears_in_a_running_app_without_restart(db_env, tmp_path):
    at = app("front_door", "2024-01")
    assert "1,551" in texts(at)
    good = tmp_path / "feb.csv"
    good.write_text("ref,period,value\nFD1,2024-02,1432\nFD1,2024-01,1560\n")
    loader.load_file(db_env, good)
    at.run()  # the same running app, next interaction
    assert "1,560 †" in texts(at), texts(at)[:1200]
    st.cache_data.clear()
    st.cache_resource.clear()
    at.query_params["month"] = "2024-02"
    at.session_state["month"] = "2024-02"
    at.run()
    assert "1,432" in texts(at)


def test_bad_upload_changes_nothing(db_env, tmp_path):
    before = sha(db_env)
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,period,value\nFD1,2024-02,1432\nFD1,2024-02,lots\n")
    with pytest.raises(reading.LoadRejected) as exc:
        loader.load_file(db_env, bad)
    assert "bad.csv, row 3, column 'value'" in str(exc.value)
    assert sha(db_env) == before


def test_commentary_is_stored_per_area_and_month_and_html_is_text(db_env):
    vintage = commentary.publish(
        db_env,
        "cared_for",
        parse_period("2024-01"),
        "**Placements** steady. <script>alert(1)</script> <b>bold?</b>",
        author="Test",
    )
    c = store.ReadOnlyStore(db_env).commentary_as_of("latest", "tameside", "cared_for", parse_period("2024-01"))
    assert c.iloc[0]["vintage"] == vintage
    at = app("cared_for", "2024-01")
    body = [m for m in at.markdown if "Placements" in m.value and not m.value.startswith("| Ref |")]  # not the table
    assert body and "&lt;script>" in body[0].value and "<script>" not in body[0].value
    assert not body[0].proto.allow_html
    # Another area and month are untouched.
    assert (
        store.ReadOnlyStore(db_env).commentary_as_of("latest", "tameside", "front_door", parse_period("2024-01")).empty
    )


def test_commentary_rejects_bad_input_and_keeps_the_file(db_env):
    before = sha(db_env)
    for area, month, text in (
        ("nowhere", "2024-01", "x"),
        ("front_door", "2024-01", "   "),
        ("front_door", "2024-01", "x" * (commentary.MAX_CHARS + 1)),
    ):
        with pytest.raises(reading.LoadRejected):
            commentary.publish(db_env, area, parse_period(month), text)
    assert sha(db_env) == before


def test_commentary_edited_in_the_app_is_stored_and_shown(db_env, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ADMIN_SECRET", "s3cret")
    at = app("load", _admin_ok="s3cret")
    at.selectbox(key="edit_area").set_value("workforce")
    at.selectbox(key="edit_month").set_value("2024-01").run()
    at.text_area(key="commentary_workforce_2024-01").input("Agency use **fell** again. <img src=x onerror=alert(1)>")
    next(b for b in at.main.button if b.label == "Publish commentary").click().run()
    assert any("Saved as vintage" in s.value for s in at.success), [e.value for e in at.error]
    c = store.ReadOnlyStore(db_env).commentary_as_of("latest", "tameside", "workforce", parse_period("2024-01"))
    assert c.iloc[0]["text"].startswith("Agency use **fell** again.")
    page = app("workforce", "2024-01")
    shown = [m for m in page.markdown if "Agency use" in m.value]
    assert shown and "&lt;img" in shown[0].value and not shown[0].proto.allow_html


def test_a_session_without_the_secret_cannot_publish(db_env, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ADMIN_SECRET", "s3cret")
    before = sha(db_env)
    at = app("load", _admin_ok="an old secret")  # unlocked under a secret that has since changed
    assert not at.get("file_uploader") and not [b for b in at.main.button if b.label == "Publish commentary"]
    assert sha(db_env) == before


@pytest.mark.parametrize("vintage, revised", [("pack-2023-11", False), ("latest", True)])
def test_revised_means_the_same_on_every_surface(built_db, vintage, revised):
    """FD1 Sep-23 was printed as 1,265 in November 2023 and revised to 1,318 in March 2024: viewed as the November
    pack, no surface marks it revised; viewed latest, every surface does."""
    import datetime as dt

    from apptest import run_page

    from dashboard import service, store
    from dashboard.output import export

    sep = dt.date(2023, 9, 1)
    reader = store.ReadOnlyStore(built_db)
    sc = service.build_scorecard(reader, sep, vintage).set_index("ref")
    pack = papers.gather(reader, sep, vintage, areas=["front_door"])
    store.ReadOnlyStore.close_all()
    assert bool(sc.loc["FD1", "revised"]) is revised
    assert (("FD1", sep) in pack.revised) is revised
    csv_row = next(
        line for line in export.render(pack, "csv").decode("utf-8-sig").splitlines() if line.startswith("FD1,")
    )
    assert ("†" in csv_row) is revised
    at = run_page("indicator", month="2023-09", ref="FD1", vintage=vintage)
    table = next(df.value for df in at.dataframe if "Revised" in df.value.columns)
    sep_rows = table[table["Month"] == "Sep-23"]
    assert set(sep_rows["Revised"]) == ({"yes"} if revised else {""})
    chart, _ = export_charts.indicator_chart_for(pack, "FD1")  # the chart the papers and the detail page draw
    spec = chart.to_dict()
    points = [
        r
        for data in spec.get("datasets", {}).values()
        for r in data
        if r.get("label") == "Sep-23" and "point_kind" in r
    ]
    assert points and all(("revised" in r["point_kind"]) is revised for r in points)
