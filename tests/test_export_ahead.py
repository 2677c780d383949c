"""The CSV made when the database is written (store.papers_csv) is the engine's CSV byte for byte, for every month
and vintage of the sample, and `export --format csv` reads it without pandas."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from dashboard import cli, export, export_csv, panel, papers, service, store
from dashboard.periods import parse_period


def engines_csv_before_the_papers_table(pack: papers.Pack) -> str:
    """export_csv.to_csv as it was before the papers table existed, kept here as the reference."""
    short = pack.areas.set_index("area")["short_title"]
    frames = []
    for a in pack.areas["area"]:
        sc = pack.area_rows(a)
        if sc.empty:
            continue
        t = panel.panel_table(sc, pack.month, pack.years)
        t.insert(2, "Area", short[a])
        frames.append(t)
    table = (
        pd.concat(frames, ignore_index=True).fillna("")
        if frames
        else pd.DataFrame(columns=["Ref", "Indicator", "Area"])
    )
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(list(table.columns))
    for row in table.itertuples(index=False):
        w.writerow([export_csv.neutralise(v) for v in row])
    return out.getvalue()


@pytest.fixture(scope="module")
def every_pair(built_db, tmp_path_factory):
    """A copy of the sample whose papers table holds every vintage's every month, and the packs it was made
    from (one gather per pair, shared with the reference)."""
    db = tmp_path_factory.mktemp("ahead") / "dashboard.duckdb"
    store.ReadOnlyStore.close_all()
    shutil.copyfile(built_db, db)
    reader = store.ReadOnlyStore(db)
    authority = service.default_authority(reader)
    pairs = [(v, m) for v in reader.table("vintages")["vintage"] for m in reader.months(v, authority)]
    packs = {}
    gather = papers.gather

    def kept(r, month, vintage="latest", *a, **k):
        pack = gather(r, month, vintage, *a, **k)
        packs[(vintage, month)] = pack
        return pack

    papers.gather = kept
    try:
        store.make_papers_ahead(db, pairs)
    finally:
        papers.gather = gather
    yield db, pairs, packs
    store.ReadOnlyStore.close_all()


def test_the_papers_table_is_the_engines_csv_for_every_month_and_vintage(every_pair):
    db, pairs, packs = every_pair
    reader = store.ReadOnlyStore(db)
    assert len(pairs) >= 30 and len({v for v, _ in pairs}) == len(reader.table("vintages"))
    for vintage, month in pairs:
        lines = reader.papers_csv(vintage, month)
        assert lines is not None, (vintage, month)
        made = export_csv.file_bytes(lines[1:])
        reference = engines_csv_before_the_papers_table(packs[(vintage, month)]).encode("utf-8-sig")
        assert made == reference, (vintage, month)
        assert int(lines[0][2]) == len(packs[(vintage, month)].scorecard)
    # the table reads each vintage once for all its months: the same as the CLI's own read, month by month
    for vintage in {v for v, _ in pairs}:
        month = max(m for v, m in pairs if v == vintage)
        alone = papers.gather(reader, month, vintage, series=False)
        assert export_csv.file_bytes(reader.papers_csv(vintage, month)[1:]) == export.render(alone, "csv")


def test_an_areas_csv_from_the_table_is_the_engines_for_that_area(every_pair):
    db, pairs, _ = every_pair
    reader = store.ReadOnlyStore(db)
    month = parse_period("2023-09")
    for area in ("cin_cp", "cared_for", "workforce"):
        lines = reader.papers_csv("pack-2023-11", month, area)
        pack = papers.gather(reader, month, "pack-2023-11", areas=[area], series=False)
        assert export_csv.file_bytes(lines[1:]) == engines_csv_before_the_papers_table(pack).encode("utf-8-sig")
        assert int(lines[0][2]) == len(pack.scorecard)


def test_the_cli_reads_the_table_and_says_what_the_engine_would(every_pair, tmp_path, capsys, monkeypatch):
    db, _, _ = every_pair
    said = {}
    for how in ("table", "engine"):
        if how == "engine":  # the same command with the table out of reach: the engine makes the CSV
            monkeypatch.setattr(store.ReadOnlyStore, "papers_csv", lambda *a, **k: None)
        for vintage in ("latest", "pack-2023-11", "dfe-national-2025"):
            out = tmp_path / f"{how}-{vintage}.csv"
            argv = ["--db", str(db), "export", "--month", "2023-09", "--format", "csv", "--out", str(out)]
            assert cli.main([*argv, "--vintage", vintage, "--area", "cin_cp"]) == 0
            said[how, vintage] = (out.read_bytes(), capsys.readouterr().err.replace(str(out), ""))
    for vintage in ("latest", "pack-2023-11", "dfe-national-2025"):
        assert said["table", vintage] == said["engine", vintage]
    assert "Latest (figures:" in said["table", "latest"][1] and "As reported" in said["table", "pack-2023-11"][1]


def test_every_write_remakes_the_newest_months_and_a_month_without_them_is_made_by_the_engine(built_db, tmp_path):
    store.ReadOnlyStore.close_all()
    db = tmp_path / "dashboard.duckdb"
    shutil.copyfile(built_db, db)
    reader = store.ReadOnlyStore(db)
    authority = service.default_authority(reader)
    newest = reader.months("latest", authority)[: papers.AHEAD_MONTHS]
    assert all(reader.papers_csv("latest", m) for m in newest)
    assert reader.papers_csv("latest", reader.months("latest", authority)[-1]) is None
    assert reader.papers_csv("latest", newest[0], "nowhere") is None
    assert reader.papers_csv("no-such-vintage", newest[0]) is None
    old = reader.months("pack-2023-01", authority)[0]
    store.make_papers_ahead(db, [("pack-2023-01", old)])
    assert reader.papers_csv("latest", newest[0]) is None and reader.papers_csv("pack-2023-01", old)
    # a publish (here a commentary edit as a new vintage) puts the newest months back, under the new latest
    store.publish(
        db,
        {
            "vintage": "edit-1",
            "label": "An edit",
            "published": parse_period("2026-04"),
            "source_file": "",
            "kind": "commentary",
            "as_of_note": "",
        },
        {},
    )
    assert reader.papers_csv("latest", newest[0]) is not None
    assert reader.papers_csv("pack-2023-01", old) is None
    # a second such write carries those lines over to itself (no engine), named as the engine would name them
    edit = {"vintage": "edit-2", "label": "Another edit", "published": parse_period("2026-05"), "source_file": ""}
    store.publish(db, {**edit, "kind": "commentary", "as_of_note": ""}, {})
    for month in newest:
        lines = reader.papers_csv("edit-2", month)
        pack = papers.gather(reader, month, "edit-2", series=False)
        assert export_csv.file_bytes(lines[1:]) == export.render(pack, "csv")
        assert lines[0] == [*papers.csv_labels(reader, "edit-2"), str(len(pack.scorecard))]
        assert lines[0][1].startswith("As of Another edit") and reader.papers_csv("latest", month) == lines
    assert reader.papers_csv("edit-1", newest[0]) is None
    store.ReadOnlyStore.close_all()


def test_the_csv_from_the_table_needs_no_pandas(built_db, tmp_path):
    out = tmp_path / "paper.csv"
    code = (
        "import sys\nfrom dashboard import cli\ncode = cli.main(sys.argv[1:])\n"
        "print(code, 'pandas' in sys.modules, 'numpy' in sys.modules)"
    )
    args = ["--db", str(built_db), "export", "--month", "2024-01", "--format", "csv", "--out", str(out)]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "False", "False"], done.stderr
    reader = store.ReadOnlyStore(built_db)
    pack = papers.gather(reader, parse_period("2024-01"), series=False)
    assert out.read_bytes() == engines_csv_before_the_papers_table(pack).encode("utf-8-sig")


# ---------------------------------------------------------------- the formats registry


def test_the_cli_choices_and_the_pages_buttons_come_from_the_formats_registry(monkeypatch):
    from apptest import run_page

    plain = export.Format("Plain text", "text/plain", "txt", "export_csv", "to_bytes", slow=False)
    monkeypatch.setitem(export.FORMATS, "txt", plain)
    sub = next(a for a in cli.parser()._actions if a.dest == "command").choices["export"]
    fmt = next(a for a in sub._actions if a.dest == "format")
    assert fmt.choices == ["xlsx", "csv", "pdf", "txt"]
    assert export.file_name(parse_period("2024-01"), "txt") == "scorecard-2024-01.txt"
    assert export.writer("txt") is export_csv.to_bytes

    at = run_page("overview", "2024-01")
    offered = [b.proto.label for b in at.get("download_button")]
    assert offered == ["Download Excel", "Download CSV", "Download Plain text"]
    assert [b.label for b in at.button if b.label.startswith("Prepare")] == ["Prepare PDF panel pack"]
