"""The benchmark's parts: synthetic data in the sample's schema, the analyst baseline that must agree with the
engine, the column-wise ingest that must agree with row-by-row pydantic, and the runner itself."""

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import service, store
from dashboard.engine import scorecard
from dashboard.input import columnar, ingest, models

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import baseline
import generate
import run


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    generate.generate(out / "data", n=2, m=60, k=36, seed=7)
    ingest.build_from_sample(out / "s.duckdb", out / "data")
    return out


def header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def test_synthetic_data_has_the_sample_schema_and_says_it_is_synthetic(synthetic):
    data = synthetic / "data"
    for sample_file in ingest.SAMPLE_DIR.glob("*.csv"):
        assert header(data / sample_file.name) == header(sample_file), sample_file.name
    frames = ingest.read_sample(data)  # validates every row
    assert frames["authorities"]["name"].str.contains("Synthetic").all()
    assert frames["indicators"]["name"].str.startswith("Synthetic:").all()
    assert frames["vintages"]["as_of_note"].str.contains("Synthetic").all()
    assert (frames["observations"]["source_file"] == generate.SOURCE).all()
    obs = frames["observations"]
    assert (obs["status"] == "not_yet_available").any() and obs.loc[obs["status"] != "value", "value"].isna().all()
    cells = obs.groupby(["authority", "ref", "period"])["vintage"].nunique()
    assert (cells > 1).any(), "some cells are revised in a later pack"
    assert len(cells) < 2 * 60 * 36, "holes: not every cell is printed"


def agree(inputs, months) -> int:
    compared = 0
    for month in months:
        ours = scorecard.build(inputs, month)
        assert baseline.differences(ours, baseline.scorecard(inputs, month)) == [], month
        compared += len(ours)
    return compared


def test_engine_agrees_with_the_analyst_baseline_on_the_real_packs(built_db):
    reader = store.ReadOnlyStore(built_db)
    compared = 0
    for vintage in ("pack-2023-01", "pack-2023-11", "latest"):
        # two months per pack here; make bench's engine section checks every row at national scale
        compared += agree(service.inputs(reader, vintage, "tameside"), reader.months(vintage, "tameside")[:2])
    assert compared > 250


def test_engine_agrees_with_the_baseline_where_spc_signals_fire(synthetic):
    reader = store.ReadOnlyStore(synthetic / "s.duckdb")
    signals = 0
    for authority in ("syn001", "syn002"):
        inputs = service.inputs(reader, "latest", authority)
        months = reader.months("latest", authority)[:4]
        agree(inputs, months)
        for month in months:
            sc = scorecard.build(inputs, month)
            signals += (~sc["spc_variation"].isin(["common_cause", "insufficient"])).sum()
    store.ReadOnlyStore.close_all()
    assert signals > 0, "the comparison must exercise the special-cause rules"


def test_baseline_differences_are_reported():
    eng = pd.DataFrame({"ref": ["A1"], **{c: ["x"] for c in baseline.COMPARED}})
    for c in ("value", "previous_year", "spc_mean", "spc_ucl", "spc_lcl"):
        eng[c] = [1.0]
    other = eng.set_index("ref").copy()
    assert baseline.differences(eng, other) == []
    other.loc["A1", "rag"] = "R"
    assert baseline.differences(eng, other) == ["A1 rag: engine 'x', baseline 'R'"]


# ---------------------------------------------------------------- column-wise ingest == row-by-row pydantic

CELL = {
    "period": st.sampled_from(["2023-08", "Aug-23", "2023-08-01", " 2023-08", "2023-13", "", "Sept-23", "Aug 2023"]),
    "value": st.sampled_from(["12", "12.5", "-3", "", "1e3", " 7", "1,200", "abc", "0012", "inf"]),
    "status": st.sampled_from(["value", "not_yet_available", "not_applicable", "missing", "", "VALUE", "nya"]),
    "source_line": st.sampled_from(["", "3", "03", "x", "-1", "2.0"]),
}


def normal(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    def one(x):
        if x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and np.isnan(x)):
            return None
        if isinstance(x, pd.Timestamp):
            return x.date()
        if isinstance(x, (np.integer, np.floating)):
            return x.item()
        return x

    return [tuple(one(x) for x in row) for row in frame[columns].itertuples(index=False)] if len(frame) else []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries(CELL), min_size=1, max_size=12))
def test_column_wise_validation_equals_the_model_row_by_row(tmp_path, cells):
    path = tmp_path / "observations.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["authority", "ref", "period", "vintage", "value", "status", "note", "source_file", "source_line"])
        for c in cells:
            w.writerow(
                ["tameside", "FD1", c["period"], "pack-2023-01", c["value"], c["status"], "", "f.txt", c["source_line"]]
            )
    fast_problems: list[str] = []
    fast = ingest._validate(path, models.Observation, fast_problems)
    slow_problems: list[str] = []
    slow = ingest._validate_rows(path, models.Observation, slow_problems)
    assert fast_problems == slow_problems
    cols = list(models.Observation.model_fields)
    assert normal(fast, cols) == normal(slow, cols)


def test_column_wise_path_is_taken_for_the_big_tables_only_where_the_model_allows():
    assert columnar.field_kinds(models.Observation) is not None
    assert columnar.field_kinds(models.Comparator) is not None
    assert columnar.field_kinds(models.Indicator) is None  # field validators: row by row
    assert columnar.field_kinds(models.Authority) is None  # a Gt constraint has no column form here


def test_a_ragged_or_non_utf8_file_falls_back_to_the_row_reader(tmp_path):
    ragged = tmp_path / "r.csv"
    ragged.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    assert columnar.read_strings(ragged) is None
    latin = tmp_path / "l.csv"
    latin.write_bytes("a,b\ncaf\xe9,1\n".encode("latin-1"))
    assert columnar.read_strings(latin) is None


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", None]),
            st.sampled_from(["x", "y"]),
            st.sampled_from([None, "2020-01-01", "2020-02-01"]),
        ),
        max_size=30,
    )
)
def test_fast_duplicate_check_equals_pandas(rows):
    frame = pd.DataFrame(rows, columns=["k1", "k2", "k3"])
    frame["k3"] = pd.to_datetime(frame["k3"])
    assert list(ingest._duplicated(frame, ["k1", "k2", "k3"])) == list(frame.duplicated(["k1", "k2", "k3"]))


# ---------------------------------------------------------------- the runner


@pytest.fixture(scope="module")
def bench_work(tmp_path_factory) -> Path:
    """The bench's generated data and stores, made once for the module: --quick and --tiny share their scale, and
    a run without the build section builds only what is not there yet."""
    return tmp_path_factory.mktemp("bench-work")


def test_bench_runner_prints_a_table_of_ratios(tmp_path, bench_work):
    assert (
        run.main(["--tiny", "--work", str(bench_work), "--out", str(tmp_path / "o"), "--sections", "build,engine"]) == 0
    )
    text = (tmp_path / "o" / "results.md").read_text()
    assert "SYNTHETIC" in text and text.strip().splitlines()[-1].startswith("Summary: national build")
    rows = json.loads((tmp_path / "o" / "results.json").read_text())
    engine = [r for r in rows if r["measure"].startswith("engine scorecard, national")]
    assert engine and engine[0]["reference_value"] > 0 and "rows checked equal" in engine[0]["note"]


@pytest.mark.browser
def test_bench_pages_browser_and_load_sections_run(tmp_path, bench_work):
    """The bench's AppTest, browser and server sections at tiny scale (two pages, one repeat, two month changes
    per page and session): each page opens, each link is followed, concurrent pages change months without an
    error. make bench runs them all at full length; speed is reported there, never asserted here."""
    assert (
        run.main(
            [
                "--tiny",
                "--work",
                str(bench_work),
                "--out",
                str(tmp_path / "o"),
                "--sections",
                "apptest,browser,server,sessions,slow",
            ]
        )
        == 0
    )
    rows = json.loads((tmp_path / "o" / "results.json").read_text())
    measures = [r["measure"] for r in rows]
    for path, *_ in run.TINY_PAGES:
        name = path or "overview"
        for how in ("warm rerun", "opened afresh", "sidebar link"):
            assert f"page {name}, {how}" in measures, (name, how)
    # counts, not seconds: two pages and two protocol sessions each make exactly two changes, however busy the machine
    load = next(r for r in rows if r["section"] == "6 concurrency")
    assert load["note"].startswith("4 month changes, 0 errors;"), load["note"]
    assert next(r for r in rows if r["section"] == "5 memory")["value"] > 0
    sessions = next(r for r in rows if r["section"] == "7 sessions")
    assert sessions["note"].startswith("4 interactions, 0 errors;"), sessions["note"]
    assert "revised cells" in next(r["note"] for r in rows if r["measure"].startswith("Revisions"))


def test_the_papers_bench_runs_in_fresh_processes(tmp_path, bench_work):
    """Section 8 at tiny scale on the module's bench stores: each paper once in a fresh process, one floor."""
    assert run.main(["--tiny", "--work", str(bench_work), "--out", str(tmp_path / "o"), "--sections", "papers"]) == 0
    rows = json.loads((tmp_path / "o" / "results.json").read_text())
    papers_rows = {r["measure"].split(",")[0]: r for r in rows if r["section"] == "8 papers"}
    for fmt in ("PDF panel pack", "XLSX workbook", "CSV"):
        row = next(r for m, r in papers_rows.items() if m.startswith(fmt))
        assert row["value"] > 0 and row["reference_value"] > 0, row
        assert "fresh process" in row["measure"], row
    pdf = next(r for m, r in papers_rows.items() if m.startswith("PDF panel pack"))
    assert "drawn as PDF vectors" in pdf["note"], pdf


def test_the_load_client_drives_the_app_and_notices_a_wrong_page(built_db):
    """The protocol client at tiny scale against a real server: each interaction is checked, and a month the
    app does not have (so the page shows another) is reported as an error, not counted as a success."""
    import loadtest

    server = run.Server(ROOT / "app.py", built_db)
    try:
        # counts, not seconds: each session makes its interactions however busy the machine is
        good = loadtest.run(
            server.url, sessions=2, seconds=0, think=(0.05, 0.1), server_pid=server.proc.pid, at_least=3
        )
        bad = loadtest.run(server.url, sessions=1, seconds=0, think=(0.05, 0.1), months=["2019-05"], at_least=2)
    finally:
        server.stop()
    assert good.interactions == 6 and good.errors == [] and good.cpu_seconds > 0
    assert any("did not name May 2019" in e for e in bad.errors)
