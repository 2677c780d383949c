"""Altair charts. Each returns (chart, summary sentence): every chart has a title and a one-line
text summary for readers who cannot see it. Lines are told apart by dash and label, not colour alone."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .engine import spc
from .formatting import fmt_value
from .periods import label
from .vocabulary import COMPARATOR_NAME, COMPARATOR_SHORT, COMPARATORS, RAG_CHART_COLOUR, RAG_WORDS

INK = "#1d3f73"
GREY = "#595959"
SIGNAL = "#b35900"
FONT_SIZE = 14
LABEL_FONT = 13
ACTION_ROW = 16  # px between the improvement plan's labels, one row each at the top of the plot
LABEL_GAP = 18  # px between end-of-line labels' centres: a 13 px line of text (ascent and descent) and air


def _base_config(chart: alt.Chart) -> alt.Chart:
    return (
        chart.configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
        .configure_title(fontSize=18, anchor="start", subtitleFontSize=14)
        .configure_legend(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, orient="bottom")
        .configure_view(strokeWidth=0)
    )


def series_summary(ref: str, name: str, unit: str, series: pd.DataFrame, target_text: str, rag_reason: str) -> str:
    pts = series.dropna(subset=["value"]).sort_values("period")
    if pts.empty:
        return f"{ref} {name}: no figures to chart."
    first, last = pts.iloc[0], pts.iloc[-1]
    target = f" The target is {target_text}." if target_text else ""
    if len(pts) == 1:
        return (
            f"{ref} {name}: {fmt_value(last['value'], unit)} in {label(last['period'])} is the only figure so far, "
            f"so there is no trend yet.{target}"
        )
    hi = pts.loc[pts["value"].idxmax()]
    lo = pts.loc[pts["value"].idxmin()]
    move = "rose" if last["value"] > first["value"] else "fell" if last["value"] < first["value"] else "was unchanged"
    return (
        f"{ref} {name} {move} from {fmt_value(first['value'], unit)} in {label(first['period'])} to "
        f"{fmt_value(last['value'], unit)} in {label(last['period'])} across {len(pts)} months with figures; "
        f"highest {fmt_value(hi['value'], unit)} ({label(hi['period'])}), lowest {fmt_value(lo['value'], unit)} "
        f"({label(lo['period'])}).{target}"
    )


def _runs(months: pd.Series) -> list[int]:
    """Number each run of consecutive calendar months: the line joins a month only to the month before it, so a
    month never printed (or printed blank) breaks the line rather than being drawn across."""
    idx = [m.year * 12 + m.month for m in months]
    runs, run = [], 0
    for i, m in enumerate(idx):
        if i and m - idx[i - 1] != 1:
            run += 1
        runs.append(run)
    return runs


def label_positions(fracs: list[float], height: float, gap: float = LABEL_GAP) -> list[float]:
    """Pixel y of each end-of-line label (fracs: each line's height from the top as a fraction of the plot, sorted
    top first): as near its line as it can be, never closer than `gap` to the next, kept inside the plot where
    there is room. The same sums as `_label_y_expr`, which the browser works out for the height it draws."""
    n = len(fracs)
    down = []
    for i in range(n):  # pushed down from the top, each at least a gap below the one above
        down.append(max(*(height * fracs[j] + (i - j) * gap for j in range(i + 1)), i * gap))
    return [min(d, height - (n - 1 - i) * gap) for i, d in enumerate(down)]  # then up from the bottom


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
    unit = row["unit"]
    s = series.dropna(subset=["value"]).copy()
    s["month"] = pd.to_datetime(s["period"])
    s = s.sort_values("month")
    s["run"] = _runs(s["month"])
    s["shown"] = [fmt_value(v, unit) for v in s["value"]]
    s["label"] = [label(p) for p in s["period"]]
    s["revised"] = [("Revised after first publication" if (p in (revised or set())) else "") for p in s["period"]]
    rebase, fixed = spc.settings_for(row)
    pts = spc.points(s.assign(ref=row["ref"])[["ref", "period", "value"]], "ref", rebase=rebase, baseline=fixed)
    if not pts.empty:
        pts["period"] = pd.to_datetime(pts["period"])
        s = s.merge(pts[["period", "rule", "signal"]].rename(columns={"period": "month"}), on="month", how="left")
    else:
        s["rule"], s["signal"] = "", ""
    s["rule"] = s["rule"].fillna("")
    s["point_kind"] = np.where(s["rule"] != "", "Special cause (SPC signal)", "Monthly figure")
    s["point_kind"] = np.where(s["revised"] != "", s["point_kind"] + ", revised", s["point_kind"])

    x0, x1 = (s["month"].min(), s["month"].max()) if not s.empty else (pd.Timestamp.now(), pd.Timestamp.now())
    x_scale = alt.Undefined
    if x0 == x1:  # one month: a month either side, so the point is not pinned to an edge
        x_scale = alt.Scale(
            domain=[(x0 - pd.DateOffset(months=1)).isoformat(), (x1 + pd.DateOffset(months=1)).isoformat()]
        )
    x = alt.X("month:T", title="Month", axis=alt.Axis(format="%b-%y", labelAngle=0, tickCount="month"), scale=x_scale)
    y_title = {
        "percent": "Per cent",
        "rate_per_10k": "Rate per 10,000 children",
        "days": "Days",
        "caseload_average": "Average caseload",
    }.get(unit, "Number")
    values = list(s["value"])
    layers = []

    lines: list[dict] = []  # every labelled horizontal line, drawn as one rule layer per dash and colour
    labels: list[dict] = []  # every end-of-line label, placed together so none overlaps another

    def hline(value: float, text: str, dash: list[int], color: str = GREY, start=None) -> None:
        """A labelled horizontal line; from `start` only when given (limits of the latest SPC segment)."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return
        values.append(value)
        lines.append(
            {"y": value, "text": text, "x": x1, "x0": start if start is not None else x0, "dash": dash, "color": color}
        )  # dash and colour pick the layer; they are not drawn from the data
        labels.append({"value": value, "text": text, "color": color})

    kind = row.get("target_kind", "none")
    if kind == "band":
        band = pd.DataFrame(
            {
                "lo": [row["target_low"]],
                "hi": [row["target_high"]],
                "x0": [x0],
                "x1": [x1],
                "text": [f"Target band {row['target_text']}"],
            }
        )
        values += [row["target_low"], row["target_high"]]
        layers.append(
            alt.Chart(band)
            .mark_rect(opacity=0.18, color="#009E73")
            .encode(x="x0:T", x2="x1:T", y="lo:Q", y2="hi:Q", tooltip=[alt.Tooltip("text:N", title="Target")])
        )
        labels.append({"value": row["target_high"], "text": f"Target band {row['target_text']}", "color": "#00523b"})
    elif kind in ("minimum", "maximum"):
        hline(
            row["target_low"] if kind == "minimum" else row["target_high"],
            f"Target {row['target_text']}",
            [8, 4],
            "#00523b",
        )
    for c in reversed(COMPARATORS):  # England first: the national line
        v = row.get(c)
        if v is not None and not (isinstance(v, float) and np.isnan(v)):
            year = row.get(f"{c}_year") or "year not printed"
            hline(float(v), f"{COMPARATOR_SHORT[c]} {year}", [2, 3])
    if (
        not (isinstance(row.get("baseline_value"), float) and np.isnan(row.get("baseline_value")))
        and row.get("baseline_value") is not None
    ):
        hline(float(row["baseline_value"]), f"Previous year ({row.get('baseline_basis') or 'baseline'})", [1, 5])
    if show_spc and not pts.empty and bool(pts["enough"].iloc[-1]):
        last = pts.iloc[-1]
        trial = " (trial)" if int(last["n"]) < spc.DEFAULT_RULES.trial_below else ""
        start = pd.Timestamp(last["segment_start"]) if bool(last["rebased"]) else None
        hline(float(last["mean"]), "Average", [6, 2], INK, start)
        hline(float(last["ucl"]), f"Upper process limit{trial}", [3, 3], INK, start)
        hline(float(last["lcl"]), f"Lower process limit{trial}", [3, 3], INK, start)
        if start is not None:  # the break: limits recalculated where the definition changed
            note = str(row.get("spc_rebase_note") or "").split(" (")[0]
            brk = pd.DataFrame(
                {
                    "month": [start],
                    "text": [f"Limits recalculated from {label(start.date())}" + (f", {note}" if note else "")],
                }
            )
            layers.append(
                alt.Chart(brk)
                .mark_rule(color=INK, strokeWidth=2, strokeDash=[1, 2])
                .encode(x="month:T", tooltip=[alt.Tooltip("text:N", title="SPC")])
            )
            layers.append(  # at the foot of the break: the top rows belong to the improvement plan's labels
                alt.Chart(brk)
                .transform_calculate(foot="height - 4")
                .mark_text(align="left", baseline="bottom", dx=4, fontSize=12, color=INK)
                .encode(x="month:T", y=alt.Y("foot:Q", scale=None, axis=None), text=alt.value("Limits recalculated"))
            )

    domain = _value_domain(values, unit)

    # Lines drawn alike (the four comparators, the two limits) share one rule layer: layers, not lines, are what
    # a chart costs to draw. Dash and colour stay fixed marks, not data.
    groups: dict[tuple, list[dict]] = {}
    for line in lines:
        groups.setdefault((tuple(line["dash"]), line["color"]), []).append(line)
    for (dash, color), group in groups.items():
        ref_df = pd.DataFrame(group)
        layers.append(
            alt.Chart(ref_df)
            .mark_rule(strokeDash=list(dash), color=color, strokeWidth=1.5)
            .encode(x="x0:T", x2="x:T", y="y:Q", tooltip=[alt.Tooltip("text:N", title="Line")])
        )
    if labels:
        layers.append(_end_labels(labels, domain, x1))

    marks = _action_marks(actions, x0, x1)
    if not marks.empty:
        layers.append(
            alt.Chart(marks)
            .mark_rule(color="#6a3d9a", strokeWidth=1.5)
            .encode(
                x="month:T",
                strokeDash=alt.StrokeDash(
                    "kind:N",
                    title="Improvement plan",
                    scale=alt.Scale(domain=["Action starts", "Action due"], range=[[1, 0], [5, 3]]),
                ),
                tooltip=[alt.Tooltip("text:N", title="Improvement plan")],
            )
        )
        # One row each, from the top; those in the right half read leftwards from their line, so no label runs
        # into another or past the plot into the end-of-line labels.
        marks["row_y"] = [4 + ACTION_ROW * i for i in range(len(marks))]
        middle = x0 + (x1 - x0) / 2
        for align, part in (("left", marks[marks["month"] <= middle]), ("right", marks[marks["month"] > middle])):
            if not part.empty:
                layers.append(
                    alt.Chart(part)
                    .mark_text(align=align, baseline="top", dx=3 if align == "left" else -3, fontSize=12)
                    .encode(
                        x="month:T",
                        y=alt.Y("row_y:Q", scale=None, axis=None),
                        text="short:N",
                        color=alt.value("#6a3d9a"),
                    )
                )

    tooltip = [
        alt.Tooltip("label:N", title="Month"),
        alt.Tooltip("shown:N", title="Value"),
        alt.Tooltip("vintage:N", title="As printed in"),
        alt.Tooltip("point_kind:N", title="Point"),
    ]
    y_axis = alt.Axis(format=",d", tickMinStep=1) if unit == "count" else alt.Undefined  # no 485.5 children
    line = (
        alt.Chart(s)
        .mark_line(color=INK, strokeWidth=2.5)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(domain=domain, nice=False), axis=y_axis),
            detail="run:N",  # one path per run of consecutive months: gaps stay gaps
        )
    )
    points = (
        alt.Chart(s)
        .mark_point(filled=True, size=90, color=INK)
        .encode(
            x=x,
            y="value:Q",
            tooltip=tooltip,
            shape=alt.Shape(
                "point_kind:N",
                title="Point",
                scale=alt.Scale(
                    domain=[
                        "Monthly figure",
                        "Special cause (SPC signal)",
                        "Monthly figure, revised",
                        "Special cause (SPC signal), revised",
                    ],
                    range=["circle", "diamond", "square", "triangle-up"],
                ),
            ),
            color=alt.Color(
                "point_kind:N",
                title="Point",
                scale=alt.Scale(
                    domain=[
                        "Monthly figure",
                        "Special cause (SPC signal)",
                        "Monthly figure, revised",
                        "Special cause (SPC signal), revised",
                    ],
                    range=[INK, SIGNAL, INK, SIGNAL],
                ),
            ),
        )
    )
    chart = alt.layer(line, *layers, points).properties(
        title=alt.TitleParams(f"{row['ref']} {row['indicator']}", subtitle=[y_title]), height=height
    )  # Streamlit fits title, axes and legend inside this
    summary = series_summary(
        row["ref"], row["indicator"], unit, s, row.get("target_text", ""), row.get("rag_reason", "")
    )
    if show_spc and not pts.empty and bool(pts["rebased"].iloc[-1]):
        summary += f" SPC limits are recalculated from {label(pd.Timestamp(pts['segment_start'].iloc[-1]).date())}."
    return _base_config(chart), summary


def _value_domain(values: list[float], unit: str) -> list[float]:
    """The value axis: every figure and line with a little room; from zero when there is only one level to show
    (a single figure on a 485-487 axis says nothing)."""
    lo_v, hi_v = (min(values), max(values)) if values else (0, 1)
    if hi_v == lo_v:
        domain = [0.0, hi_v * 1.25] if hi_v > 0 else [lo_v - 1, lo_v + 1]
    else:
        pad = (hi_v - lo_v) * 0.12
        domain = [max(0, lo_v - pad) if lo_v >= 0 else lo_v - pad, hi_v + pad]
    if unit == "percent" and hi_v <= 100:
        domain[1] = min(100, domain[1])
    return [float(domain[0]), float(domain[1])]


def _end_labels(labels: list[dict], domain: list[float], x1) -> alt.Chart:
    """The lines' labels at the chart's right-hand end, top to bottom in the lines' order, each as near its line as
    the minimum gap allows (worked out in the browser for the height drawn)."""
    d0, d1 = domain
    ordered = sorted(labels, key=lambda lab: -lab["value"])
    fracs = [min(1.0, max(0.0, (d1 - lab["value"]) / (d1 - d0))) for lab in ordered]
    df = pd.DataFrame(
        {
            "i": range(len(ordered)),
            "frac": fracs,  # where its line is (0 top, 1 bottom); the expression below carries the same numbers
            "text": [lab["text"] for lab in ordered],
            "color": [lab["color"] for lab in ordered],
            "x": [x1] * len(ordered),
        }
    )
    return (
        alt.Chart(df)
        .transform_calculate(label_y=_label_y_expr(fracs))
        .mark_text(align="left", baseline="middle", dx=8, fontSize=LABEL_FONT)
        .encode(
            x="x:T",
            y=alt.Y("label_y:Q", scale=None, axis=None),
            text="text:N",
            color=alt.Color("color:N", scale=None),
        )
    )


def _action_marks(actions: pd.DataFrame | None, x0, x1) -> pd.DataFrame:
    """Start and due months of linked actions that fall inside the chart's months (several actions in one
    month share one label)."""
    cols = ["month", "kind", "text", "short"]
    if actions is None or actions.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for kind, col in (("Action starts", "start_month"), ("Action due", "end_month")):
        for m, g in actions.dropna(subset=[col]).groupby(col):
            t = pd.Timestamp(m)
            if x0 <= t <= x1:
                refs = ", ".join(g["action_ref"])
                rows.append(
                    {
                        "month": t,
                        "kind": kind,
                        "text": f"{kind.replace('Action', 'Action' + ('s' if len(g) > 1 else ''))}: "
                        f"{refs} ({label(m)})",
                        "short": ("▶ " if kind == "Action starts" else "⏹ ") + refs,
                    }
                )
    return pd.DataFrame(rows, columns=cols).sort_values(["month", "kind"], ignore_index=True)


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
        .encode(y=y, x=alt.X("mid:Q", scale=x_scale), text="seg:N")
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
COMPARE_LINES = {  # series -> (dash, colour): told apart by dash and end label as well as colour
    "ours": ([1, 0], INK),
    "england": ([6, 3], GREY),
    "nw": ([2, 2], "#6a3d9a"),
    "gm": ([8, 2, 2, 2], "#8c510a"),
    "sn": ([4, 4], "#00607a"),
}


def _counted_at(years: list[str]) -> str:
    """How the published years are counted: the workforce census on 30 September, the rest the year to March."""
    return "counted on 30 September each year" if years and years[0].startswith("Sep") else "each year to 31 March"


def national_trend_chart(name: str, unit: str, ours_name: str, summary: pd.DataFrame) -> tuple[alt.Chart, str]:
    """Our published figure against England, North West, GM and the SN mean over every published year.
    summary: engine.national.summary rows of one measure. The legend shows each line's dash and colour."""
    names = {"ours": ours_name, **{c: COMPARATOR_NAME[c] for c in ("england", "nw", "gm", "sn")}}
    names["sn"] = "Statistical neighbours (mean)"
    s = summary.sort_values("year_end")
    years = list(s["year"])
    long = s.melt(id_vars=["year"], value_vars=list(COMPARE_LINES), var_name="series", value_name="value")
    long = long.dropna(subset=["value"])
    long["Series"] = long["series"].map(names)
    long["shown"] = [fmt_value(v, unit) for v in long["value"]]
    order = [names[k] for k in COMPARE_LINES]
    encode = {
        "x": alt.X("year:O", sort=years, title="Published year", axis=alt.Axis(labelAngle=0)),
        "y": alt.Y("value:Q", title=UNIT_TITLE.get(unit, unit), scale=alt.Scale(zero=False)),
        "color": alt.Color(
            "Series:N",
            sort=order,
            scale=alt.Scale(domain=order, range=[c for _, c in COMPARE_LINES.values()]),
            legend=alt.Legend(
                title=None, orient="bottom", columns=5, symbolStrokeWidth=3, symbolSize=200, labelLimit=260
            ),
        ),
        "strokeDash": alt.StrokeDash(
            "Series:N",
            sort=order,
            scale=alt.Scale(domain=order, range=[d for d, _ in COMPARE_LINES.values()]),
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
    group = np.where(
        c["la_code"] == ours_code,
        "Us",
        np.where(
            c["la_code"].isin(neighbours),
            "Statistical neighbours",
            np.where(c["la_code"].isin(gm), "Greater Manchester", "Other councils"),
        ),
    )
    ours_name = c.loc[c["la_code"] == ours_code, "area_name"]
    ours_name = ours_name.iloc[0] if not ours_name.empty else "Us"
    c["Group"] = np.where(group == "Us", ours_name, group)
    order = [ours_name, "Statistical neighbours", "Greater Manchester", "Other councils"]
    c["shown"] = [fmt_value(v, unit) for v in c["value"]]
    c["Rank"] = [
        "" if pd.isna(r) else f"{int(r)} of {int(o)}" + (f" (band {b})" if b else "")
        for r, o, b in zip(c["rank"], c["of"], c["band"])
    ]
    colours = alt.Scale(domain=order, range=[INK, "#00607a", "#8c510a", "#9a9a9a"])
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
