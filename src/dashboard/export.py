"""Papers for the panel: the month's scorecard as XLSX, CSV and a PDF pack, and charts as PNG/SVG.
No streamlit here: the CLI and the app's download buttons call the same functions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import chartpool, panel, service
from .charts import indicator_chart
from .engine.scorecard import exceptions as scorecard_exceptions
from .engine.scorecard import rag_counts
from .engine.spc import VARIATION_LABEL
from .formatting import is_missing, links_and_images_as_text, rag_label, shown
from .periods import label, long_label
from .store import ReadOnlyStore
from .vocabulary import RAG_TINT, service_areas

# Fills match the app's RAG tints; the word is always in the cell, so a black-and-white print still reads.
RAG_FILL = {code: tint.lstrip("#").upper() for code, tint in RAG_TINT.items()}  # openpyxl and fpdf2 take hex
HEADER_FILL = "1D3F73"
NUMBER_FORMAT = {
    "percent": '0.0"%"',
    "count": "#,##0",
    "rate_per_10k": "0.0",
    "days": '0" days"',
    "caseload_average": "0.0",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+%?$")


def neutralise(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe; numbers pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


@dataclass
class Pack:
    """Everything one month's papers need, already filtered the way the reader asked."""

    authority_name: str
    month: dt.date
    vintage_label: str
    scorecard: pd.DataFrame
    areas: pd.DataFrame  # area, title, short_title, head_of_service, head_role, sort_order (service areas only)
    years: dict[str, str]
    commentary: dict[str, str] = field(default_factory=dict)
    observations: pd.DataFrame = field(default_factory=pd.DataFrame)  # ref, period, value (for charts)
    revised: set = field(default_factory=set)  # (ref, period)
    filters_note: str = ""

    def area_rows(self, area: str) -> pd.DataFrame:
        return self.scorecard[self.scorecard["area"] == area]

    def exceptions(self) -> pd.DataFrame:
        return scorecard_exceptions(self.scorecard)


def gather(reader: ReadOnlyStore, month: dt.date, vintage: str = "latest", areas: list[str] | None = None) -> Pack:
    """A Pack straight from the store (the CLI's path; the app builds one from its cached frames)."""
    authority = service.default_authority(reader)
    auth = reader.table("authorities").set_index("authority")
    sc = service.build_scorecard(reader, month, vintage, authority, areas=areas)
    area_meta = reader.table("areas")
    area_meta = service_areas(area_meta)
    if areas:
        area_meta = area_meta[area_meta["area"].isin(areas)]
    commentary = {}
    for a in area_meta["area"]:
        c = reader.commentary_as_of(vintage, authority, a, month)
        if not c.empty:
            commentary[a] = c.iloc[0]["text"]
    obs = reader.observations_as_of(vintage, authority, until=month)
    obs["period"] = pd.to_datetime(obs["period"]).dt.date
    seq = reader.vintage_seq(vintage)
    vint = reader.table("vintages")
    rev = reader.revised_as_of(vintage, authority)
    revised = {(r, pd.Timestamp(p).date()) for r, p in zip(rev["ref"], rev["period"])}
    # "Figures:" names the newest vintage that brought figures; a later targets, comparators or national load
    # changes what they are judged against, not the figures.
    figures = vint[vint["kind"].isin(["pack", "upload"]) & (vint["seq"] <= seq)]
    label_ = (figures if not figures.empty else vint[vint["seq"] == seq]).sort_values("seq")["label"].iloc[-1]
    return Pack(
        authority_name=str(auth.loc[authority, "name"]),
        month=month,
        vintage_label=("Latest: " if vintage in (None, "", "latest") else "As reported: ") + label_,
        scorecard=sc,
        areas=area_meta,
        years=panel.comparator_years(sc),
        commentary=commentary,
        observations=obs,
        revised=revised,
    )


def _title(pack: Pack) -> str:
    scorecard = "Children's Services: Performance and Quality Assurance Scorecard"
    return f"{pack.authority_name} {scorecard}, {long_label(pack.month)}"


def _rag_counts(pack: Pack) -> pd.DataFrame:
    return rag_counts(pack.scorecard, pack.areas).drop(columns="area")


def _exceptions_table(pack: Pack) -> pd.DataFrame:
    ex = pack.exceptions()
    short = pack.areas.set_index("area")["short_title"]
    return pd.DataFrame(
        {
            "Ref": ex["ref"],
            "Indicator": ex["indicator"],
            "Area": ex["area"].map(short),
            "Current": [shown(v, s, u) for v, s, u in zip(ex["value"], ex["status"], ex["unit"])],
            "Target": ex["target_text"].fillna(""),
            "RAG": ex["rag"].map(rag_label),
            "Direction": [panel.direction_label(a, w) for a, w in zip(ex["direction_arrow"], ex["direction"])],
            "Why": [
                reason if r != "-" else f"{reason}; SPC: {VARIATION_LABEL.get(v, v)} this month"
                for r, reason, v in zip(ex["rag"], ex["rag_reason"], ex["spc_variation"])
            ],
        }
    )


# ---------------------------------------------------------------- CSV


def to_csv(pack: Pack) -> str:
    """The same rows as the screen, one table with an Area column; text cells neutralised for spreadsheets."""
    short = pack.areas.set_index("area")["short_title"]
    frames = []
    for a in pack.areas["area"]:
        sc = pack.area_rows(a)
        if sc.empty:
            continue
        t = panel.panel_table(sc, pack.month, pack.years)
        t.insert(2, "Area", short[a])
        frames.append(t)
    # Areas can head a column differently (e.g. the previous-year basis): a cell an area lacks is blank, never "nan".
    table = (
        pd.concat(frames, ignore_index=True).fillna("")
        if frames
        else pd.DataFrame(columns=["Ref", "Indicator", "Area"])
    )
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(list(table.columns))
    for row in table.itertuples(index=False):
        w.writerow([neutralise(v) for v in row])
    return out.getvalue()


# ---------------------------------------------------------------- XLSX


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name)[:31].strip() or "Sheet"
    out, n = base, 2
    while out in used:
        out = f"{base[:28]} {n}"
        n += 1
    used.add(out)
    return out


def to_xlsx(pack: Pack) -> bytes:
    """Overview sheet, then one sheet per area: frozen header and ref/indicator columns, comparator years in
    the headers, RAG in words on its tint, direction in words, numbers kept as numbers with a format per unit."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    used: set[str] = set()

    def put(ws, row: int, col: int, value: object, number_format: str | None = None):
        cell = ws.cell(row=row, column=col, value=neutralise(value))
        if number_format:
            cell.number_format = number_format
        return cell

    def header(ws, row: int, names: list[str]) -> None:
        for j, name in enumerate(names, start=1):
            c = put(ws, row, j, name)
            c.font, c.fill, c.alignment = header_font, header_fill, Alignment(wrap_text=True, vertical="center")

    ov = wb.active
    ov.title = _sheet_name("Overview", used)
    put(ov, 1, 1, _title(pack)).font = Font(bold=True, size=14)
    put(ov, 2, 1, f"Figures: {pack.vintage_label}. {pack.filters_note}".strip())
    counts = _rag_counts(pack)
    header(ov, 4, list(counts.columns))
    for i, r in enumerate(counts.itertuples(index=False), start=5):
        for j, v in enumerate(r, start=1):
            put(ov, i, j, v)
    start = 6 + len(counts)
    put(ov, start, 1, "Exceptions to discuss (Red and Amber, in triage order)").font = Font(bold=True, size=12)
    ex = _exceptions_table(pack)
    header(ov, start + 1, list(ex.columns))
    codes = list(pack.exceptions()["rag"])
    for i, (r, code) in enumerate(zip(ex.itertuples(index=False), codes), start=start + 2):
        for j, v in enumerate(r, start=1):
            c = put(ov, i, j, v)
            c.alignment = wrap
            if ex.columns[j - 1] == "RAG":
                c.fill = PatternFill("solid", fgColor=RAG_FILL[code])
    for j, width in enumerate([8, 50, 24, 14, 12, 12, 16, 70], start=1):
        ov.column_dimensions[get_column_letter(j)].width = width
    ov.freeze_panes = "A5"

    cur = panel.current_header(pack.month)
    for a in pack.areas.itertuples():
        sc = pack.area_rows(a.area)
        if sc.empty:
            continue
        ws = wb.create_sheet(_sheet_name(a.short_title, used))
        table = panel.panel_table(sc, pack.month, pack.years)
        table.insert(table.columns.get_loc(cur) + 1, "Revised", ["yes" if r else "" for r in sc["revised"]])
        header(ws, 1, list(table.columns))
        months = {label(m): m for m in panel.window(pack.month)}
        prev, common = panel.previous_year_header(sc)
        comp_headers = {h: c for c, h in panel.comparator_headers(pack.years).items()}
        for i, (text_row, row) in enumerate(zip(table.itertuples(index=False), sc.itertuples(index=False)), start=2):
            unit = row.unit
            fmt = NUMBER_FORMAT.get(unit)
            for j, (col, text) in enumerate(zip(table.columns, text_row), start=1):
                value, number_format = text, None
                if col in months or col == cur:
                    m = pack.month if col == cur else months[col]
                    v, status = sc[f"m_{m.isoformat()}"].iloc[i - 2], sc[f"s_{m.isoformat()}"].iloc[i - 2]
                    if status == "value" and not is_missing(v):
                        value, number_format = float(v), fmt
                elif col == prev:
                    v, basis = row.previous_year, row.previous_year_basis
                    if not is_missing(v) and (not basis or basis == common):
                        value, number_format = float(v), fmt
                elif col in comp_headers:
                    v = getattr(row, comp_headers[col])
                    if not is_missing(v):
                        value, number_format = float(v), fmt
                c = put(ws, i, j, value, number_format)
                if col == "RAG":
                    c.fill = PatternFill("solid", fgColor=RAG_FILL.get(row.rag, "FFFFFF"))
                if col in ("Indicator", "Why this rating"):
                    c.alignment = wrap
        widths = {"Ref": 8, "Indicator": 48, "RAG": 13, "Direction": 16, "Target": 10, "SPC": 24, "Why this rating": 60}
        for j, col in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(j)].width = widths.get(col, 12)
        ws.freeze_panes = "C2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
        if a.area in pack.commentary:
            note_row = len(table) + 3
            put(ws, note_row, 1, "Commentary").font = Font(bold=True)
            put(ws, note_row + 1, 1, pack.commentary[a.area]).alignment = wrap
            ws.merge_cells(
                start_row=note_row + 1, start_column=1, end_row=note_row + 1, end_column=min(12, len(table.columns))
            )
            ws.row_dimensions[note_row + 1].height = min(
                400, 15 * (1 + pack.commentary[a.area].count("\n") + len(pack.commentary[a.area]) // 160)
            )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- charts


def chart_png(chart, scale: float = 2.0) -> bytes:
    return chartpool.png(chart, scale=scale)


def chart_svg(chart) -> str:
    return chartpool.svg(chart)


def chart_job(pack: Pack, ref: str) -> chartpool.Job:
    """What one indicator's paper chart shows: its scorecard row, its series to the month, its revised months."""
    row = pack.scorecard[pack.scorecard["ref"] == ref].iloc[0]
    series = pack.observations[(pack.observations["ref"] == ref) & (pack.observations["period"] <= pack.month)]
    revised = frozenset(p for r, p in pack.revised if r == ref)
    return (
        row.drop(labels=["spark"], errors="ignore").to_dict(),
        series.sort_values("period").reset_index(drop=True),
        revised,
    )


def indicator_chart_for(pack: Pack, ref: str):
    row, series, revised = chart_job(pack, ref)
    return indicator_chart(pd.Series(row), series, show_spc=True, revised=set(revised))


# ---------------------------------------------------------------- PDF

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_ASCII = {
    "✔": "+",
    "▲": "^",
    "✖": "x",
    "–": "-",
    "►": ">",
    "▼": "v",
    "†": "+",
    "●": "o",
    "⬆": "^",
    "⬇": "v",
    "→": "->",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "—": "-",
    "−": "-",
    "≥": ">=",
    "≤": "<=",
    "…": "...",
}


class _Pdf:
    """fpdf2 with a Unicode font where the machine has DejaVu (Debian's chromium pulls it in);
    otherwise the core font with symbols spelled in ASCII. The words carry the meaning either way."""

    def __init__(self, title: str):
        from fpdf import FPDF

        doc = self

        class _Doc(FPDF):
            def footer(self) -> None:  # fpdf2 calls this on every page, outside the page-break logic
                self.set_y(-9)
                doc.font(7)
                self.set_text_color(80, 80, 80)
                self.cell(0, 4, doc.t(f"{title} · page {self.page_no()}"))
                self.set_text_color(0, 0, 0)

        self.pdf = _Doc(orientation="L", unit="mm", format="A4")
        self.pdf.set_auto_page_break(True, margin=12)
        self.pdf.set_title(title)
        self.pdf.set_author("Children's Services performance dashboard")
        faces = {
            "": "DejaVuSans.ttf",
            "B": "DejaVuSans-Bold.ttf",
            "I": "DejaVuSans-Oblique.ttf",
            "BI": "DejaVuSans-BoldOblique.ttf",
        }  # italic faces: commentary's Markdown emphasis
        if all((_FONT_DIR / f).exists() for f in faces.values()):
            for style, file in faces.items():
                self.pdf.add_font("Body", style, str(_FONT_DIR / file))
            self.family, self.unicode = "Body", True
        else:
            self.family, self.unicode = "Helvetica", False
        self.pdf.set_margins(12, 12, 12)

    def t(self, text: object) -> str:
        s = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
        if self.unicode:
            return s
        s = "".join(_ASCII.get(ch, ch) for ch in s)
        return s.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def page(self) -> None:
        self.pdf.add_page()

    def heading(self, text: str, size: float = 16) -> None:
        self.font(size, bold=True)
        self.pdf.multi_cell(0, size * 0.5, self.t(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1.5)

    def para(self, text: str, size: float = 10, markdown: bool = False) -> None:
        self.font(size)
        self.pdf.multi_cell(0, size * 0.48, self.t(text), new_x="LMARGIN", new_y="NEXT", markdown=markdown)
        self.pdf.ln(1)

    def table(
        self,
        frame: pd.DataFrame,
        widths: list[float],
        size: float = 7.5,
        rag_col: str | None = None,
        rag_codes: list[str] | None = None,
    ) -> None:
        from fpdf.fonts import FontFace

        self.font(size)
        head = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=(29, 63, 115))
        with self.pdf.table(
            col_widths=widths,
            width=sum(widths),
            text_align="LEFT",
            line_height=size * 0.45,
            headings_style=head,
            first_row_as_headings=True,
            repeat_headings=1,
        ) as tbl:
            tbl.row([self.t(c) for c in frame.columns])
            for i, r in enumerate(frame.itertuples(index=False)):
                row = tbl.row()
                for col, v in zip(frame.columns, r):
                    style = None
                    if rag_col and col == rag_col and rag_codes:
                        hexcode = RAG_FILL.get(rag_codes[i], "FFFFFF")
                        style = FontFace(
                            emphasis="BOLD", fill_color=tuple(int(hexcode[k : k + 2], 16) for k in (0, 2, 4))
                        )
                    row.cell(self.t(v), style=style)
        self.pdf.ln(2)

    def charts_grid(self, items: list[tuple[bytes, str]]) -> None:
        """Charts two to a row (PNG, and the text under it: its one-sentence summary and rating)."""
        per_row, gap, left = 2, 6.0, self.pdf.l_margin
        width = (self.pdf.w - self.pdf.l_margin - self.pdf.r_margin - gap * (per_row - 1)) / per_row
        top = bottom = self.pdf.get_y()
        for k, (png, text) in enumerate(items):
            col = k % per_row
            if col == 0 and k:
                top = bottom
            if col == 0 and top > 110:
                self.page()
                top = self.pdf.get_y()
            x = left + col * (width + gap)
            info = self.pdf.image(io.BytesIO(png), x=x, y=top, w=width)
            self.pdf.set_xy(x, top + info.rendered_height + 1)
            self.font(7.5)
            self.pdf.multi_cell(width, 3.4, self.t(text), new_x="LEFT", new_y="NEXT")
            bottom = max(self.pdf.get_y() + 4, bottom if col else 0)
        self.pdf.set_xy(left, bottom)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def commentary_for_pdf(text: str) -> str:
    """Commentary in fpdf2's own Markdown: **bold** and *italic* as the app shows them, list marks as bullets,
    links and images as text (nothing on paper points anywhere), and every other fpdf2 marker the writer typed
    (__, ~~, --, a backslash) escaped, so it prints as typed."""
    text = links_and_images_as_text(text).replace("\\", "\\\\")
    for marker in ("__", "~~", "--"):
        text = text.replace(marker, "\\" + marker)
    text = re.sub(r"(?m)^\s*[-*]\s+", "• ", text)
    return re.sub(r"(?<![*\w])\*(?!\*)([^*\n]+?)(?<!\*)\*(?![*\w])", r"__\1__", text)  # *italic*


def to_pdf(pack: Pack, charts: bool = True, progress=None) -> bytes:
    """The panel pack: cover, overview (RAG counts, exceptions), then per area its commentary, scorecard and
    a chart of each off-target indicator. Readable in black and white: every rating is a word.
    progress(text), if given, hears each step; the charts are started first and drawn while tables are laid out."""
    say = progress or (lambda text: None)
    off_by_area = {a: scorecard_exceptions(pack.area_rows(a)) for a in pack.areas["area"]}
    refs = [r for off in off_by_area.values() for r in off["ref"]] if charts else []
    batch = chartpool.Batch({ref: chart_job(pack, ref) for ref in refs})
    if refs:
        say(f"Drawing {len(refs)} charts ({batch.reused} already drawn)")
    doc = _Pdf(_title(pack))
    doc.page()
    doc.pdf.ln(30)
    doc.heading(f"{pack.authority_name}", 26)
    doc.heading("Children's Services: Performance and Quality Assurance Scorecard", 20)
    doc.pdf.ln(4)
    doc.para(f"Month: {long_label(pack.month)}", 14)
    doc.para(f"Figures: {pack.vintage_label}", 12)
    if pack.filters_note:
        doc.para(pack.filters_note, 11)
    doc.para(
        f"Prepared {dt.date.today():%d %B %Y} from the published scorecards; every figure keeps its source "
        "pack and line in the dashboard.",
        10,
    )
    doc.pdf.ln(6)
    doc.para("Contents: Overview · " + " · ".join(pack.areas["title"]), 10)
    doc.para(
        "How to read it: RAG is worked out from the target (✔ Green meets it, ▲ Amber misses within tolerance, "
        "✖ Red beyond); – not rated means an activity measure or no target and no comparator. Direction is "
        "▲ up, ▼ down or ► little change, with Improving or Declining in the indicator's polarity. "
        "† marks a figure revised since first published. 'Not yet available' is never a zero.",
        9,
    )

    doc.page()
    doc.heading(f"Overview, {long_label(pack.month)}")
    counts = _rag_counts(pack)
    doc.table(counts, [60, 22, 22, 22, 22, 24], size=9)
    ex = _exceptions_table(pack)
    doc.heading(f"Exceptions to discuss ({len(ex)})", 12)
    if ex.empty:
        doc.para("No Red or Amber indicators this month.")
    else:
        doc.table(
            ex, [13, 62, 30, 20, 16, 20, 24, 88], size=7.5, rag_col="RAG", rag_codes=list(pack.exceptions()["rag"])
        )

    cur = panel.current_header(pack.month)
    drawn = 0
    for a in pack.areas.itertuples():
        sc = pack.area_rows(a.area)
        say(f"Laying out {a.title}")
        doc.page()
        doc.heading(a.title)
        if a.head_of_service:
            doc.para(f"Head of service: {a.head_of_service}, {a.head_role}", 9)
        doc.heading(f"Commentary, {label(pack.month)}", 11)
        doc.para(
            commentary_for_pdf(pack.commentary[a.area])
            if a.area in pack.commentary
            else f"No commentary was printed for {label(pack.month)}.",
            9,
            markdown=True,
        )
        if sc.empty:
            doc.para(f"No {a.short_title} figures for {long_label(pack.month)}.")
            continue
        table = panel.panel_table(sc, pack.month, pack.years)
        months = [label(m) for m in panel.window(pack.month)[-4:-1]]
        prev, _ = panel.previous_year_header(sc)
        eng = panel.comparator_headers(pack.years)["england"]
        cols = ["Ref", "Indicator", *months, cur, prev, "Target", eng, "RAG", "Direction"]
        widths = [13, 78, 16, 16, 16, 22, 27, 17, 20, 22, 26]
        if "As printed" in table:  # the pack's hand-set rating beside ours
            cols.insert(cols.index("RAG") + 1, "As printed")
            widths = [13, 58, 16, 16, 16, 22, 27, 17, 20, 22, 20, 26]
        doc.heading(f"Scorecard ({len(sc)} indicators)", 11)
        doc.table(table[cols], widths, size=7, rag_col="RAG", rag_codes=list(sc["rag"]))
        off = off_by_area[a.area]
        if charts and not off.empty:
            doc.page()
            doc.heading(f"{a.short_title}: off-target indicators and unusual activity", 12)
            items = []
            for ref, row in zip(off["ref"], off.itertuples()):
                png, summary = batch.get(ref)
                drawn += 1
                say(f"Placing charts: {drawn} of {len(refs)}")
                items.append((png, f"{summary} {rag_label(row.rag)}: {row.rag_reason}"))
            doc.charts_grid(items)
    say("Writing the PDF")
    return doc.output()


FORMATS = {
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": (lambda p: to_csv(p).encode("utf-8-sig"), "text/csv"),
    "pdf": (to_pdf, "application/pdf"),
}


def render(pack: Pack, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return FORMATS[fmt][0](pack)


def file_name(month: dt.date, fmt: str, area: str | None = None) -> str:
    return f"scorecard-{month:%Y-%m}{'-' + area if area else ''}.{fmt}"
