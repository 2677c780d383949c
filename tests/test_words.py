"""One vocabulary for versions, and no contradictions on screen (issue 26, items 9 and 12): the figures' vintage
named the same way by pages, papers and the CLI; the picker grouped by kind; every vintage's author and time
real; the draft's "changed" the table's; a rank of a differently counted DfE figure says so."""

import datetime as dt
import re

import pandas as pd
import pytest
from apptest import run_page

from dashboard import service, store
from dashboard.engine import draft as draft_engine
from dashboard.engine import national as national_engine
from dashboard.engine import scorecard as scorecard_engine
from dashboard.output import papers
from dashboard.output.panel import panel_table
from dashboard.words.formatting import plain
from dashboard.words.vocabulary import (
    FIGURE_KINDS,
    SHIPPED,
    figures_vintage,
    later_writes,
    loaded_phrase,
    vintage_label,
    vintage_options,
)
from dashboard.writes import commentary, loader, reference

AREAS = ["front_door", "early_help", "cin_cp", "cared_for", "safeguarding", "workforce"]
SEP23, JAN24 = dt.date(2023, 9, 1), dt.date(2024, 1, 1)


def _write_upload(tmp_path, rows: str):
    path = tmp_path / "feb24.csv"
    path.write_text("ref,period,value\n" + rows)
    return path


@pytest.fixture()
def written(fresh_db, tmp_path):
    """The sample, then a figures upload, then a commentary edit and a targets load after it (in that order)."""
    upload, _ = loader.load_file(fresh_db, _write_upload(tmp_path, "CIN1,2024-02,333\n"), user="pub@example.test")
    store.ReadOnlyStore.close_all()
    edit = commentary.publish(fresh_db, "cin_cp", JAN24, "Steady.", user="cin-editor@example.test", drafted=True)
    store.ReadOnlyStore.close_all()
    targets = tmp_path / "targets.csv"
    targets.write_text("ref,target,from\nCIN8,90%,2024/25\n")
    target_vintage, _ = reference.load("targets", fresh_db, targets, user="pub@example.test")
    store.ReadOnlyStore.close_all()
    return fresh_db, upload, edit, target_vintage


def _vintages(db):
    v = store.ReadOnlyStore(db).table("vintages")
    store.ReadOnlyStore.close_all()
    return v


# ---------------------------------------------------------------- 9: the figures' vintage, named one way


def test_latest_names_the_latest_figures_load_not_a_later_write(written):
    db, upload, edit, targets = written
    v = _vintages(db)
    upload_label = v.set_index("vintage").loc[upload, "label"]
    assert figures_vintage(v, "latest")["vintage"] == upload
    assert vintage_label(v, "latest") == f"Latest (figures: {upload_label})"
    assert "Commentary edit" not in vintage_label(v, "latest") and "Targets" not in vintage_label(v, "latest")
    # A later write viewed as of itself still names the figures it sits on.
    edit_label = v.set_index("vintage").loc[edit, "label"]
    assert vintage_label(v, edit) == f"As of {edit_label} (figures: {upload_label})"
    assert vintage_label(v, "pack-2023-11") == "As reported: Scrutiny Panel pack, 8 November 2023"
    assert list(later_writes(v, "latest")["vintage"]) == [edit, targets]
    assert later_writes(v, upload).empty


def test_the_papers_and_the_cli_use_the_pages_words(written, capsys):
    db, upload, edit, _ = written
    v = _vintages(db)
    reader = store.ReadOnlyStore(db)
    try:
        for vintage in ("latest", edit, upload, "pack-2023-11"):
            assert papers.gather(reader, JAN24, vintage).vintage_label == vintage_label(v, vintage)
    finally:
        store.ReadOnlyStore.close_all()
    from dashboard import cli

    out = db.parent / "pack.csv"
    assert cli.main(["export", "--db", str(db), "--month", "2024-01", "--format", "csv", "--out", str(out)]) == 0
    assert vintage_label(v, "latest") in capsys.readouterr().err


def test_the_picker_groups_vintages_by_kind(written):
    db, upload, edit, targets = written
    v = _vintages(db)
    options, labels = vintage_options(v)
    kinds = v.set_index("vintage")["kind"]
    assert options[0] == "latest"
    figures = [o for o in options[1:] if kinds[o] in FIGURE_KINDS]
    others = [o for o in options[1:] if kinds[o] not in FIGURE_KINDS]
    assert options == ["latest", *figures, *others]  # one group, then the other
    assert figures == [upload, "pack-2024-03", "pack-2023-11", "pack-2023-01"]  # newest first
    assert others[:2] == [targets, edit]
    assert all(labels[o].startswith("As reported: ") for o in figures)
    assert labels[edit].startswith("Other write (commentary edit): Commentary edit")
    assert labels[targets].startswith("Other write (targets load): ")
    assert labels["dfe-national-2025"].startswith("Other write (DfE national statistics): ")
    assert not any(labels[o].startswith("As reported") for o in others)


def test_every_vintage_has_a_real_author_and_time(written):
    db, upload, edit, targets = written
    v = _vintages(db).set_index("vintage")
    phrases = {k: loaded_phrase(row) for k, row in v.iterrows()}
    for vintage, text in phrases.items():
        assert "unknown" not in text and "2000" not in text, (vintage, text)
        assert re.search(r"\d\d \w{3} 20\d\d", text), (vintage, text)
    for shipped in ("pack-2023-01", "pack-2023-11", "pack-2024-03", "dfe-national-2025"):
        assert v.loc[shipped, "loaded_by"] == SHIPPED
        assert phrases[shipped].startswith(f"{SHIPPED} (published ")
    assert phrases["pack-2024-03"] == f"{SHIPPED} (published 06 Mar 2024)"
    assert phrases["dfe-national-2025"] == f"{SHIPPED} (published 20 Mar 2026)"
    assert phrases[upload].startswith("loaded by pub@example.test on ")
    assert phrases[edit].startswith("loaded by cin-editor@example.test on ")
    assert pd.Timestamp(v.loc[edit, "loaded_at"]).year > 2000
    # The draft's author reads naturally.
    assert v.loc[edit, "source_file"] == "drafted from the figures, edited by cin-editor@example.test"


def test_the_source_of_a_commentary_edit_reads_naturally():
    assert commentary.source_phrase("Jo Bloggs") == "edited in the app by Jo Bloggs"
    assert (
        commentary.source_phrase("jo@example.test", drafted=True)
        == "drafted from the figures, edited by jo@example.test"
    )
    assert commentary.source_phrase("") == "edited in the app"


def test_revisions_shows_who_wrote_every_vintage(written, monkeypatch):
    db, upload, edit, _ = written
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = run_page("revisions")
    who = at.dataframe[-1].value
    assert len(who) == len(_vintages(db))  # the shipped packs too
    assert not who["Loaded"].str.contains("unknown|2000", regex=True).any(), list(who["Loaded"])
    assert who["Loaded"].str.startswith(SHIPPED).sum() == 4
    assert "drafted from the figures, edited by cin-editor@example.test" in set(who["Source"])


def test_the_page_label_follows_a_replaced_database(written, monkeypatch):
    """The sidebar's names come from the file in view: after another write they name the new figures."""
    db, upload, *_ = written
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = run_page("overview", month="2024-01")
    box = next(s for s in at.sidebar.selectbox if s.label == "Figures as reported")
    label = _vintages(db).set_index("vintage").loc[upload, "label"]
    assert box.format_func("latest") == f"Latest (figures: {label})"
    assert any(plain(f"Latest (figures: {label})") in c.value for c in at.caption)  # the overview's caption
    again, _ = loader.load_file(db, _write_upload(db.parent, "CIN1,2024-03,340\n"), user="pub@example.test")
    store.ReadOnlyStore.close_all()
    at.run()
    box = next(s for s in at.sidebar.selectbox if s.label == "Figures as reported")
    label = _vintages(db).set_index("vintage").loc[again, "label"]
    assert box.format_func("latest") == f"Latest (figures: {label})"
    assert any(plain(f"Latest (figures: {label})") in c.value for c in at.caption)  # the overview's caption


# ---------------------------------------------------------------- 12a: one rule for "changed"


@pytest.mark.parametrize("month", [JAN24, SEP23])
def test_the_draft_and_the_table_share_one_rule_for_changed(reader, month, monkeypatch):
    """Every sample row: a mover in the draft exactly where the table's direction moved, in the same words."""
    monkeypatch.setattr(draft_engine, "MAX_MOVERS", 1000)
    monkeypatch.setattr(draft_engine, "MAX_EXCEPTIONS", 0)  # every row is free to be a mover
    sc = service.build_scorecard(reader, month)
    for area in AREAS:
        rows = sc[(sc["area"] == area) & (sc["status"] == "value")].set_index("ref")
        d = service.draft(reader, month, area, sc=sc)
        movers = {}
        for s in d.sentences:
            m = re.search(r"\((\w+)\) (improved|worsened|rose|fell) from ", s.text)
            if m:
                movers[m.group(1)] = (m.group(2), s.text)
        moved = rows[rows["dir_month_direction"].isin(list(draft_engine.MOVED_VERB))]
        assert set(movers) == set(moved.index), (area, month)
        for ref, (verb, text) in movers.items():
            assert verb == draft_engine.MOVED_VERB[rows.loc[ref, "dir_month_direction"]], text
            assert rows.loc[ref, "direction"] == rows.loc[ref, "dir_month_direction"]  # the table says the same
        still = rows[rows["dir_month_direction"] == "No change"]
        assert not set(still.index) & set(movers)


def test_a_one_point_move_in_a_percentage_is_no_change_in_the_draft_too(reader):
    """CIN5 25.0% -> 24.0%: the table says No change, so the draft never calls it an improvement."""
    inputs = service.inputs(reader, "latest", service.default_authority(reader))
    obs = inputs.observations.copy()
    when = pd.to_datetime(obs["period"]).dt.date
    obs.loc[(obs["ref"] == "CIN5") & (when == dt.date(2023, 12, 1)), "value"] = 25.0
    obs.loc[(obs["ref"] == "CIN5") & (when == JAN24), "value"] = 24.0
    inputs.observations = obs
    sc = scorecard_engine.build(inputs, JAN24)
    row = sc.set_index("ref").loc["CIN5"]
    assert row["direction"] == "No change"
    text = service.draft(reader, JAN24, "cin_cp", sc=sc).markdown()
    assert "(CIN5) improved" not in text and "25.0% in December 2023 to 24.0%" not in text


def test_a_one_figure_indicator_is_never_said_to_change(reader):
    """FD8a has one figure (486, Jan-23): nothing says it moved or stayed 'from 486 in Jan-23 to 486 in Jan-23'."""
    for month in (dt.date(2023, 1, 1), SEP23, JAN24):
        sc = service.build_scorecard(reader, month)
        fd8a = sc[sc["ref"] == "FD8a"]
        assert len(fd8a) == (1 if month == dt.date(2023, 1, 1) else 0), month  # its one month is Jan-23
        if month == dt.date(2023, 1, 1):
            assert fd8a["direction"].iloc[0] == ""
            assert fd8a["direction_reason"].iloc[0] == "No earlier month to compare with"
        text = service.draft(reader, month, "front_door").markdown()
        same = re.findall(r"from ([\d,.%]+) in ([\w -]+?) to \1 in \2\b", text)
        assert not same, same
        assert "FD8a" not in text  # a figure with nothing to compare is not a sentence of the draft


# ---------------------------------------------------------------- 12b: a rank of a different measure says so


def test_a_rank_of_a_differently_counted_figure_says_so(reader):
    sc = service.build_scorecard(reader, JAN24).set_index("ref")
    assert sc.loc["CIN5", "rank_text"] == "149th of 150 (band D)"
    note = sc.loc["CIN5", "rank_note"]
    assert note == "DfE's annual figure 51.7% (2022/23) is counted differently from the monthly figure (26.0%)"
    assert sc.loc["CIN4", "rank_note"] == ""  # 27.3% a year against 19% a month: near enough to be one measure
    table = panel_table(sc.reset_index(), JAN24, {}).set_index("Ref")
    cell = table.loc["CIN5", "Rank among councils"]
    assert cell.startswith("149th of 150 (band D), 2022/23; DfE's annual figure 51.7% (2022/23)")
    assert cell.endswith("the rank is of DfE's figure")
    assert table.loc["CIN4", "Rank among councils"] == "13th highest of 149, 2022/23"


def test_counted_differently_by_points_or_by_size():
    assert national_engine.counted_differently(51.7, 26.0, "percent")
    assert not national_engine.counted_differently(27.3, 19.0, "percent")  # 8.3 points
    assert not national_engine.counted_differently(127.0, 130.0, "rate_per_10k")
    assert national_engine.counted_differently(16.8, 30.0, "caseload_average")
    assert not national_engine.counted_differently(None, 26.0, "percent")
    assert not national_engine.counted_differently(51.7, float("nan"), "percent")
    assert national_engine.measure_note(51.7, "2022/23", 26.0, "percent").startswith("DfE's annual figure 51.7%")
    assert national_engine.measure_note(27.3, "2022/23", 19.0, "percent") == ""


def test_how_we_compare_says_the_ranks_are_of_dfes_figure():
    at = run_page("indicator", month="2024-01")
    at.query_params["ref"] = "CIN5"
    at.run()
    assert not at.exception
    warned = [w.value for w in at.warning if "counted differently" in w.value]
    assert warned and "every rank in this table is of DfE's published figure" in warned[0], [
        w.value for w in at.warning
    ]


# ---------------------------------------------------------------- 12d: the audit caption and the list agree


def test_the_audit_caption_says_the_order_the_list_is_in(written, monkeypatch):
    db, *_ = written
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    monkeypatch.setenv("DASHBOARD_ADMIN_SECRET", "s3cret")
    at = run_page("audit", _admin_ok="s3cret")
    assert any("newest first" in c.value for c in at.caption)
    assert not any("oldest first. The command" in c.value for c in at.caption)
    when = list(at.dataframe[0].value["When"])
    assert len(when) >= 3 and when == sorted(when, reverse=True)


def test_every_revised_month_in_the_table_is_marked_not_only_the_current(reader):
    """CIN1 September 2023 was printed as 281 (Nov-23 pack) and revised to 304 (Mar-24 pack): the January 2024
    table marks that month cell †, and leaves unrevised months and the current figure unmarked."""
    month = dt.date(2024, 1, 1)
    sc = service.build_scorecard(reader, month, "latest", service.default_authority(reader))
    table = panel_table(sc, month, {}).set_index("Ref")
    assert table.loc["CIN1", "Sep-23"] == "304 †"
    assert table.loc["CIN1", "Current (Jan-24)"] == "318"
    revised = service.revisions_with_impact(reader)
    window = {dt.date(2023, m, 1) for m in range(8, 13)}
    marked = {
        (ref, pd.Timestamp(p).date())
        for ref, p in zip(revised["ref"], revised["period"])
        if pd.Timestamp(p).date() in window and ref in table.index
    }
    for ref, period in marked:  # every revised cell in the window is marked, and nothing else is
        assert table.loc[ref, f"{period:%b-%y}"].endswith(" †"), (ref, period)
    for ref in table.index:
        for m in window:
            cell = table.loc[ref, f"{m:%b-%y}"]
            assert cell.endswith(" †") == ((ref, m) in marked), (ref, m, cell)


@pytest.mark.parametrize(
    "text,heading,first",
    [
        ("2024/25", False, 2024),
        ("2024-25", False, 2024),
        ("FY2024/25", False, 2024),
        ("fy 2024 / 25", False, 2024),
        ("2024/2025", False, 2024),
        ("1999/00", False, 1999),
        ("2024/26", False, None),  # the second year must follow the first
        ("2024/02", False, None),  # a month written oddly
        ("2024-12", False, None),  # December 2024
        ("2023/24 outturn", False, None),
        ("2023/24 outturn", True, 2023),
        ("2023/24", True, 2023),
        ("2023/240", True, None),
        ("2023/24abc", True, None),  # a heading is the packs' form, then a space or nothing
        ("2023-24 outturn", True, None),
        ("FY2023/24", True, None),
        ("2023/2024", True, None),
    ],
)
def test_one_reader_of_a_financial_year(text, heading, first):
    from dashboard.words.periods import financial_year

    assert financial_year(text, heading=heading) == first


def test_a_start_is_a_financial_year_or_a_month():
    from dashboard.words.periods import parse_start

    assert parse_start("2024/25") == dt.date(2024, 4, 1)
    assert parse_start("2024-12") == dt.date(2024, 12, 1)  # was refused as a bad financial year
    with pytest.raises(ValueError, match="second year must follow"):
        parse_start("2024/26")
    with pytest.raises(ValueError, match="not a month"):
        parse_start("2024-13x")


def test_a_comparator_year_is_stored_in_one_form():
    assert reference.published_year("2022/23") == "2022/23"
    assert reference.published_year("2022-23") == "2022/23"
    assert reference.published_year("FY2022/23") == "2022/23"
    assert reference.published_year("2023") == "2023"
    assert reference.published_year("2022/24") is None
    assert reference.published_year(f"{dt.date.today().year + 1}/{(dt.date.today().year + 2) % 100:02d}") is None
    assert loader.is_known_non_month("2023/24") and loader.is_known_non_month("2023/24 (SN)")
    assert not loader.is_known_non_month("2023-24 (SN)")  # refused as before, never skipped
    assert not loader.is_known_non_month("2024/02") and not loader.is_known_non_month("2023-09")


def test_counts_say_one_or_many_never_s_in_brackets():
    from dashboard.words.formatting import count_of

    assert [count_of(n, "extract") for n in (0, 1, 2)] == ["0 extracts", "1 extract", "2 extracts"]
    assert count_of(1, "Annex A extract") == "1 Annex A extract" and count_of(3, "child", "children") == "3 children"
