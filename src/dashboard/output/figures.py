"""What an indicator's chart shows, as plain data: the series and its point kinds, the target line or band, the
comparators with their year, the previous year, the SPC average and limits (from where they were recalculated)
and the break, the end-of-line labels, the improvement plan's marks, the titles and the one-sentence summary.
One description, two renderers: `charts.indicator_chart` draws it with Altair for the pages, `export_pdf` as PDF
vector paths for the papers. No altair here, so the papers need not import it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine import spc
from ..words.formatting import fmt_value
from ..words.periods import label
from ..words.vocabulary import COMPARATOR_SHORT, COMPARATORS

INK = "#1d3f73"
GREY = "#595959"
SIGNAL = "#b35900"
TARGET = "#00523b"
BAND = "#009E73"
ACTION = "#6a3d9a"
LABEL_GAP = 18  # px between end-of-line labels' centres: a 13 px line of text (ascent and descent) and air

# Each point's kind, with its shape and colour: told apart by shape, not colour alone.
POINT_KINDS = [
    "Monthly figure",
    "Special cause (SPC signal)",
    "Monthly figure, revised",
    "Special cause (SPC signal), revised",
]
POINT_SHAPES = ["circle", "diamond", "square", "triangle-up"]
POINT_COLOURS = [INK, SIGNAL, INK, SIGNAL]
ACTION_DASH = {"Action starts": [1, 0], "Action due": [5, 3]}
Y_TITLE = {
    "percent": "Per cent",
    "rate_per_10k": "Rate per 10,000 children",
    "days": "Days",
    "caseload_average": "Average caseload",
}


@dataclass
class IndicatorFigure:
    ref: str
    indicator: str
    y_title: str
    unit: str
    points: pd.DataFrame  # month, value, run, shown, label, revised, rule, point_kind (and the series' columns)
    x0: pd.Timestamp
    x1: pd.Timestamp
    x_domain: list[pd.Timestamp] | None  # one month: a month either side, so the point is not pinned to an edge
    domain: list[float]  # the value axis
    lines: list[dict]  # labelled horizontal lines: y, text, x0, x (from, to), dash, color
    labels: list[dict]  # end-of-line labels: value, text, color
    band: dict | None = None  # target band: lo, hi, x0, x1, text
    brk: dict | None = None  # where the SPC limits were recalculated: month, text
    actions: pd.DataFrame = field(default_factory=pd.DataFrame)  # month, kind, text, short
    summary: str = ""

    @property
    def title(self) -> str:
        return f"{self.ref} {self.indicator}"

    @property
    def whole_numbers(self) -> bool:
        return self.unit == "count"  # no 485.5 children on the axis


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
    there is room. The same sums as `charts._label_y_expr`, which the browser works out for the height it draws."""
    n = len(fracs)
    down = []
    for i in range(n):  # pushed down from the top, each at least a gap below the one above
        down.append(max(*(height * fracs[j] + (i - j) * gap for j in range(i + 1)), i * gap))
    return [min(d, height - (n - 1 - i) * gap) for i, d in enumerate(down)]  # then up from the bottom


def ordered_labels(labels: list[dict], domain: list[float]) -> tuple[list[dict], list[float]]:
    """The end-of-line labels top to bottom in their lines' order, and where each line is (0 top, 1 bottom)."""
    d0, d1 = domain
    ordered = sorted(labels, key=lambda lab: -lab["value"])
    fracs = [min(1.0, max(0.0, (d1 - lab["value"]) / (d1 - d0))) for lab in ordered]
    return ordered, fracs


def value_domain(values: list[float], unit: str) -> list[float]:
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


def action_marks(actions: pd.DataFrame | None, x0, x1) -> pd.DataFrame:
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
                        "short": ("▶ " if kind == "Action starts" else "■ ") + refs,
                    }
                )
    return pd.DataFrame(rows, columns=cols).sort_values(["month", "kind"], ignore_index=True)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def indicator_figure(
    row: pd.Series,
    series: pd.DataFrame,
    show_spc: bool = True,
    revised: set | None = None,
    actions: pd.DataFrame | None = None,
    spc_points: pd.DataFrame | None = None,
) -> IndicatorFigure:
    """row: one scorecard row (targets, comparators, SPC); series: period, value, vintage up to the month;
    actions: linked improvement-plan actions (action_ref, start_month, end_month) marked where they fall;
    spc_points: this series' spc.points when already worked out with others' (indicator_figures)."""
    unit = row["unit"]
    s = series.dropna(subset=["value"]).copy()
    s["month"] = pd.to_datetime(s["period"])
    s = s.sort_values("month")
    s["run"] = _runs(s["month"])
    s["shown"] = [fmt_value(v, unit) for v in s["value"]]
    s["label"] = [label(p) for p in s["period"]]
    s["revised"] = [("Revised after first publication" if (p in (revised or set())) else "") for p in s["period"]]
    if spc_points is None:
        rebase, fixed = spc.settings_for(row)
        pts = spc.points(s.assign(ref=row["ref"])[["ref", "period", "value"]], "ref", rebase=rebase, baseline=fixed)
    else:
        pts = spc_points.reset_index(drop=True)
    if not pts.empty:
        pts["period"] = pd.to_datetime(pts["period"])
        if len(pts) == len(s) and (pts["period"].to_numpy() == s["month"].to_numpy()).all():
            # one SPC point per plotted month, in the same order (the usual case): no merge needed
            s = s.assign(rule=pts["rule"].to_numpy(), signal=pts["signal"].to_numpy()).reset_index(drop=True)
        else:
            s = s.merge(pts[["period", "rule", "signal"]].rename(columns={"period": "month"}), on="month", how="left")
    else:
        s["rule"], s["signal"] = "", ""
    s["rule"] = s["rule"].fillna("")
    s["point_kind"] = np.where(s["rule"] != "", POINT_KINDS[1], POINT_KINDS[0])
    s["point_kind"] = np.where(s["revised"] != "", s["point_kind"] + ", revised", s["point_kind"])

    x0, x1 = (s["month"].min(), s["month"].max()) if not s.empty else (pd.Timestamp.now(), pd.Timestamp.now())
    x_domain = [x0 - pd.DateOffset(months=1), x1 + pd.DateOffset(months=1)] if x0 == x1 else None
    values = list(s["value"])
    lines: list[dict] = []
    labels: list[dict] = []

    def hline(value: float, text: str, dash: list[int], color: str = GREY, start=None) -> None:
        """A labelled horizontal line; from `start` only when given (limits of the latest SPC segment)."""
        if _missing(value):
            return
        values.append(value)
        lines.append(
            {"y": value, "text": text, "x": x1, "x0": start if start is not None else x0, "dash": dash, "color": color}
        )
        labels.append({"value": value, "text": text, "color": color})

    band = None
    kind = row.get("target_kind", "none")
    if kind == "band":
        text = f"Target band {row['target_text']}"
        band = {"lo": row["target_low"], "hi": row["target_high"], "x0": x0, "x1": x1, "text": text}
        values += [row["target_low"], row["target_high"]]
        labels.append({"value": row["target_high"], "text": text, "color": TARGET})
    elif kind in ("minimum", "maximum"):
        hline(
            row["target_low"] if kind == "minimum" else row["target_high"],
            f"Target {row['target_text']}",
            [8, 4],
            TARGET,
        )
    for c in reversed(COMPARATORS):  # England first: the national line
        v = row.get(c)
        if not _missing(v):
            year = row.get(f"{c}_year") or "year not printed"
            hline(float(v), f"{COMPARATOR_SHORT[c]} {year}", [2, 3])
    if not _missing(row.get("baseline_value")):
        hline(float(row["baseline_value"]), f"Previous year ({row.get('baseline_basis') or 'baseline'})", [1, 5])
    brk = None
    if show_spc and not pts.empty and bool(pts["enough"].iloc[-1]):
        last = pts.iloc[-1]
        trial = " (trial)" if int(last["n"]) < spc.DEFAULT_RULES.trial_below else ""
        start = pd.Timestamp(last["segment_start"]) if bool(last["rebased"]) else None
        hline(float(last["mean"]), "Average", [6, 2], INK, start)
        hline(float(last["ucl"]), f"Upper process limit{trial}", [3, 3], INK, start)
        hline(float(last["lcl"]), f"Lower process limit{trial}", [3, 3], INK, start)
        if start is not None:  # the break: limits recalculated where the definition changed
            note = str(row.get("spc_rebase_note") or "").split(" (")[0]
            brk = {
                "month": start,
                "text": f"Limits recalculated from {label(start.date())}" + (f", {note}" if note else ""),
            }

    summary = series_summary(
        row["ref"], row["indicator"], unit, s, row.get("target_text", ""), row.get("rag_reason", "")
    )
    if show_spc and not pts.empty and bool(pts["rebased"].iloc[-1]):
        summary += f" SPC limits are recalculated from {label(pd.Timestamp(pts['segment_start'].iloc[-1]).date())}."
    return IndicatorFigure(
        ref=row["ref"],
        indicator=row["indicator"],
        y_title=Y_TITLE.get(unit, "Number"),
        unit=unit,
        points=s,
        x0=x0,
        x1=x1,
        x_domain=x_domain,
        domain=value_domain(values, unit),
        lines=lines,
        labels=labels,
        band=band,
        brk=brk,
        actions=action_marks(actions, x0, x1),
        summary=summary,
    )


def indicator_figures(
    rows: pd.DataFrame, observations: pd.DataFrame, revised: set, show_spc: bool = True
) -> dict[str, IndicatorFigure]:
    """indicator_figure for many indicators at once (the papers' charts): rows, scorecard rows; observations,
    ref, period, value, vintage up to the month; revised, (ref, period) pairs. SPC is worked out for every
    series in one pass (spc.points keeps each series apart), which is most of what a figure costs."""
    obs = observations[observations["ref"].isin(rows["ref"])].sort_values(["ref", "period"], kind="stable")
    rebase, fixed = spc.settings(rows)
    found = obs.dropna(subset=["value"])[["ref", "period", "value"]]
    pts_all = spc.points(found, "ref", rebase=rebase, baseline=fixed)
    pts_by = {ref: part for ref, part in pts_all.groupby("ref", sort=False)}  # noqa: C416 (dict() reads .keys)
    series_by = {ref: part.reset_index(drop=True) for ref, part in obs.groupby("ref", sort=False)}
    revised_by: dict[str, set] = {}
    for ref, period in revised:
        revised_by.setdefault(ref, set()).add(period)
    out = {}
    for _, row in rows.iterrows():
        ref = row["ref"]
        out[ref] = indicator_figure(
            row,
            series_by.get(ref, obs.iloc[0:0]),
            show_spc=show_spc,
            revised=revised_by.get(ref, set()),
            spc_points=pts_by.get(ref, pts_all.iloc[0:0]),
        )
    return out
