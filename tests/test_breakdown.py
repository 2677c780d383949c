"""The drill-down (issue 31): every computed ref's breakdown by team and by worker adds up to the council figure for
every month of a small synthetic council; small counts are suppressed for those without record-level access; the
roles file's record-level grants; the CLI's breakdown and children, audited; the papers hold no record."""

import datetime as dt
import io
import subprocess
import zipfile

import pandas as pd
import pytest

from dashboard import cli, store
from dashboard.auth import access
from dashboard.output import export, papers
from dashboard.records import breakdown as bd
from dashboard.records import compute, pseudonym, stored, synth
from dashboard.records.measures import REGISTRY
from dashboard.ui.page_registry import PAGE_PATHS
from dashboard.words.formatting import fmt_value
from dashboard.writes import audit

AS_AT = dt.date(2024, 1, 31)
MEASURES = {m.ref: m for m in REGISTRY}


@pytest.fixture(scope="module")
def extracts():
    """Two month-end extracts of the synthetic council (Dec-23, Jan-24): seven event months, seven month ends."""
    plan = synth.simulate(AS_AT, 2, 1)
    made = [synth.extract(synth.rows_as_at(plan, d), d, pseudonym.DEMO_KEY) for d in plan.as_ats]
    for e in made:
        e.synthetic = True
    return made


@pytest.fixture(scope="module")
def counted(extracts):
    return {m.ref: compute.counted_rows(extracts, m) for m in REGISTRY}


def test_the_reader_keeps_the_allocated_team_and_worker(extracts):
    for key in ("list_3", "list_4", "list_5", "list_6", "list_7", "list_8"):
        frame = extracts[-1].lists[key]
        assert frame["team"].notna().any() and frame["worker"].notna().any(), key
        assert frame["team"].dropna().str.startswith("synthetic").all()
    assert "team" not in extracts[-1].lists["list_1"]  # contacts carry no allocation in the template


@pytest.mark.parametrize("ref", [m.ref for m in REGISTRY])
def test_every_breakdown_adds_up_to_the_council_figure(counted, ref):
    m = MEASURES[ref]
    figures, rows = counted[ref]
    assert not figures.empty
    assert set(rows["month"]) <= set(figures["month"])
    whole = bd.council(rows, m).set_index("month")
    for by in (("team",), ("team", "worker")):
        parts = bd.by_group(rows.assign(worker=rows["who"]) if m.per else rows, m, by)
        for fig in figures.itertuples():
            mine = parts[parts["month"] == fig.month]
            got = whole.loc[fig.month] if fig.month in whole.index else None
            if got is None:  # no record counted in the month: a count is 0, any other figure has no cases
                if m.kind == "count":
                    assert fig.computed == 0, (ref, fig.month)
                else:
                    assert pd.isna(fig.computed), (ref, fig.month)
                continue
            assert got["value"] == fig.computed or (pd.isna(got["value"]) and pd.isna(fig.computed)), (ref, fig.month)
            if m.kind == "max":
                assert mine["numerator"].max() == fig.numerator, (ref, fig.month, by)
            elif m.kind == "count":
                assert mine["numerator"].sum() == fig.computed, (ref, fig.month, by)
            else:
                assert mine["numerator"].sum() == fig.numerator, (ref, fig.month, by)
                assert mine["denominator"].sum() == fig.denominator, (ref, fig.month, by)


def test_the_children_to_discuss_are_those_outside_timescale(counted):
    m = MEASURES["CIN8"]
    figures, rows = counted["CIN8"]
    kids = bd.children(rows, m)
    for fig in figures.itertuples():
        mine = kids[kids["month"] == fig.month]
        assert len(mine) == fig.denominator - fig.numerator
        assert (mine["measured"] > 45).all() and (mine["over_by"] == mine["measured"] - 45).all()
        assert mine["pseudonym"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert bd.children(counted["CIN1"][1], MEASURES["CIN1"]).empty  # a count has no such list
    sg13 = bd.children(counted["SG13"][1], MEASURES["SG13"])  # open over 18 months is the numerator itself
    last = counted["SG13"][0].iloc[-1]
    assert len(sg13[sg13["month"] == last["month"]]) == last["numerator"]


def test_the_spread_per_team_and_overall(counted):
    m = MEASURES["CIN8"]
    rows = counted["CIN8"][1]
    rows = rows[rows["month"] == rows["month"].max()]
    stats = bd.spread(rows, m).set_index("team")
    assert stats.loc["All teams", "cases"] == len(rows)
    assert stats.drop("All teams")["cases"].sum() == len(rows)
    assert stats.loc["All teams", "median"] == rows["gap"].median()


def _table(nums, dens):
    return pd.DataFrame({"team": [f"t{i}" for i in range(len(nums))], "numerator": nums, "denominator": dens}).assign(
        value=[bd.figure("percent", n, d) for n, d in zip(nums, dens)]
    )


def test_suppression_below_five():
    count = MEASURES["CIN1"]
    t = pd.DataFrame({"team": ["a", "b", "c", "d"], "numerator": [3, 40, 12, 0], "denominator": [None] * 4})
    t["value"] = t["numerator"].astype(float)
    s = bd.suppress(t, count)
    assert s["numerator"].tolist() == [bd.FEWER, 40, bd.WITHHELD, 0]  # the next smallest is withheld; 0 is shown
    assert s["value"].tolist()[0] == bd.FEWER

    pct = MEASURES["CIN8"]
    s = bd.suppress(_table([100, 18, 30, 50], [110, 20, 40, 60]), pct)  # b: 2 outside timescale
    assert s.loc[1, "outside"] == bd.FEWER and s.loc[1, "value"] == bd.FEWER_CASES and s.loc[1, "denominator"] == 20
    assert s.loc[1, "numerator"] == bd.WITHHELD  # 18 is not small, but would give the 2 away
    assert s.loc[2, "numerator"] == bd.WITHHELD  # the next smallest numerator: b's cannot be worked out
    assert s.loc[0, "numerator"] == 100 and s.loc[0, "value"] == 90.9
    s = bd.suppress(_table([3, 30], [4, 40]), pct)  # a denominator under 5 hides everything of the team
    assert s.loc[0, ["numerator", "denominator", "value"]].tolist() == [bd.FEWER, bd.FEWER, bd.FEWER_CASES]
    s = bd.suppress(_table([30, 40], [40, 50]), pct)  # nothing small: nothing hidden
    assert s["numerator"].tolist() == [30, 40] and s["value"].tolist() == [75.0, 80.0]
    # a caseload: 3 workers would all but be named; their 40 children are not few, so neither cell says "fewer than 5"
    caseload = MEASURES["WF9"]
    t = pd.DataFrame({"team": ["a", "b", "c"], "numerator": [40, 90, 120], "denominator": [3, 6, 8]})
    s = bd.suppress(t.assign(value=t["numerator"] / t["denominator"]), caseload)
    assert s.loc[0, ["numerator", "denominator", "value"]].tolist() == [bd.FEWER_WORKERS, bd.FEWER, bd.FEWER_WORKERS]
    assert s.loc[1, "denominator"] == bd.WITHHELD and s.loc[2, "value"] == 15.0

    # a figure hidden only because a count beside it is withheld is withheld, not "fewer than 5"
    s = bd.suppress(_table([1, 85, 82, 80, 91], [1, 103, 96, 96, 106]), pct)
    assert s["denominator"].tolist() == [bd.FEWER, 103, bd.WITHHELD, 96, 106]
    assert s["numerator"].tolist() == [bd.FEWER, 85, 82, bd.WITHHELD, 91]
    assert s["value"].tolist() == [bd.FEWER_CASES, 82.5, bd.WITHHELD, bd.WITHHELD, 85.8]


def _spread(cases):
    return pd.DataFrame(
        {"team": ["All teams", *(f"t{i}" for i in range(len(cases)))], "cases": [sum(cases), *cases]}
    ).assign(median=30.0, p90=50.0)


def test_the_spread_hides_what_the_team_table_beside_it_hides():
    """Found on a walk of the app: the team table withheld a team's cases while the spread beneath it showed them,
    and showed a team's 1 case. The spread hides at least what the table hides, and its own small counts."""
    pct = MEASURES["CIN8"]
    shown = bd.suppress(_table([1, 85, 82, 80, 91], [1, 103, 96, 96, 106]), pct)
    s = bd.suppress_spread(_spread([1, 103, 96, 96, 106]), shown, pct)
    assert s["cases"].tolist() == [402, bd.FEWER, 103, bd.WITHHELD, 96, 106]
    # a median of 1 case is the case; "fewer than 5" would read as the median itself
    assert s["median"].tolist() == [30.0, bd.FEWER_CASES, 30.0, 30.0, 30.0, 30.0]
    # the spread's own small count hides the next smallest too, even where the table hides nothing
    shown = bd.suppress(_table([20, 30, 40], [25, 35, 45]), pct)
    s = bd.suppress_spread(_spread([3, 35, 45]), shown, pct)
    assert s["cases"].tolist() == [83, bd.FEWER, bd.WITHHELD, 45]
    # nothing small, nothing hidden
    s = bd.suppress_spread(_spread([25, 35, 45]), shown, pct)
    assert s["cases"].tolist() == [105, 25, 35, 45]


def test_no_count_the_team_table_hides_is_shown_by_the_spread(counted):
    """For a viewer without record-level access, every timescale ref and month of the synthetic council: a team's
    cases in the spread are hidden wherever the team table hides that team's cases, and none from 1 to 4 shows."""
    from dashboard.records import views

    checked = 0
    for m in REGISTRY:
        if not views.measured_in(m):
            continue
        figures, rows = counted[m.ref]
        table, _ = views.team_figures(rows, m.ref)
        for month in sorted(rows["month"].unique()):
            mine = rows[rows["month"] == month]
            this_month = table[table["month"] == month].reset_index(drop=True)
            shown, _ = views.team_table(this_month, m.ref, frozenset())
            stats, _, _ = views.spread(mine, m.ref, frozenset(), this_month)
            cases = dict(zip(stats["team"], stats["cases"]))
            counted_col = "numerator" if m.kind == "count" else "denominator"
            for team, v in zip(shown["team"], shown[counted_col]):
                if isinstance(v, str) and team in cases:
                    assert isinstance(cases[team], str), (m.ref, month, team, cases[team])
            assert not [c for t, c in cases.items() if t != "All teams" and not isinstance(c, str) and 0 < c < 5]
            checked += 1
    assert checked > 10


ROLES = """
[[grant]]
email = "cin@example.test"
role = "area_editor"
areas = ["cin_cp"]
records = ["cin_cp"]

[[grant]]
email = "north@example.test"
role = "viewer"
records = ["cin_cp"]
teams = ["Synthetic Locality Team North"]

[[grant]]
email = "pub@example.test"
role = "publisher"
"""


def test_record_level_grants():
    known = {"cin_cp", "cared_for"}
    roles = access.parse_roles(ROLES, "roles.toml", known)
    cin = access.resolve(roles, {"email": "cin@example.test"})
    north = access.resolve(roles, {"email": "north@example.test"})
    pub = access.resolve(roles, {"email": "pub@example.test"})
    assert access.permits(cin, access.RECORDS, "cin_cp") and not access.permits(cin, access.RECORDS, "cared_for")
    assert access.record_teams(cin, "cin_cp") is None and access.record_teams(cin, "cared_for") == frozenset()
    assert access.record_teams(north, "cin_cp") == {"synthetic locality team north"}
    assert not access.permits(pub, access.RECORDS, "cin_cp") and access.record_teams(pub, "cin_cp") == frozenset()
    assert access.record_teams(None, "cin_cp") == frozenset()
    with pytest.raises(access.RolesError, match="records"):
        access.parse_roles('[[grant]]\nemail = "a@b"\nrole = "viewer"\nteams = ["x"]\n', "r.toml", known)
    with pytest.raises(access.RolesError, match="unknown area nowhere"):
        access.parse_roles('[[grant]]\nemail = "a@b"\nrole = "viewer"\nrecords = ["nowhere"]\n', "r.toml", known)


@pytest.fixture(scope="module")
def held_db(built_db, extracts, tmp_path_factory):
    """The sample database with the synthetic Jan-24 extract loaded through the journal."""
    path = tmp_path_factory.mktemp("drill") / "dashboard.duckdb"
    path.write_bytes(built_db.read_bytes())
    stored.publish_extract(path, extracts[-1], user="test", demo_key=True)  # Jan-24 only: one load, one rebuild
    store.ReadOnlyStore.close_all()
    return path


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_breakdown_and_children_are_audited(held_db, counted, capsys):
    code, out, err = _run(capsys, "breakdown", "--db", str(held_db), "--ref", "CIN8", "--month", "2024-01")
    assert code == 0 and stored.BANNER in err
    got = pd.read_csv(io.StringIO(out))
    assert list(got.columns) == ["group", "numerator", "denominator", "value"]
    fig = counted["CIN8"][0].iloc[-1]
    assert got["numerator"].sum() == fig.numerator and got["denominator"].sum() == fig.denominator
    code, out, _ = _run(capsys, "children", "--db", str(held_db), "--ref", "CIN8", "--month", "2024-01")
    assert code == 0 and out.startswith("OFFICIAL-SENSITIVE")
    assert len(pd.read_csv(io.StringIO(out), skiprows=1)) == fig.denominator - fig.numerator
    code, _, err = _run(capsys, "children", "--db", str(held_db), "--ref", "CIN1", "--month", "2024-01")
    assert code == 2 and "no list" in err
    code, _, err = _run(capsys, "breakdown", "--db", str(held_db), "--ref", "XX1", "--month", "2024-01")
    assert code == 2 and "not computed from records" in err
    trail = audit.trail(held_db)
    lines = trail[trail["event"].isin(["records viewed", "breakdown viewed"])]["what"].tolist()
    assert any(w.startswith("CIN8 2024-01: by team") for w in lines)
    assert any(w.startswith("CIN8 2024-01: children to discuss, command line") for w in lines)


def test_the_papers_hold_no_pseudonym_and_no_worker(held_db, extracts, tmp_path):
    names, children = set(), set()
    for e in extracts:
        for frame in e.lists.values():
            children |= set(frame["child"].dropna())
            for col in ("worker", "adviser"):
                if col in frame:
                    names |= set(frame[col].dropna())
    reader = store.ReadOnlyStore(held_db)
    pack = papers.gather(reader, dt.date(2024, 1, 1), areas=["cin_cp"])
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(export.render(pack, "pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.lower()
    xlsx = export.render(pack, "xlsx")
    book = " ".join(
        zipfile.ZipFile(io.BytesIO(xlsx)).read(n).decode("utf-8", "replace").lower()
        for n in zipfile.ZipFile(io.BytesIO(xlsx)).namelist()
    )
    for secret in children | {n.lower() for n in names}:
        assert secret not in text and secret not in book
    assert "locality team" not in book and "locality team" not in text


def test_caseloads_per_worker(counted):
    m = MEASURES["WF8"]
    figures, rows = counted["WF8"]
    loads = bd.caseloads(rows, m)
    for fig in figures.itertuples():
        mine = loads[loads["month"] == fig.month]
        assert mine["children"].iloc[0] == fig.computed  # highest first: WF8 itself
        assert mine["worker"].is_unique
        assert (bd.above(mine, 20)["children"] > 20).all()
    assert bd.caseloads(rows, MEASURES["CIN8"]).empty


def test_the_area_pages_team_view(held_db, counted, monkeypatch):
    """The CIN area page recomputes its computed refs for one team: CIN8 for a locality team is that team's
    figure from the breakdown (the demo without sign-in, synthetic records)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(held_db))
    at = AppTest.from_file("../app.py", default_timeout=300)
    at.run()
    at.switch_page(PAGE_PATHS["cin_cp"])
    at.query_params.update({"month": "2024-01"})
    at.run()
    (box,) = [s for s in at.selectbox if s.key == "team_view_cin_cp"]
    box.set_value("synthetic locality team west").run()
    assert not at.exception
    (table,) = [md.value for md in at.markdown if "This team" in md.value]
    cin8 = next(line for line in table.splitlines() if line.startswith("| CIN8 "))
    figures, rows = counted["CIN8"]
    teams = bd.by_group(rows, MEASURES["CIN8"], ("team",))
    team = teams[(teams["month"] == dt.date(2024, 1, 1)) & (teams["team"] == "synthetic locality team west")]
    expected = fmt_value(float(team["value"].iloc[0]), "percent").replace(".", "\\.")
    assert expected in cin8 and "86\\.3%" in cin8  # the team's figure (from the breakdown) beside the council's
    store.ReadOnlyStore.close_all()


def test_the_views_cut_every_frame_to_the_viewers_teams(counted):
    """records/views.py, the records pages' service: a viewer granted one team sees that team's workers and children
    only, and every team aggregate suppressed; another team's workers come back empty even if asked for."""
    from dashboard.records import views

    figures, rows = counted["CIN8"]
    month = figures["month"].max()
    mine = rows[rows["month"] == month]
    teams = sorted(mine["team"].dropna().unique())
    one, other = frozenset({teams[0].lower()}), teams[1]
    table, _ = views.team_figures(rows, "CIN8")
    table = table[table["month"] == month].reset_index(drop=True)
    open_, drawn_all = views.team_table(table, "CIN8", None)
    cut, drawn = views.team_table(table, "CIN8", one)
    assert cut.equals(bd.suppress(table.assign(team=table["team"].map(bd.shown_name)), MEASURES["CIN8"]))
    assert len(drawn) <= len(drawn_all) and not any(isinstance(v, str) for v in open_["value"])
    assert views.workers(mine, "CIN8", other, one).empty
    assert not views.workers(mine, "CIN8", teams[0], one).empty
    assert not views.workers(mine, "CIN8", other, None).empty
    kids = views.children(mine, "CIN8", one)
    assert set(kids["team"]) <= {bd.shown_name(teams[0])}
    assert views.children(mine, "CIN8", frozenset()).empty


def test_the_list_is_made_on_click_with_access_checked_then_and_audited(fresh_db, tmp_path, monkeypatch):
    """The children-to-discuss file is made only when Download is pressed (an adversarial pass fetched it, made
    when the list was drawn, from Streamlit's file server with no sign-in): the grant is read again then; a
    download is audited as done, one after the grant is withdrawn is refused and audited, and each file names
    who downloaded it and when."""
    from dashboard.ui import breakdown as page
    from dashboard.ui import signin

    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    roles = tmp_path / "roles.toml"
    grant = '[[grant]]\nemail = "ed@example.test"\nrole = "area_editor"\nareas = ["cin_cp"]\n'
    roles.write_text(grant + 'records = ["cin_cp"]\n')
    monkeypatch.setenv(access.ROLES_ENV, str(roles))
    access.forget_cached_roles()
    claims = {"email": "ed@example.test"}
    monkeypatch.setattr(signin, "_claims", lambda: claims)
    monkeypatch.setattr(signin, "_known_areas", lambda: {"cin_cp", "cared_for"})
    who = access.resolve(access.load_roles(known_areas={"cin_cp"}), claims)
    may = page.Access(who, "cin_cp", False, "tameside")
    assert may.teams is None  # every team
    table = pd.DataFrame({"Pseudonym": ["p1", "p2"], "Team": ["North", "South"]})
    made = page._list_on_click(table, "CIN8", dt.date(2024, 1, 1), "list.csv", "cin_cp", may)
    trail = audit.trail(fresh_db)
    assert not (trail["event"] == "records downloaded").any()  # nothing made, nothing audited, until the press
    first, second = made().decode().splitlines()[:2], made().decode().splitlines()[1]
    assert first[0].startswith("OFFICIAL-SENSITIVE") and first[1].startswith("Downloaded by ed@example.test at ")
    assert first[1] != second  # each press its own file
    roles.write_text(grant)  # the records grant withdrawn while the page is open
    access.forget_cached_roles()
    assert made().startswith(b"Refused:")
    trail = audit.trail(fresh_db)
    assert list(trail.loc[trail["event"] == "records downloaded", "outcome"]) == ["done", "done"]
    refused = trail[(trail["event"] == "refused: records") & (trail["who"] == "ed@example.test")]
    assert refused["what"].str.startswith("CIN8 2024-01: list.csv").any()
