"""Altair charts. Each returns (chart, summary sentence): every chart has a title and a one-line
text summary for readers who cannot see it. Lines are told apart by dash and label, not colour alone."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..words.formatting import fmt_value
from ..words.vocabulary import RAG_CHART_COLOUR, RAG_WORDS, comparator, comparators
from .figures import (
    ACTION,
    ACTION_DASH,
    BAND,
    INK,
    LABEL_GAP,
    POINT_COLOURS,
    POINT_KINDS,
    POINT_SHAPES,
    IndicatorFigure,
    indicator_figure,
    ordered_labels,
)

FONT_SIZE = 14
LABEL_FONT = 13
ACTION_ROW = 16  # px between the improvement plan's labels, one row each at the top of the plot


# One config object set on the finished chart: each `configure_*` call copies the chart, so four of them cost a third
# of an indicator chart's build.
_CONFIG = alt.Config(
    axis=alt.AxisConfig(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE),
    title=alt.TitleConfig(fontSize=18, anchor="start", subtitleFontSize=14),
    legend=alt.LegendConfig(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, orient="bottom", labelLimit=260),
    view=alt.ViewConfig(strokeWidth=0),
)


def _base_config(chart: alt.Chart) -> alt.Chart:
    chart.config = _CONFIG.copy(deep=True)
    return chart


def _label_y_expr(fracs: list[float], gap: float = LABEL_GAP) -> str:
    """`label_positions` as a Vega expression of the plot's drawn height, so one spec stays right at every size
    (the page, the projector, the papers' smaller charts)."""
    n = len(fracs)
    cases = []
    for i in range(n):
        down = ", ".join(f"height * {fracs[j]:.6f} + {(i - j) * gap}" for j in range(i + 1))
        cases.append(f"min(max({down}, {i * gap}), height - {(n - 1 - i) * gap})")
    expr = "0"
    for i in reversed(range(n)):
        expr = f"datum.i == {i} ? {cases[i]} : {expr}"
    return expr


def indicator_chart(
    row: pd.Series,
    series: pd.DataFrame,
    show_spc: bool = True,
    revised: set | None = None,
    actions: pd.DataFrame | None = None,
    height: int = 460,
) -> tuple[alt.Chart, str]:
    """row: one scorecard row (targets, comparators, SPC); series: period, value, vintage up to the month;
    actions: linked improvement-plan actions (action_ref, start_month, end_month) marked where they fall;
    height: the chart's height in pixels (labels are placed in the browser for the height finally drawn)."""
    fig = indicator_figure(row, series, show_spc=show_spc, revised=revised, actions=actions)
    return figure_chart(fig, height), fig.summary


def figure_chart(fig: IndicatorFigure, height: int = 460) -> alt.Chart:
    """The Altair drawing of an indicator's figure (figures.indicator_figure, which the papers draw as vectors):
    the series' line under the target band, the SPC break, the reference lines and the plan's actions, its points
    on top."""
    line, points = _series(fig)
    layers = [*_target_band(fig), *_spc_break(fig), *_reference_lines(fig), *_plan_actions(fig)]
    chart = alt.layer(line, *layers, points).properties(
        title=alt.TitleParams(fig.title, subtitle=[fig.y_title]), height=height
    )  # Streamlit fits title, axes and legend inside this
    return _base_config(chart)


POINT_LEGEND = alt.Legend(columns=2)  # four kinds in two rows: one row ran past a 1280 px window


def without_legends(spec: dict) -> dict:
    """The spec with every channel's legend removed, layers included (config's `legend.disable` does not remove
    a legend a channel sets itself, as POINT_LEGEND does)."""
    if isinstance(spec, list):
        return [without_legends(v) for v in spec]
    if not isinstance(spec, dict):
        return spec
    out = {k: without_legends(v) for k, v in spec.items()}
    for channel in (out.get("encoding") or {}).values():
        if isinstance(channel, dict) and ("field" in channel or "legend" in channel):
            channel["legend"] = None
    return out


def _series(fig: IndicatorFigure) -> tuple[alt.Chart, alt.Chart]:
    """The series as a line (one path per run of consecutive months) and as points told apart by shape."""
    s = fig.points
    x_scale = alt.Undefined
    if fig.x_domain is not None:
        x_scale = alt.Scale(domain=[t.isoformat() for t in fig.x_domain])
    x = alt.X("month:T", title="Month", axis=alt.Axis(format="%b-%y", labelAngle=0, tickCount="month"), scale=x_scale)
    tooltip = [
        alt.Tooltip("label:N", title="Month"),
        alt.Tooltip("shown:N", title="Value"),
        alt.Tooltip("vintage:N", title="As printed in"),
        alt.Tooltip("point_kind:N", title="Point"),
    ]
    y_axis = alt.Axis(format=",d", tickMinStep=1) if fig.whole_numbers else alt.Undefined
    line = (
        alt.Chart(s)
        .mark_line(color=INK, strokeWidth=2.5)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=fig.y_title, scale=alt.Scale(domain=fig.domain, nice=False), axis=y_axis),
            detail=alt.Detail("run:N"),  # one path per run of consecutive months: gaps stay gaps
        )
    )
    points = (
        alt.Chart(s)
        .mark_point(filled=True, size=90, color=INK)
        .encode(
            x=x,
            y=alt.Y("value:Q"),
            tooltip=tooltip,
            shape=alt.Shape(
                "point_kind:N",
                title="Point",
                scale=alt.Scale(domain=POINT_KINDS, range=POINT_SHAPES),
                legend=POINT_LEGEND,
            ),
            color=alt.Color(
                "point_kind:N",
                title="Point",
                scale=alt.Scale(domain=POINT_KINDS, range=POINT_COLOURS),
                legend=POINT_LEGEND,
            ),
        )
    )
    return line, points


def _target_band(fig: IndicatorFigure) -> list[alt.Chart]:
    if fig.band is None:
        return []
    band = pd.DataFrame({k: [v] for k, v in fig.band.items()})[["lo", "hi", "x0", "x1", "text"]]
    return [
        alt.Chart(band)
        .mark_rect(opacity=0.18, color=BAND)
        .encode(
            x=alt.X("x0:T"),
            x2=alt.X2("x1:T"),
            y=alt.Y("lo:Q"),
            y2=alt.Y2("hi:Q"),
            tooltip=[alt.Tooltip("text:N", title="Target")],
        )
    ]


def _spc_break(fig: IndicatorFigure) -> list[alt.Chart]:
    """Where the SPC limits were recalculated: a dotted rule, named at its foot."""
    if fig.brk is None:
        return []
    brk = pd.DataFrame({"month": [fig.brk["month"]], "text": [fig.brk["text"]]})
    return [
        alt.Chart(brk)
        .mark_rule(color=INK, strokeWidth=2, strokeDash=[1, 2])
        .encode(x=alt.X("month:T"), tooltip=[alt.Tooltip("text:N", title="SPC")]),
        # at the foot of the break: the top rows belong to the improvement plan's labels
        alt.Chart(brk)
        .transform_calculate(foot="height - 4")
        .mark_text(align="left", baseline="bottom", dx=4, fontSize=12, color=INK)
        .encode(
            x=alt.X("month:T"), y=alt.Y("foot:Q", scale=None, axis=None), text=alt.TextValue("Limits recalculated")
        ),
    ]


def _reference_lines(fig: IndicatorFigure) -> list[alt.Chart]:
    """Comparators, target and limits as rules, with their labels at the right-hand end.

    Lines drawn alike (the four comparators, the two limits) share one rule layer: layers, not lines, are what
    a chart costs to draw. Dash and colour stay fixed marks, not data."""
    groups: dict[tuple, list[dict]] = {}
    for line in fig.lines:
        groups.setdefault((tuple(line["dash"]), line["color"]), []).append(line)
    layers = [
        alt.Chart(pd.DataFrame(group))
        .mark_rule(strokeDash=list(dash), color=color, strokeWidth=1.5)
        .encode(x=alt.X("x0:T"), x2=alt.X2("x:T"), y=alt.Y("y:Q"), tooltip=[alt.Tooltip("text:N", title="Line")])
        for (dash, color), group in groups.items()
    ]
    if fig.labels:
        layers += _end_labels(fig.labels, fig.domain, fig.x1)
    return layers


def _plan_actions(fig: IndicatorFigure) -> list[alt.Chart]:
    """The linked improvement-plan actions: a rule where each starts or ends, dashed by which, and its label."""
    marks = fig.actions.copy()
    if marks.empty:
        return []
    layers = [
        alt.Chart(marks)
        .mark_rule(color=ACTION, strokeWidth=1.5)
        .encode(
            x=alt.X("month:T"),
            strokeDash=alt.StrokeDash(
                "kind:N",
                title="Improvement plan",
                scale=alt.Scale(domain=list(ACTION_DASH), range=list(ACTION_DASH.values())),
            ),
            tooltip=[alt.Tooltip("text:N", title="Improvement plan")],
        )
    ]
    # One row each, from the top; those in the right half read leftwards from their line, so no label runs
    # into another or past the plot into the end-of-line labels.
    marks["row_y"] = [4 + ACTION_ROW * i for i in range(len(marks))]
    middle = fig.x0 + (fig.x1 - fig.x0) / 2
    for align, part in (("left", marks[marks["month"] <= middle]), ("right", marks[marks["month"] > middle])):
        if not part.empty:
            layers.append(
                alt.Chart(part)
                .mark_text(align=align, baseline="top", dx=3 if align == "left" else -3, fontSize=12)
                .encode(
                    x=alt.X("month:T"),
                    y=alt.Y("row_y:Q", scale=None, axis=None),
                    text=alt.Text("short:N"),
                    color=alt.ColorValue(ACTION),
                )
            )
    return layers


def _end_labels(labels: list[dict], domain: list[float], x1) -> list[alt.Chart]:
    """The lines' labels at the chart's right-hand end, top to bottom in the lines' order, each as near its line as
    the minimum gap allows (worked out in the browser for the height drawn). One layer per colour, each a fixed
    mark: a colour field here would share the points' colour scale, and Streamlit's Vega-Lite then no longer merges
    the points' colour and shape into one legend (it drew "Point" twice)."""
    ordered, fracs = ordered_labels(labels, domain)
    df = pd.DataFrame(
        {
            "i": range(len(ordered)),
            "frac": fracs,  # where its line is (0 top, 1 bottom); the expression below carries the same numbers
            "text": [lab["text"] for lab in ordered],
            "color": [lab["color"] for lab in ordered],
            "x": [x1] * len(ordered),
        }
    )
    label_y = _label_y_expr(fracs)
    return [
        alt.Chart(part.drop(columns="color"))
        .transform_calculate(label_y=label_y)
        .mark_text(align="left", baseline="middle", dx=8, fontSize=LABEL_FONT, color=colour)
        .encode(x=alt.X("x:T"), y=alt.Y("label_y:Q", scale=None, axis=None), text=alt.Text("text:N"))
        for colour, part in df.groupby("color", sort=False)
    ]


def rag_counts_chart(counts: pd.DataFrame) -> tuple[alt.Chart, str]:
    """counts: area (in display order), rating word, n, cum (running total within the area). Each segment says
    "7 Red" where it is wide enough, "7" where only the number fits, and nothing where neither does (the table
    beside the chart has every count): labels never run into each other."""
    palette, order = RAG_CHART_COLOUR, list(RAG_WORDS)
    area_order = list(dict.fromkeys(counts["area"]))
    widest = float(counts.groupby("area")["n"].sum().max()) if not counts.empty else 1.0
    widest = widest or 1.0
    y = alt.Y("area:N", title=None, sort=area_order, axis=alt.Axis(labelLimit=260))
    x_scale = alt.Scale(domain=[0, widest], nice=False)  # fixed, so the browser can tell how wide a segment is
    bars = (
        alt.Chart(counts)
        .mark_bar(stroke="#ffffff", strokeWidth=1)
        .encode(
            y=y,
            x=alt.X("n:Q", title="Indicators", stack="zero", scale=x_scale),
            color=alt.Color("rating:N", title="RAG", scale=alt.Scale(domain=order, range=[palette[o] for o in order])),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("area:N", title="Area"),
                alt.Tooltip("rating:N", title="RAG"),
                alt.Tooltip("n:Q", title="Indicators"),
            ],
        )
    )
    shown = counts[counts["n"] > 0].copy()
    shown["mid"] = shown["cum"] - shown["n"] / 2
    shown["long"] = [f"{int(n)} {r}" for n, r in zip(shown["n"], shown["rating"])]
    shown["short"] = shown["n"].astype(int).astype(str)
    # Text width at 12 px is about 7 px a character; 10 px of air inside the segment.
    shown["long_px"] = shown["long"].str.len() * 7 + 10
    shown["short_px"] = shown["short"].str.len() * 7 + 10
    seg_px = f"datum.n * width / {widest}"
    text = (
        alt.Chart(shown)
        .transform_calculate(
            seg=f"{seg_px} >= datum.long_px ? datum.long : {seg_px} >= datum.short_px ? datum.short : ''"
        )
        .mark_text(align="center", baseline="middle", color="#111111", fontSize=12)
        .encode(y=y, x=alt.X("mid:Q", scale=x_scale), text=alt.Text("seg:N"))
    )
    chart = alt.layer(bars, text).properties(
        title=alt.TitleParams(
            "RAG ratings by service area",
            subtitle=["Each segment labelled with its count and rating where it fits; every count is in the table"],
        ),
        height=alt.Step(34),
    )
    rated = counts[counts["rating"] != "Not rated"].groupby("rating")["n"].sum()
    summary = (
        f"Across all areas: {int(rated.get('Red', 0))} Red, {int(rated.get('Amber', 0))} Amber and "
        f"{int(rated.get('Green', 0))} Green indicators; "
        f"{int(counts.loc[counts['rating'] == 'Not rated', 'n'].sum())} are not rated."
    )
    return _base_config(chart), summary


def weekly_chart(ref: str, name: str, unit: str, w: pd.DataFrame) -> tuple[alt.Chart, str]:
    d = w.dropna(subset=["value"]).copy()
    d["week"] = pd.to_datetime(d["week_ending"])
    d["shown"] = [fmt_value(v, unit) for v in d["value"]]
    d["label"] = [f"w/e {p:%d %b %Y}" for p in d["week"]]
    chart = (
        alt.Chart(d)
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=80), color=INK, strokeWidth=2.5)
        .encode(
            x=alt.X("week:T", title="Week ending", axis=alt.Axis(format="%d %b")),
            y=alt.Y("value:Q", title="Per cent" if unit == "percent" else "Number"),
            tooltip=[alt.Tooltip("label:N", title="Week"), alt.Tooltip("shown:N", title="Value")],
        )
        .properties(title=alt.TitleParams(f"{ref} {name}", subtitle=["Weekly, Brilliant at the Basics"]), height=300)
    )
    if d.empty:
        return _base_config(chart), f"{ref} {name}: no weekly figures."
    first, last = d.iloc[0], d.iloc[-1]
    summary = (
        f"{ref} {name} went from {fmt_value(first['value'], unit)} in the week ending {first['week']:%d %B %Y} "
        f"to {fmt_value(last['value'], unit)} in the week ending {last['week']:%d %B %Y} "
        f"(range {fmt_value(d['value'].min(), unit)} to {fmt_value(d['value'].max(), unit)})."
    )
    return _base_config(chart), summary


# ---------------------------------------------------------------- how we compare (national statistics)

UNIT_TITLE = {
    "percent": "Per cent",
    "rate_per_10k": "Rate per 10,000 children",
    "count": "Number",
    "days": "Days",
    "caseload_average": "Cases per social worker",
}


def compare_lines() -> dict[str, tuple[list[int], str]]:
    """series -> (dash, colour): ours, then each comparator as the registry draws it, told apart by dash and end
    label as well as colour."""
    return {"ours": ([1, 0], INK), **{c.code: (list(c.dash), c.colour) for c in comparators()}}


def _counted_at(years: list[str]) -> str:
    """How the published years are counted: the workforce census on 30 September, the rest the year to March."""
    return "counted on 30 September each year" if years and years[0].startswith("Sep") else "each year to 31 March"


def national_trend_chart(name: str, unit: str, ours_name: str, summary: pd.DataFrame) -> tuple[alt.Chart, str]:
    """Our published figure against England, North West, GM and the SN mean over every published year.
    summary: engine.national.summary rows of one measure. The legend shows each line's dash and colour."""
    lines = {k: v for k, v in compare_lines().items() if k in summary}
    names = {"ours": ours_name, **{c.code: c.line_name or c.name for c in comparators()}}
    s = summary.sort_values("year_end")
    years = list(s["year"])
    long = s.melt(id_vars=["year"], value_vars=list(lines), var_name="series", value_name="value")
    long = long.dropna(subset=["value"])
    long["Series"] = long["series"].map(names)
    long["shown"] = [fmt_value(v, unit) for v in long["value"]]
    order = [names[k] for k in lines]
    encode = {
        "x": alt.X("year:O", sort=years, title="Published year", axis=alt.Axis(labelAngle=0)),
        "y": alt.Y("value:Q", title=UNIT_TITLE.get(unit, unit), scale=alt.Scale(zero=False)),
        "color": alt.Color(
            "Series:N",
            sort=order,
            scale=alt.Scale(domain=order, range=[c for _, c in lines.values()]),
            legend=alt.Legend(
                title=None, orient="bottom", columns=5, symbolStrokeWidth=3, symbolSize=200, labelLimit=260
            ),
        ),
        "strokeDash": alt.StrokeDash(
            "Series:N",
            sort=order,
            scale=alt.Scale(domain=order, range=[d for d, _ in lines.values()]),
            legend=None,
        ),
        "tooltip": [
            alt.Tooltip("Series:N"),
            alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("shown:N", title="Value"),
        ],
    }
    lines = alt.Chart(long).mark_line(strokeWidth=2.5).encode(**encode)
    points = (
        alt.Chart(long)
        .mark_point(filled=True, size=50)
        .encode(**{k: v for k, v in encode.items() if k != "strokeDash"})
    )
    chart = alt.layer(lines, points).properties(
        title=alt.TitleParams(f"How we compare: {name}", subtitle=f"DfE published figures, {_counted_at(years)}"),
        height=420,
        width="container",
    )
    mine = s.dropna(subset=["ours"])
    if mine.empty:
        text = f"{name}: {ours_name} has no published figure in these years."
    else:
        last = mine.iloc[-1]
        eng = last["england"]
        against = "above" if last["ours"] > eng else "below" if last["ours"] < eng else "level with"
        text = (
            f"{name}: {ours_name} {fmt_value(last['ours'], unit)} in {last['year']}, {against} England "
            f"({fmt_value(eng, unit)}); published years {years[0]} to {years[-1]}."
        )
    return _base_config(chart), text


def councils_dot_plot(
    name: str, unit: str, year: str, councils: pd.DataFrame, ours_code: str, neighbours: list[str], gm: set[str]
) -> tuple[alt.Chart, str]:
    """Every council's published figure for one year, one row per group (ours, our statistical neighbours,
    Greater Manchester, every other council): the group is in the row label, not only the colour."""
    c = councils.dropna(subset=["value"]).copy()
    sn, gm_ = comparator("sn"), comparator("gm")
    group = np.where(
        c["la_code"] == ours_code,
        "Us",
        np.where(
            c["la_code"].isin(neighbours),
            sn.name,
            np.where(c["la_code"].isin(gm), gm_.name, "Other councils"),
        ),
    )
    ours_name = c.loc[c["la_code"] == ours_code, "area_name"]
    ours_name = ours_name.iloc[0] if not ours_name.empty else "Us"
    c["Group"] = np.where(group == "Us", ours_name, group)
    order = [ours_name, sn.name, gm_.name, "Other councils"]
    c["shown"] = [fmt_value(v, unit) for v in c["value"]]
    c["Rank"] = [
        "" if pd.isna(r) else f"{int(r)} of {int(o)}" + (f" (band {b})" if b else "")
        for r, o, b in zip(c["rank"], c["of"], c["band"])
    ]
    colours = alt.Scale(domain=order, range=[INK, sn.colour, gm_.colour, "#9a9a9a"])
    shapes = alt.Scale(domain=order, range=["diamond", "triangle-up", "square", "circle"])
    chart = (
        alt.Chart(c)
        .mark_point(filled=True, size=70, opacity=0.85)
        .encode(
            x=alt.X("value:Q", title=UNIT_TITLE.get(unit, unit), scale=alt.Scale(zero=False)),
            y=alt.Y("Group:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            color=alt.Color("Group:N", scale=colours, legend=None),
            shape=alt.Shape("Group:N", scale=shapes, legend=None),
            size=alt.condition(alt.datum.Group == ours_name, alt.value(260), alt.value(70)),
            tooltip=[
                alt.Tooltip("area_name:N", title="Council"),
                alt.Tooltip("shown:N", title="Value"),
                alt.Tooltip("Rank:N"),
            ],
        )
        .properties(
            title=alt.TitleParams(
                f"Every council, {year}: {name}", subtitle=f"{len(c)} councils with a published figure"
            ),
            height=220,
            width="container",
        )
    )
    mine = c[c["la_code"] == ours_code]
    if mine.empty:
        text = f"{name}, {year}: {len(c)} councils have a published figure; {ours_name} has none."
    else:
        m = mine.iloc[0]
        where = f", ranked {m['Rank']}" if m["Rank"] else ""
        text = (
            f"{name}, {year}: {ours_name} {m['shown']}{where}; councils range from "
            f"{fmt_value(c['value'].min(), unit)} to {fmt_value(c['value'].max(), unit)}."
        )
    return _base_config(chart), text
