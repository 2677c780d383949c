"""The charts as drawn (vl-convert SVG, the same Vega the browser runs): end-of-line labels a minimum gap apart at
every height the chart is drawn, lines broken at months never printed, a single figure on a sensible axis, and
the overview's RAG bar labelled only where the label fits."""

import datetime as dt
import re

import pandas as pd
import pytest

from dashboard import service, store
from dashboard.engine import scorecard as scorecard_engine
from dashboard.output import chartpool, charts, export_charts, figures, papers
from dashboard.words import periods
from dashboard.words.vocabulary import RAG_WORDS, service_areas

JAN24 = dt.date(2024, 1, 1)
HEIGHTS = (460, 360, chartpool.PAPER_SIZE["height"])  # the page, the projector, the papers


@pytest.fixture(scope="module")
def pack(built_db):
    reader = store.ReadOnlyStore(built_db)
    yield papers.gather(reader, JAN24, "latest")
    store.ReadOnlyStore.close_all()


def svg_of(chart, **props) -> str:
    return chartpool.svg(chart.properties(**props) if props else chart)


def mark_texts(svg: str, field: str) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text mark that encodes the field `field` (its aria-label lists the fields)."""
    out = []
    for group in re.findall(r'<g class="mark-text role-mark[^"]*"[^>]*>(.*?)</g>', svg):
        for label, x, y, text in re.findall(
            r'<text aria-label="([^"]*)"[^>]*transform="translate\(([-\d.e]+),([-\d.e]+)\)"[^>]*>([^<]*)</text>', group
        ):
            if any(part.startswith(field + ":") for part in label.split("; ")):
                out.append((float(x), float(y), text))
    return out


def test_label_positions_keep_the_gap_and_stay_near_their_lines():
    fracs = [0.10, 0.11, 0.12, 0.5, 0.98, 0.99]
    ys = figures.label_positions(fracs, 300)
    assert all(b - a >= charts.LABEL_GAP - 1e-9 for a, b in zip(ys, ys[1:]))
    assert ys[3] == pytest.approx(150)  # a line with room keeps its label level with it
    assert ys[-1] <= 300  # pushed up from the bottom, not off the plot


@pytest.fixture(scope="module")
def specs(pack) -> dict[str, dict]:
    """Every sample indicator's chart at Jan-24, as the Vega-Lite spec the browser and the papers draw."""
    return {
        ref: export_charts.indicator_chart_for(pack, ref)[0].to_dict(validate=False) for ref in pack.scorecard["ref"]
    }


def layer_rows(spec: dict, column: str) -> list[dict]:
    """The inline rows of the layers whose data has `column` (the end labels, one layer per colour: frac; the
    line: run)."""
    return [row for rows in spec["datasets"].values() if rows and column in rows[0] for row in rows]


def test_end_of_line_labels_never_closer_than_the_gap_for_every_indicator(specs):
    """Every sample indicator at Jan-24, at each height it is drawn: labels in their lines' order, each at least
    LABEL_GAP below the one above. (The SVG tests below check the browser places them exactly here.)"""
    several = 0
    for ref, spec in specs.items():
        rows = layer_rows(spec, "frac") if any(r and "frac" in r[0] for r in spec["datasets"].values()) else []
        fracs = [r["frac"] for r in sorted(rows, key=lambda r: r["i"])]
        assert fracs == sorted(fracs), ref  # top to bottom, in the lines' order
        for height in HEIGHTS:
            ys = figures.label_positions(fracs, height)
            assert all(b - a >= charts.LABEL_GAP - 1e-9 for a, b in zip(ys, ys[1:])), (ref, height, ys)
        several += len(fracs) > 1
    assert several > 20  # most indicators have several labelled lines


@pytest.mark.parametrize("ref", ["CIN8", "FD1", "CIN20", "WF5"])
def test_the_browser_places_labels_where_label_positions_says(pack, ref):
    """The Vega expression and its Python twin agree, drawn at the page's, the projector's and the papers' heights."""
    chart, _ = export_charts.indicator_chart_for(pack, ref)
    fracs = [r["frac"] for r in sorted(layer_rows(chart.to_dict(validate=False), "frac"), key=lambda r: r["i"])]
    for height in HEIGHTS:
        svg = svg_of(chart, height=height)
        drawn = [
            float(y) for y in re.findall(r'aria-label="x: [^;]*; label_y: ([-\d.e]+);', svg)
        ]  # as Vega worked it out
        assert len(drawn) == len(fracs) == len(mark_texts(svg, "label_y"))
        drawn = sorted(drawn)  # drawn layer by layer (one per colour); top to bottom is the lines' order
        assert drawn == pytest.approx(figures.label_positions(fracs, height), abs=0.01), (ref, height)
        assert all(b - a >= charts.LABEL_GAP - 0.01 for a, b in zip(drawn, drawn[1:]))


def line_runs(svg: str) -> list[list[str]]:
    """Each drawn line path as the months it passes through (pixel x matched to the points drawn there)."""
    x_month = {}
    for label, x in re.findall(
        r'<path aria-label="Month: ([A-Z][a-z]{2}-\d\d);[^"]*"[^>]*transform="translate\(([-\d.e]+),', svg
    ):
        x_month[round(float(x), 1)] = label
    runs = []
    for d in re.findall(r'aria-roledescription="line mark" d="([^"]*)"', svg):
        xs = [round(float(x), 1) for x in re.findall(r"[ML]([-\d.e]+),", d)]
        runs.append([x_month[x] for x in xs])
    return runs


def test_no_line_segment_joins_months_with_an_unprinted_month_between(specs, pack):
    """The line is drawn one path per run (detail: run): every run of every indicator is consecutive months."""
    joined = 0
    for ref, spec in specs.items():
        assert spec["layer"][0]["encoding"]["detail"]["field"] == "run", ref
        rows = layer_rows(spec, "run")
        for _, run in pd.DataFrame(rows).groupby("run"):
            months = sorted(pd.to_datetime(run["month"]).dt.date)
            for a, b in zip(months, months[1:]):
                assert periods.add_months(a, 1) == b, (ref, months)
                joined += 1
    assert joined > 500
    # As drawn: FD1 was not printed Feb-22 to Dec-22, nor Feb-23 and Mar-23.
    chart, _ = export_charts.indicator_chart_for(pack, "FD1")
    runs = line_runs(svg_of(chart))
    assert ["Jan-22"] in runs and ["Jan-23"] in runs
    assert ["Apr-23", "May-23", "Jun-23", "Jul-23", "Aug-23", "Sep-23", "Oct-23", "Nov-23", "Dec-23", "Jan-24"] in runs
    assert len(runs) == 3


def test_a_single_figure_has_a_zero_based_whole_number_axis_and_says_it_is_the_only_one(built_db):
    reader = store.ReadOnlyStore(built_db)
    jan23 = papers.gather(reader, dt.date(2023, 1, 1), "latest")
    store.ReadOnlyStore.close_all()
    chart, summary = export_charts.indicator_chart_for(jan23, "FD8a")
    assert "486 in Jan-23 is the only figure so far" in summary and "unchanged" not in summary
    svg = svg_of(chart)
    ticks = [
        t
        for g in re.findall(r'<g class="mark-text role-axis-label"[^>]*>(.*?)</g>', svg)
        for t in re.findall(r">([^<]+)</text>", g)
        if re.fullmatch(r"[\d,.]+", t)
    ]
    values = [float(t.replace(",", "")) for t in ticks]
    assert min(values) == 0 and max(values) > 486  # the figure sits inside a zero-based axis
    assert all("." not in t for t in ticks)  # a count's ticks are whole numbers


def test_counts_have_whole_number_ticks_and_many_figures_keep_the_old_summary(pack):
    chart, summary = export_charts.indicator_chart_for(pack, "FD1")
    assert summary.startswith("FD1 Contact Received") and " rose from 1,221 in Jan-22 to 1,551 in Jan-24" in summary
    spec = chart.to_dict()
    assert spec["layer"][0]["encoding"]["y"]["axis"]["format"] == ",d"


def rag_counts(built_db) -> pd.DataFrame:
    """The overview's counts, built as the overview builds them."""
    reader = store.ReadOnlyStore(built_db)
    sc = service.build_scorecard(reader, JAN24, "latest")
    areas = service_areas(reader.table("areas"))
    store.ReadOnlyStore.close_all()
    wide = scorecard_engine.rag_counts(sc, areas)
    counts = wide.melt(id_vars=["area", "Area"], value_vars=list(RAG_WORDS), var_name="rating", value_name="n")
    counts["rank"] = counts["rating"].map({w: i for i, w in enumerate(RAG_WORDS)})
    counts["area_order"] = counts["area"].map({a: i for i, a in enumerate(wide["area"])})
    counts = counts.sort_values(["area_order", "rank"])
    counts["cum"] = counts.groupby("area", sort=False)["n"].cumsum()
    counts["area"] = counts["Area"]
    return counts


@pytest.mark.parametrize("width", (300, 600))
def test_rag_bar_labels_fit_their_segments(built_db, width):
    counts = rag_counts(built_db)
    chart, summary = charts.rag_counts_chart(counts)
    assert summary.startswith("Across all areas: 18 Red, 7 Amber and 22 Green")
    svg = svg_of(chart, width=width)
    # Bars: (x, y, width) of each segment; labels sit at a segment's middle.
    bars = [
        (float(x), float(y), float(w))
        for x, y, w in re.findall(r'aria-roledescription="bar"[^>]*d="M([-\d.e]+),([-\d.e]+)h([-\d.e]+)', svg)
    ]
    labels = [(x, y, t) for x, y, t in mark_texts(svg, "seg") if t]
    assert labels and any(re.fullmatch(r"\d+ (Red|Amber|Green|Not rated)", t) for _, _, t in labels)
    for x, y, text in labels:
        assert re.fullmatch(r"\d+( (Red|Amber|Green|Not rated))?", text), text  # never "R7A1"
        seg = next((b for b in bars if b[0] <= x <= b[0] + b[2] and b[1] <= y <= b[1] + 34), None)
        assert seg is not None, (x, y, text)
        assert len(text) * 7 <= seg[2], (text, seg)  # about 7 px a character at 12 px: inside its own segment


def test_improvement_plan_labels_each_have_a_row_and_stay_inside_the_plot(pack):
    """Actions in neighbouring months (CIN20: 1.3 in Aug-23, 1.2 and 1.5 in Sep-23, 1.6 in Oct-23) once printed
    over each other: each label has its own row, and those in the right half read leftwards from their line."""
    row, series, _ = export_charts.chart_job(pack, "CIN20")
    actions = pd.DataFrame(
        {
            "action_ref": ["1.3", "1.2", "1.5", "1.6"],
            "start_month": [dt.date(2023, 8, 1), dt.date(2023, 9, 1), dt.date(2023, 9, 1), dt.date(2023, 10, 1)],
            "end_month": [None, None, None, dt.date(2024, 1, 1)],
        }
    )
    chart, _ = charts.indicator_chart(pd.Series(row), series, actions=actions)
    svg = svg_of(chart)
    found = re.findall(
        r'text-anchor="(start|end)" transform="translate\(([-\d.e]+),([-\d.e]+)\)"[^>]*>([▶■][^<]*)<', svg
    )
    assert sorted(t for *_, t in found) == sorted(["▶ 1.2, 1.5", "▶ 1.3", "▶ 1.6", "■ 1.6"])
    assert len({y for _, _, y, _ in found}) == len(found)  # one row each
    assert all(anchor == "end" for anchor, *_, t in found if t == "■ 1.6")  # Jan-24, the right-hand end
