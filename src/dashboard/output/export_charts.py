"""Charts for papers: PNG and SVG of a chart, what one indicator's paper chart shows, and that chart drawn as PDF
vector paths (`draw_figure`) from the same description the page's Altair chart is built from (figures), so the
panel pack needs neither a browser engine nor a worker process to draw its charts."""

from __future__ import annotations

import math

import pandas as pd

from .figures import (
    ACTION,
    ACTION_DASH,
    BAND,
    INK,
    POINT_COLOURS,
    POINT_KINDS,
    POINT_SHAPES,
    IndicatorFigure,
    indicator_figure,
    indicator_figures,
    label_positions,
    ordered_labels,
)
from .papers import Pack

Job = tuple[dict, pd.DataFrame, frozenset]  # scorecard row, series (period, value, vintage), revised periods

# The paper chart laid out as vl-convert drew it: 702 x 339 CSS pixels around a 420 x 200 plot (chartpool's
# PAPER_SIZE), so the pack's pages break where they did when the charts were pictures.
CHART_PX = (702, 339)
PLOT_PX = (420, 200)
PT_MM = 25.4 / 72
GRID = (221, 221, 221)
AXIS = (136, 136, 136)
BLACK = (0, 0, 0)
TICK_MIN_PX = 8  # air between two month labels


def chart_png(chart, scale: float = 2.0) -> bytes:
    from . import chartpool

    return chartpool.png(chart, scale=scale)


def chart_svg(chart) -> str:
    from . import chartpool

    return chartpool.svg(chart)


def chart_job(pack: Pack, ref: str) -> Job:
    """What one indicator's paper chart shows: its scorecard row, its series to the month, its revised months."""
    row = pack.scorecard[pack.scorecard["ref"] == ref].iloc[0]
    series = pack.observations[(pack.observations["ref"] == ref) & (pack.observations["period"] <= pack.month)]
    revised = frozenset(p for r, p in pack.revised if r == ref)
    return (
        row.drop(labels=["spark"], errors="ignore").to_dict(),
        series.sort_values("period").reset_index(drop=True),
        revised,
    )


def figure_for(pack: Pack, ref: str) -> IndicatorFigure:
    """The description of one indicator's paper chart (the page's chart with SPC, as the papers print it)."""
    row, series, revised = chart_job(pack, ref)
    return indicator_figure(pd.Series(row), series, show_spc=True, revised=set(revised))


def paper_figures(pack: Pack, refs: list[str]) -> dict[str, IndicatorFigure]:
    """figure_for each of refs, worked out together (one SPC pass, one split of the figures)."""
    rows = pack.scorecard[pack.scorecard["ref"].isin(refs)].drop(columns=["spark"], errors="ignore")
    obs = pack.observations[pack.observations["period"] <= pack.month]
    return indicator_figures(rows.drop_duplicates("ref"), obs, pack.revised)


def indicator_chart_for(pack: Pack, ref: str):
    from .charts import figure_chart

    fig = figure_for(pack, ref)
    return figure_chart(fig), fig.summary


def _rgb(hexcode: str) -> tuple[int, int, int]:
    h = hexcode.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _tint(hexcode: str, opacity: float) -> tuple[int, int, int]:
    """A colour laid at `opacity` over white paper, as one opaque colour (no transparency group in the PDF)."""
    return tuple(round(255 - opacity * (255 - c)) for c in _rgb(hexcode))


def _nice_step(span: float, count: int) -> float:
    """d3's tick step (Vega's axes): 1, 2 or 5 times a power of ten, about span / count."""
    step = span / max(count, 1)
    power = math.floor(math.log10(step)) if step > 0 else 0
    error = step / 10**power
    factor = 10 if error >= math.sqrt(50) else 5 if error >= math.sqrt(10) else 2 if error >= math.sqrt(2) else 1
    return factor * 10**power


def value_ticks(domain: list[float], whole_numbers: bool, count: int = 5) -> list[tuple[float, str]]:
    """The value axis's ticks and their labels, as Vega draws them for the same domain (about five, a round step,
    the step's decimals, thousands separated; whole numbers only for counts)."""
    d0, d1 = domain
    if d1 <= d0:
        return [(d0, f"{d0:,.0f}")]
    step = _nice_step(d1 - d0, count)
    if whole_numbers:
        step = max(step, 1.0)
    decimals = 0 if whole_numbers else max(0, -math.floor(math.log10(step)))
    first, last = math.ceil(d0 / step - 1e-9), math.floor(d1 / step + 1e-9)
    return [(k * step, f"{k * step:,.{decimals}f}") for k in range(first, last + 1)]


def month_ticks(t0: pd.Timestamp, t1: pd.Timestamp) -> list[pd.Timestamp]:
    """Every first of the month from t0 to t1 (the grid: Vega's tickCount 'month')."""
    m = pd.Timestamp(t0.year, t0.month, 1)
    if m < t0:
        m += pd.DateOffset(months=1)
    out = []
    while m <= t1:
        out.append(m)
        m += pd.DateOffset(months=1)
    return out


class _Plot:
    """Pixels of the chart as Vega laid it out, to millimetres on the page."""

    def __init__(self, x: float, y: float, w: float, left_px: float):
        self.s = w / CHART_PX[0]  # mm per CSS pixel
        self.x, self.y = x, y
        self.left, self.top = left_px, 46.0
        self.pw, self.ph = PLOT_PX

    def mm(self, px: float, py: float) -> tuple[float, float]:
        return self.x + px * self.s, self.y + py * self.s

    def pt(self, font_px: float) -> float:
        return font_px * self.s / PT_MM


class _Canvas:
    """One figure's drawing tools: months and values to the plot's pixels, strokes and text in the pack's fonts."""

    def __init__(self, doc, p: _Plot, fig: IndicatorFigure):
        self.doc, self.pdf, self.p = doc, doc.pdf, p
        self.d0, self.d1 = fig.domain
        self.t0, self.t1 = fig.x_domain if fig.x_domain is not None else (fig.x0, fig.x1)
        self.span_t = (self.t1 - self.t0).total_seconds() or 1.0

    def xp(self, t) -> float:
        return self.p.left + (pd.Timestamp(t) - self.t0).total_seconds() / self.span_t * self.p.pw

    def yp(self, v: float) -> float:
        p, d0, d1 = self.p, self.d0, self.d1
        return p.top + (d1 - float(v)) / (d1 - d0) * p.ph if d1 != d0 else p.top + p.ph / 2

    def stroke(self, rgb, width_px: float, dash: list[int] | None = None) -> None:
        pdf, p = self.pdf, self.p
        pdf.set_draw_color(*rgb)
        pdf.set_line_width(width_px * p.s)
        if dash and dash[1]:
            pdf.set_dash_pattern(dash[0] * p.s, dash[1] * p.s)
        else:
            pdf.set_dash_pattern()

    def text(self, px: float, py: float, s: str, font_px: float, rgb=BLACK, bold: bool = False, align: str = "L"):
        doc, pdf, p = self.doc, self.pdf, self.p
        doc.font(p.pt(font_px), bold=bold)
        pdf.set_text_color(*rgb)
        s = doc.t(s)
        tx, ty = p.mm(px, py)
        if align != "L":
            tw = pdf.get_string_width(s)
            tx -= tw if align == "R" else tw / 2
        pdf.text(tx, ty, s)

    def vertical(self, px: float) -> None:
        """A line from the top of the plot to its foot at px."""
        p = self.p
        self.pdf.line(*p.mm(px, p.top), *p.mm(px, p.top + p.ph))


def _layout(doc, fig: IndicatorFigure, x: float, y: float, w: float, ticks) -> tuple[_Plot, float]:
    """The plot's left margin fitting the tick labels at 14 px, as Vega's does, and its width leaving room for
    the end labels on the paper; (plot, widest tick label in px)."""
    pdf = doc.pdf
    probe = _Plot(x, y, w, 0)
    doc.font(probe.pt(14))
    label_w = max((pdf.get_string_width(doc.t(t)) for _, t in ticks), default=0) / probe.s
    p = _Plot(x, y, w, 4 + 14 + 8 + label_w + 6)
    doc.font(p.pt(13))
    end_w = max((pdf.get_string_width(doc.t(lab["text"])) / p.s for lab in fig.labels), default=0)
    p.pw = min(PLOT_PX[0], CHART_PX[0] - p.left - 8 - end_w - 2)
    return p, label_w


def _titles(c: _Canvas, fig: IndicatorFigure) -> None:
    """The indicator (smaller where it would run past the chart, as the picture was scaled), then the unit."""
    c.doc.font(c.p.pt(18), bold=True)
    title_px = min(18.0, 18.0 * CHART_PX[0] / max(c.pdf.get_string_width(c.doc.t(fig.title)) / c.p.s, 1))
    c.text(0, 18, fig.title, title_px, bold=True)
    c.text(0, 36, fig.y_title, 14)


def _grid_and_axes(c: _Canvas, fig: IndicatorFigure, ticks, label_w: float) -> None:
    """Grid lines, both axes with their ticks and labels (month labels thinned as Vega does), axis titles."""
    pdf, p, xp, yp = c.pdf, c.p, c.xp, c.yp
    c.stroke(GRID, 1)
    for v, _ in ticks:
        pdf.line(*p.mm(p.left, yp(v)), *p.mm(p.left + p.pw, yp(v)))
    months = month_ticks(c.t0, c.t1)
    for m in months:
        c.vertical(xp(m))
    c.stroke(AXIS, 1)
    pdf.line(*p.mm(p.left, p.top + p.ph), *p.mm(p.left + p.pw, p.top + p.ph))
    pdf.line(*p.mm(p.left, p.top), *p.mm(p.left, p.top + p.ph))
    for v, t in ticks:
        pdf.line(*p.mm(p.left - 5, yp(v)), *p.mm(p.left, yp(v)))
        c.text(p.left - 7, yp(v) + 5, t, 14, align="R")
    c.doc.font(p.pt(14))
    label_px = max((pdf.get_string_width(c.doc.t(f"{m:%b-%y}")) / p.s for m in months[:1]), default=40)
    every = 1
    while months and every < len(months) and (xp(months[every]) - xp(months[0])) < label_px + TICK_MIN_PX:
        every *= 2  # Vega's parity rule: drop every other label until none overlaps
    for m in months[::every]:
        pdf.line(*p.mm(xp(m), p.top + p.ph), *p.mm(xp(m), p.top + p.ph + 5))
        c.text(xp(m), p.top + p.ph + 20, f"{m:%b-%y}", 14, align="C")
    c.text(p.left + p.pw / 2, p.top + p.ph + 38, "Month", 14, bold=True, align="C")
    c.doc.font(p.pt(14), bold=True)
    tx, ty = p.mm(p.left - label_w - 20, p.top + p.ph / 2)
    with pdf.rotation(90, tx, ty):
        pdf.set_text_color(*BLACK)
        pdf.text(tx - pdf.get_string_width(c.doc.t(fig.y_title)) / 2, ty, c.doc.t(fig.y_title))


def _series(c: _Canvas, pts: pd.DataFrame, drawn: dict) -> None:
    """One path per run of consecutive months (a gap stays a gap), under every other mark."""
    c.stroke(_rgb(INK), 2.5)
    for _, run in pts.groupby("run", sort=True):
        path = [c.p.mm(c.xp(m), c.yp(v)) for m, v in zip(run["month"], run["value"])]
        drawn["series"].append([(pd.Timestamp(m), float(v)) for m, v in zip(run["month"], run["value"])])
        if len(path) > 1:
            c.pdf.polyline(path, style="D")


def _band_break_and_lines(c: _Canvas, fig: IndicatorFigure, drawn: dict) -> None:
    """The target band, the break where limits were recalculated, and the reference lines (mean, limits,
    target, comparators), each told apart by its dash."""
    pdf, p, xp, yp = c.pdf, c.p, c.xp, c.yp
    if fig.band is not None:
        b = fig.band
        pdf.set_fill_color(*_tint(BAND, 0.18))
        bx0, by0 = p.mm(xp(b["x0"]), yp(b["hi"]))
        bx1, by1 = p.mm(xp(b["x1"]), yp(b["lo"]))
        pdf.rect(bx0, by0, bx1 - bx0, by1 - by0, style="F")
        drawn["band"] = (float(b["lo"]), float(b["hi"]), b["text"])
    if fig.brk is not None:
        c.stroke(_rgb(INK), 2, [1, 2])
        bx = xp(fig.brk["month"])
        c.vertical(bx)
        c.text(bx + 4, p.top + p.ph - 4, "Limits recalculated", 12, _rgb(INK))
        drawn["break"] = (pd.Timestamp(fig.brk["month"]), fig.brk["text"])
    for line in fig.lines:
        c.stroke(_rgb(line["color"]), 1.5, line["dash"])
        ly = yp(line["y"])
        pdf.line(*p.mm(xp(line["x0"]), ly), *p.mm(xp(line["x"]), ly))
        drawn["lines"].append((line["text"], float(line["y"]), tuple(line["dash"])))
    pdf.set_dash_pattern()


def _end_labels(c: _Canvas, fig: IndicatorFigure, drawn: dict) -> None:
    """Each line's name at the plot's right end, spread so that none overlaps."""
    if not fig.labels:
        return
    ordered, fracs = ordered_labels(fig.labels, fig.domain)
    for lab, ly in zip(ordered, label_positions(fracs, c.p.ph)):
        c.text(c.xp(fig.x1) + 8, c.p.top + ly + 4.5, lab["text"], 13, _rgb(lab["color"]))
        drawn["labels"].append(lab["text"])


def _actions(c: _Canvas, fig: IndicatorFigure) -> None:
    """A dashed line per improvement action, its short name on the side away from the plot's edge."""
    if fig.actions.empty:
        return
    p = c.p
    middle = fig.x0 + (fig.x1 - fig.x0) / 2
    for i, a in enumerate(fig.actions.itertuples()):
        c.stroke(_rgb(ACTION), 1.5, ACTION_DASH[a.kind])
        ax = c.xp(a.month)
        c.vertical(ax)
        right = a.month > middle
        c.text(
            ax + (-3 if right else 3),
            p.top + 4 + 16 * i + 10,
            a.short,
            12,
            _rgb(ACTION),
            align="R" if right else "L",
        )
    c.pdf.set_dash_pattern()


def _points_and_legend(c: _Canvas, pts: pd.DataFrame, drawn: dict) -> None:
    """Points on top, each kind its own shape (and colour); then the legend: every kind of point, in words beside
    its shape (two to a row)."""
    pdf, p = c.pdf, c.p
    shape_of = dict(zip(POINT_KINDS, POINT_SHAPES))
    colour_of = dict(zip(POINT_KINDS, POINT_COLOURS))
    for m, v, kind in zip(pts["month"], pts["value"], pts["point_kind"]):
        _marker(pdf, p, shape_of[kind], _rgb(colour_of[kind]), c.xp(m), c.yp(v), 90)
        drawn["points"].append((pd.Timestamp(m), float(v), kind))
    ly = p.top + p.ph + 58
    c.text(p.left, ly, "Point", 14, bold=True)
    col_w = (CHART_PX[0] - p.left) / 2
    for i, kind in enumerate(POINT_KINDS):
        lx, lyy = p.left + (i % 2) * col_w, ly + 16 * (1 + i // 2)
        _marker(pdf, p, shape_of[kind], _rgb(colour_of[kind]), lx + 6, lyy - 4.5, 70)
        c.text(lx + 16, lyy, kind, 13)


def draw_figure(doc, fig: IndicatorFigure, x: float, y: float, w: float) -> dict:
    """Draw the figure into the pack at (x, y), w mm wide, as PDF vectors: the same marks as the page's Altair
    chart (figures.IndicatorFigure). Lines are told apart by dash and label, points by shape, so it reads in
    black and white. Returns what it drew, in the figure's own terms, for the tests to hold against the spec."""
    ticks = value_ticks(fig.domain, fig.whole_numbers)
    p, label_w = _layout(doc, fig, x, y, w, ticks)
    c = _Canvas(doc, p, fig)
    drawn: dict = {"title": fig.title, "subtitle": fig.y_title, "series": [], "points": [], "lines": [], "labels": []}
    _titles(c, fig)
    _grid_and_axes(c, fig, ticks, label_w)
    _series(c, fig.points, drawn)
    _band_break_and_lines(c, fig, drawn)
    _end_labels(c, fig, drawn)
    _actions(c, fig)
    _points_and_legend(c, fig.points, drawn)
    pdf = doc.pdf
    pdf.set_text_color(*BLACK)
    pdf.set_draw_color(*BLACK)
    pdf.set_line_width(0.2)
    drawn["box"] = (x, y, w, CHART_PX[1] * p.s)
    return drawn


def _marker(pdf, p: _Plot, shape: str, rgb, cx_px: float, cy_px: float, area_px: float) -> None:
    """A filled point mark of Vega's shape and area (square pixels), centred on (cx, cy)."""
    pdf.set_fill_color(*rgb)
    cx, cy = p.mm(cx_px, cy_px)
    if shape == "circle":
        pdf.circle(cx, cy, math.sqrt(area_px / math.pi) * p.s, style="F")
        return
    if shape == "square":
        r = math.sqrt(area_px) / 2 * p.s
        pts = [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r)]
    elif shape == "diamond":
        r = math.sqrt(area_px / 2) * p.s
        pts = [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)]
    else:  # triangle-up
        side = math.sqrt(4 * area_px / math.sqrt(3)) * p.s
        hgt = side * math.sqrt(3) / 2
        pts = [(cx, cy - 2 * hgt / 3), (cx + side / 2, cy + hgt / 3), (cx - side / 2, cy + hgt / 3)]
    pdf.polygon(pts, style="F")
