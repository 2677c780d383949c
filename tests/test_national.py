"""National comparators from DfE's published files (issue 19), tested on the files' own rows.

tests/fixtures/national/ holds rows copied verbatim from the published files (England, North West, North East,
Tameside, its 2021 and 2025 statistical neighbours, the ten Greater Manchester councils, and a few councils with
suppressed or shared rows), with the files' own headers, column order and BOMs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from dashboard import service, store
from dashboard.engine import national as engine
from dashboard.engine import scorecard
from dashboard.words.formatting import rank_text
from dashboard.writes import journal, lifecycle, national
from dashboard.writes.loader import LoadRejected

FIXTURES = Path(__file__).parent / "fixtures" / "national"
C1 = FIXTURES / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
CLA = FIXTURES / "cla_number_and_rate_per_10k_children.csv"
CSWW = FIXTURES / "csww_indicators_2017_to_2025.csv"


@pytest.fixture(scope="module")
def measures(reader):
    return reader.table("national_measures")


def _key(rows):
    return {(r["measure"], r["year"], r["area_code"]): (r["value"], r["status"]) for r in rows}


def test_every_fixture_file_reads_to_the_sample_rows(measures):
    """The sample's national_values.csv is what the importer reads from the published files, row for row."""
    sample = pd.read_csv(
        Path(national.__file__).parents[3] / "sample_data" / "national_values.csv", dtype={"la_code": str}
    )
    sample_key = {
        (m, y, a): (None if pd.isna(v) else v, s)
        for m, y, a, v, s in zip(
            sample["measure"], sample["year"], sample["area_code"], sample["value"], sample["status"]
        )
    }
    seen = 0
    for path in sorted(FIXTURES.glob("*.csv")):
        upload = national.parse_file(path, measures)
        assert not upload.problems, upload.problems
        for key, got in _key(upload.rows).items():
            if key in sample_key:  # the sample keeps 2018/19 onwards
                assert got == sample_key[key], key
                seen += 1
    assert seen > 400


def test_a_bom_file_reads_by_column_name(measures):
    assert CLA.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _key(national.parse_file(CLA, measures).rows)
    assert rows[("cla_rate", "2022/23", "E08000008")] == (127.0, "value")  # Tameside
    assert rows[("cla_rate", "2022/23", "E92000001")] == (70.0, "value")  # England


def test_a_suppressed_cell_is_a_status_never_zero(measures, reader):
    rows = _key(national.parse_file(FIXTURES / "d5_cpps_at31march_by_duration_2013_to_2025.csv", measures).rows)
    # Wigan (GM) and St. Helens (a 2021 neighbour) are suppressed (c) in 2022/23; the Isles of Scilly is z.
    assert rows[("cp_two_years_pct", "2022/23", "E08000010")] == (None, "suppressed")
    assert rows[("cp_two_years_pct", "2022/23", "E08000013")] == (None, "suppressed")
    assert rows[("cp_two_years_pct", "2022/23", "E06000053")] == (None, "not_applicable")
    summary = service.national_summary(reader, None, "tameside")
    row = summary[(summary["measure"] == "cp_two_years_pct") & (summary["year"] == "2022/23")].iloc[0]
    assert row["gm_basis"] == "mean of 7 councils (3 not published)"
    assert row["sn_basis"] == "mean of 7 neighbours (2021 grouping, 3 not published)"
    values = reader.national_latest()
    year = values[
        (values["measure"] == "cp_two_years_pct") & (values["year"] == "2022/23") & (values["level"] == "local")
    ]
    assert row["of"] == (year["status"] == "value").sum() < len(year)  # withheld figures are not ranked


def test_renamed_and_reordered_columns_read_the_same(measures, tmp_path):
    """Names drift between releases (rereferral_percent / rereferrals_percent) and column order differs."""
    table = list(csv.reader(io.StringIO(C1.read_text(encoding="utf-8"))))
    header = [
        {"rereferral_percent": "rereferrals_percent", "referral_count": "Referrals_Count"}.get(h, h) for h in table[0]
    ]
    order = list(reversed(range(len(header))))
    out = tmp_path / "c1_renamed.csv"
    with open(out, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        for row in [header] + table[1:]:
            w.writerow([row[i] for i in order])
    a = _key(national.parse_file(C1, measures).rows)
    b = _key(national.parse_file(out, measures).rows)
    assert a == b and len(a) > 50


def test_councils_reporting_together_keep_their_shared_row(measures):
    rows = _key(national.parse_file(CSWW, measures).rows)
    shared = [k for k in rows if " / " in k[2]]
    assert ("sw_caseload", "Sep 2025", "E06000061 / E06000062") in shared


def _copy_with(tmp_path: Path, source: Path, change) -> Path:
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    out = tmp_path / source.name
    out.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")
    return out


def test_an_unreadable_value_is_refused_with_file_row_and_column(fresh_db, tmp_path):
    def damage(lines):
        k = next(i for i, line in enumerate(lines) if ",Tameside," in line)
        cells = next(csv.reader([lines[k]]))
        cells[11] = "12O"  # referral_count with a letter O
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(cells)
        lines[k] = buf.getvalue()
        return lines

    bad = _copy_with(tmp_path, C1, damage)
    row = next(i for i, line in enumerate(bad.read_text().splitlines(), start=1) if ",Tameside," in line)
    before = fresh_db.read_bytes()
    with pytest.raises(LoadRejected) as err:
        national.load(fresh_db, [bad])
    assert (
        str(err.value.problems[0])
        == f"{bad.name}, row {row}, column 'referral_count': '12O' is neither a number nor an EES symbol"
    )
    assert fresh_db.read_bytes() == before
    assert journal.entries(journal.journal_dir(fresh_db)) == []


def test_a_file_with_no_mapped_measure_is_refused(fresh_db, tmp_path):
    other = tmp_path / "absence_la.csv"
    other.write_text(
        "time_period,time_identifier,geographic_level,region_code,region_name,old_la_code,new_la_code,la_name,"
        "sess_overall_percent\n2023,Reporting year,National,,,,,,6.9\n"
    )
    with pytest.raises(LoadRejected) as err:
        national.load(fresh_db, [other])
    assert "no mapped national measure reads this file" in str(err.value)


def test_a_release_loads_as_a_vintage_and_survives_a_rebuild(fresh_db, tmp_path):
    revised = _copy_with(
        tmp_path, CLA, lambda lines: [line.replace(",Tameside,E08000008,", ",Tameside,E08000008,", 1) for line in lines]
    )
    vintage, upload = national.load(fresh_db, [revised], user="performance@tameside.gov.uk")
    assert vintage.startswith("national-") and upload.measures == ["cla_rate"]
    assert upload.changes["New"].sum() == 0  # the same rows as the sample: nothing new, nothing revised
    lifecycle.build(fresh_db)
    r = store.ReadOnlyStore(fresh_db)
    v = r.table("vintages").set_index("vintage")
    assert v.loc[vintage, "loaded_by"] == "performance@tameside.gov.uk" and v.loc[vintage, "kind"] == "national"
    assert (
        r.query("SELECT count(*) AS n FROM national_values WHERE vintage = ?", [vintage])["n"] == len(upload.rows)
    ).all()


def test_a_newer_release_revises_a_figure(fresh_db, tmp_path):
    """DfE revises last year's figures in this year's release: the newest load is the one shown."""

    def revise(lines):
        return [
            line.replace(
                "Tameside,E08000008,Children looked after on 31 March each year,51744,655,127",
                "Tameside,E08000008,Children looked after on 31 March each year,51744,660,128",
            )
            for line in lines
        ]

    path = _copy_with(tmp_path, CLA, revise)
    assert "660,128" in path.read_text()
    _, upload = national.load(fresh_db, [path])
    changed = upload.changes.set_index(["Measure", "Year"])
    assert changed.loc[("cla_rate", "2022/23"), "Revised"] == 1
    latest = store.ReadOnlyStore(fresh_db).national_latest()
    mine = latest[(latest["measure"] == "cla_rate") & (latest["year"] == "2022/23") & (latest["la_code"] == "357")]
    assert mine["value"].tolist() == [128.0]


def test_greater_manchester_is_the_mean_of_its_ten_councils(reader):
    summary = service.national_summary(reader, None, "tameside").set_index(["measure", "year"])
    row = summary.loc[("cla_rate", "2021/22")]
    values = reader.national_latest()
    gm = values[
        (values["measure"] == "cla_rate") & (values["year"] == "2021/22") & values["la_code"].isin(engine.GM_CODES)
    ]
    assert len(gm) == 10 and row["gm"] == round(gm["value"].mean(), 1) == 90.9  # the pack printed 91
    assert row["gm_basis"] == "mean of the ten councils"
    assert row["england"] == 70.0 and row["nw"] == 97.0  # as published


def test_statistical_neighbours_use_the_grouping_in_force(reader):
    summary = service.national_summary(reader, None, "tameside").set_index(["measure", "year"])
    assert summary.loc[("cla_rate", "2022/23"), "sn_basis"] == "mean of 10 neighbours (2021 grouping)"
    assert summary.loc[("cla_rate", "2024/25"), "sn_basis"] == "mean of 10 neighbours (2025 grouping)"
    neighbours = service.neighbours_of(reader, "357")
    values = reader.national_latest()
    sn = values[
        (values["measure"] == "cla_rate") & (values["year"] == "2022/23") & values["la_code"].isin(neighbours["2021"])
    ]
    assert summary.loc[("cla_rate", "2022/23"), "sn"] == round(sn["value"].mean(), 1)
    assert summary.loc[("cla_rate", "2022/23"), "sn_median"] == round(sn["value"].median(), 1)


def test_rank_is_polarity_aware_ties_share_the_lower_rank():
    local = pd.DataFrame(
        {
            "la_code": ["1", "2", "3", "4", "5", "6", "7", "8"],
            "area_name": list("ABCDEFGH"),
            "value": [10.0, 20.0, 20.0, 30.0, 40.0, 50.0, 60.0, None],
            "status": ["value"] * 7 + ["suppressed"],
        }
    )
    higher = engine.ranked(local, "higher_better").set_index("la_code")
    assert higher.loc[["7", "4", "2", "3", "1"], "rank"].tolist() == [1, 4, 5, 5, 7]
    assert higher.loc[["7", "6", "5", "4", "2", "1"], "band"].tolist() == ["A", "A", "B", "B", "C", "D"]
    assert "8" not in higher.index and (higher["of"] == 7).all()  # suppressed: not ranked, not counted
    lower = engine.ranked(local, "lower_better").set_index("la_code")
    assert lower.loc[["1", "2", "3", "7"], "rank"].tolist() == [1, 2, 2, 7]
    neutral = engine.ranked(local, "neutral")
    assert (neutral["band"] == "").all() and neutral["rank"].iloc[0] == 1


def test_rank_among_all_councils_on_the_real_figures(reader):
    summary = service.national_summary(reader, None, "tameside").set_index(["measure", "year"])
    row = summary.loc[("cla_rate", "2022/23")]
    assert (row["rank"], row["of"], row["band"]) == (138, 151, "D")  # 127 per 10k: among the highest
    assert rank_text(row["rank"], row["of"], row["band"], "lower_better") == "138th of 151 (band D)"


def test_benchmark_cli_prints_every_council(built_db):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "--db",
            str(built_db),
            "benchmark",
            "--ref",
            "CF2",
            "--year",
            "2022/23",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    table = pd.read_csv(io.StringIO(out), dtype={"la_code": str})
    assert list(table.columns) == [
        "measure",
        "year",
        "la_code",
        "area_code",
        "area_name",
        "region_code",
        "value",
        "status",
        "rank",
        "of",
        "quartile",
    ]
    tameside = table[table["la_code"] == "357"].iloc[0]
    assert (tameside["value"], tameside["rank"], tameside["quartile"]) == (127.0, 138, "D")
    assert table["rank"].dropna().is_monotonic_increasing and table["quartile"].iloc[0] == "A"
    assert (table.loc[table["rank"].isna(), "status"] != "value").all()  # unranked councils say why


def test_benchmark_cli_refuses_a_ref_with_no_measure(built_db):
    res = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "--db", str(built_db), "benchmark", "--ref", "FD1"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1 and "FD1 has no published national measure" in res.stderr


def test_each_month_compares_with_the_latest_year_that_had_ended(reader):
    by_ref = service.national_by_ref(reader, None, "tameside")
    assert engine.as_of(by_ref, dt.date(2024, 1, 1)).loc["CF31", "year"] == "2022/23"
    assert engine.as_of(by_ref, dt.date(2023, 3, 1)).loc["CF31", "year"] == "2021/22"
    assert engine.as_of(by_ref, dt.date(2024, 1, 1)).loc["WF4", "year"] == "Sep 2023"


def test_scorecard_compares_on_published_figures_and_rates_on_them_without_a_target(reader):
    inputs = service.inputs(reader, None, "tameside")
    sc = scorecard.build(inputs, dt.date(2024, 1, 1)).set_index("ref")
    row = sc.loc["CF31"]
    assert (row["england"], row["england_year"], row["comparator_source"]) == (58.7, "2022/23", "published")
    assert row["rank_text"] == "109th of 150 (band C)" and row["rank_year"] == "2022/23"
    # Without its target, CF31 is rated on the published England and SN figures, and the reason names the year.
    untargeted = replace(inputs, targets=inputs.targets[inputs.targets["ref"] != "CF31"])
    row = scorecard.build(untargeted, dt.date(2024, 1, 1)).set_index("ref").loc["CF31"]
    assert row["rag_basis"] == "comparator" and row["rag"] == "R"
    assert (
        "England 58.7% (2022/23)" in row["rag_reason"] and "Statistical neighbours 57.1% (2022/23)" in row["rag_reason"]
    )
    # A ref with no national measure keeps what the pack printed.
    assert sc.loc["CIN8", "comparator_source"] == "printed"


def test_printed_comparators_that_differ_are_listed(reader):
    differ = service.printed_vs_published(reader, "tameside")
    cin4 = differ[(differ["ref"] == "CIN4") & (differ["comparator"] == "england") & (differ["year"] == "2022/23")]
    assert cin4[["printed", "published"]].values.tolist() == [[21.0, 22.4]]
    assert (differ["difference"].abs() > 0.5).all()


def test_every_monthly_ref_has_a_measure_or_a_reason(reader):
    mapping = reader.table("national_map")
    ind = reader.table("indicators")
    monthly = set(ind.loc[ind["frequency"] != "week", "ref"])
    assert set(mapping["ref"]) == monthly
    assert ((mapping["measure"] != "") ^ (mapping["reason"] != "")).all()


def test_indicator_page_shows_how_we_compare():
    from apptest import run_page, table_text

    at = run_page("indicator", "2024-01", ref="CF31")
    assert "How we compare" in [h.value for h in at.header]
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any("How we compare: Care leavers aged 17 to 21" in s for s in specs)
    assert any("Every council, 2024/25" in s for s in specs)
    captions = [c.value for c in at.caption]
    assert any(
        c.startswith("Chart summary: Care leavers aged 17 to 21") and "ranked 97 of 151 (band C)" in c for c in captions
    )
    text = table_text(at)
    assert "109th of 150 (band C)" in text and "mean of the ten councils" in text
    assert "Comparators as the packs printed them" in " ".join(m.value for m in at.markdown)


def test_indicator_with_no_measure_says_why():
    from apptest import run_page

    at = run_page("indicator", "2024-01", ref="FD1")
    assert any("Not compared with other councils: A local front door" in c.value for c in at.caption)
    # printed comparators but no published measure: the page does not say it is not compared (found on a walk)
    at = run_page("indicator", "2024-01", ref="CIN8")
    captions = [c.value for c in at.caption]
    assert any(c.startswith("No chart of every council's published figures: ") for c in captions)
    assert not any("Not compared with other councils" in c for c in captions)


def test_area_table_ranks_among_councils_and_data_quality_lists_differences():
    from apptest import run_page, table_text

    at = run_page("cared_for", "2024-01")
    at.query_params["columns"] = "comparators"  # the rank is in the Comparators column set
    text = table_text(at.run())
    assert "Rank among councils" in text and "109th of 150 (band C), 2022/23" in text
    at = run_page("data_quality")
    assert any(h.value.startswith("Printed comparators that differ from the published figure") for h in at.header)
    assert "Performance and QA Scorecard, January 2023" in table_text(at)
