"""The month's papers as the PDF panel pack: cover, overview and exceptions, then per area its commentary,
scorecard and a chart of each off-target indicator. Every rating is a word, so it reads in black and white."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from ..engine.scorecard import exceptions as scorecard_exceptions
from ..words.formatting import links_and_images_as_text, paper_legend, rag_label
from ..words.periods import label, long_label
from . import panel
from .export_charts import CHART_PX, draw_figure, paper_figures
from .papers import RAG_FILL, Pack, exceptions_table, rag_count_table, title

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FACES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
_TOLERANCE = 1e-7  # fpdf2's FloatTolerance, where a line is full
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
        if all((_FONT_DIR / f).exists() for f in _FACES.values()):
            for style in ("", "B"):  # each face read costs a tenth of a second: italics only when used
                self.pdf.add_font("Body", style, str(_FONT_DIR / _FACES[style]))
            self.family, self.unicode = "Body", True
        else:
            self.family, self.unicode = "Helvetica", False
        self.pdf.set_margins(12, 12, 12)
        self.charts: list[dict] = []  # what each chart drew and where (page, box), for the tests
        self._widths: dict[tuple, dict[str, float]] = {}

    def italics(self) -> None:
        """The italic faces, for commentary's Markdown emphasis (fpdf2's __italic__)."""
        if self.unicode and "bodyi" not in self.pdf.fonts:
            for style in ("I", "BI"):
                self.pdf.add_font("Body", style, str(_FONT_DIR / _FACES[style]))

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
        if markdown and "__" in text:
            self.italics()
        self.font(size)
        self.pdf.multi_cell(0, size * 0.48, self.t(text), new_x="LMARGIN", new_y="NEXT", markdown=markdown)
        self.pdf.ln(1)

    def wrap(self, text: str, width: float, bold: bool, size: float) -> list[str]:
        """The lines fpdf2's multi_cell breaks `text` into in a cell `width` mm wide (its own rule: a line ends
        at the last space that fits, else mid-word), measured from the font's widths without laying anything
        out: the same lines, a tenth of the time."""
        self.font(size, bold)
        font = self.pdf.current_font
        key = (self.family, bold, size)
        cache = self._widths.setdefault(key, {})
        scale = size * 0.001 / self.pdf.k
        cw = font.cw
        by_ord = self.unicode
        room = width - 2 * self.pdf.c_margin
        lines: list[str] = []
        for para in text.split("\n"):
            n, i = len(para), 0
            if n == 0:
                lines.append("")
                continue
            while i < n:
                start, used, space = i, 0.0, None
                while i < n:
                    ch = para[i]
                    w = cache.get(ch)
                    if w is None:
                        w = cache[ch] = (cw[ord(ch)] if by_ord else cw.get(ch, 0)) * scale
                    if used + w - room > _TOLERANCE:
                        if ch == " ":  # a space where the line is full ends it, and is dropped
                            lines.append(para[start:i])
                            i += 1
                        elif space is not None:  # back to the last space, dropped
                            lines.append(para[start:space])
                            i = space + 1
                        elif i > start:
                            lines.append(para[start:i])
                        else:  # not even one character fits: print it anyway, as fpdf2 refuses to
                            lines.append(ch)
                            i += 1
                        break
                    if ch == " ":
                        space = i
                    used += w
                    i += 1
                else:
                    lines.append(para[start:])
        return lines

    def table(
        self,
        frame: pd.DataFrame,
        widths: list[float],
        size: float = 7.5,
        rag_col: str | None = None,
        rag_codes: list[str] | None = None,
    ) -> None:
        """The table as fpdf2's table() lays it out (centred, a bold white-on-blue heading repeated on each page,
        text left-aligned and wrapped at words, cells centred vertically, every cell bordered, the RAG cell bold
        on its tint), placed cell by cell: the same page, about ten times sooner."""
        pdf = self.pdf
        lh = size * 0.45
        left = (pdf.w - sum(widths)) / 2
        xs = [left + sum(widths[:j]) for j in range(len(widths))]
        head = (True, (255, 255, 255), (29, 63, 115))
        rows = [[(self.t(c), head) for c in frame.columns]]
        rag_j = list(frame.columns).index(rag_col) if rag_col and rag_codes and rag_col in frame.columns else None
        plain = (False, (0, 0, 0), None)
        for i, r in enumerate(frame.itertuples(index=False)):
            cells = [(self.t(v), plain) for v in r]
            if rag_j is not None:
                hexcode = RAG_FILL.get(rag_codes[i], "FFFFFF")
                cells[rag_j] = (
                    cells[rag_j][0],
                    (True, (0, 0, 0), tuple(int(hexcode[k : k + 2], 16) for k in (0, 2, 4))),
                )
            rows.append(cells)
        laid = []
        for cells in rows:
            lines = [self.wrap(t, w, style[0], size) if t else [] for (t, style), w in zip(cells, widths)]
            laid.append((cells, lines, max((len(ls) for ls in lines), default=0) * lh or lh))
        baseline = 0.5 * lh + 0.3 * size / pdf.k

        def draw(row: int) -> None:
            cells, lines, height = laid[row]
            y = pdf.y
            for (_, (bold, ink, fill)), cell_lines, x, w in zip(cells, lines, xs, widths):
                if fill is not None:
                    pdf.set_fill_color(*fill)
                pdf.rect(x, y, w, height, style="DF" if fill is not None else "D")
                if cell_lines:
                    self.font(size, bold)
                    pdf.set_text_color(*ink)
                    top = y + (height - len(cell_lines) * lh) / 2
                    for k, line in enumerate(cell_lines):
                        pdf.text(x + pdf.c_margin, top + k * lh + baseline, line)
            pdf.set_text_color(0, 0, 0)
            pdf.set_xy(left, y + height)

        pdf.set_x(left)
        if len(laid) > 1:  # never a heading alone at the foot of a page
            pdf._perform_page_break_if_need_be(laid[0][2] + laid[1][2])
        for row in range(len(laid)):
            if pdf._perform_page_break_if_need_be(laid[row][2]) and row >= 1:
                draw(0)  # the heading again on the new page
            draw(row)
        pdf.set_x(pdf.l_margin)
        self.font(size)
        self.pdf.ln(2)

    def charts_grid(self, items: list[tuple[object, str]]) -> None:
        """Charts two to a row (vector drawings, and the text under each: its one-sentence summary and rating)."""
        per_row, gap, left = 2, 6.0, self.pdf.l_margin
        width = (self.pdf.w - self.pdf.l_margin - self.pdf.r_margin - gap * (per_row - 1)) / per_row
        height = width * CHART_PX[1] / CHART_PX[0]
        top = bottom = self.pdf.get_y()
        for k, (fig, text) in enumerate(items):
            col = k % per_row
            if col == 0 and k:
                top = bottom
            if col == 0 and top > 110:
                self.page()
                top = self.pdf.get_y()
            x = left + col * (width + gap)
            drawn = draw_figure(self, fig, x, top, width)
            self.charts.append({"page": self.pdf.page_no(), "ref": fig.ref, **drawn})
            self.pdf.set_xy(x, top + height + 1)
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
    progress(text), if given, hears each step."""
    return layout(pack, charts, progress).output()


def layout(pack: Pack, charts: bool = True, progress=None) -> _Pdf:
    """The pack laid out (to_pdf's work), with what each chart drew and where (doc.charts)."""
    say = progress or (lambda text: None)
    off_by_area = {a: scorecard_exceptions(pack.area_rows(a)) for a in pack.areas["area"]}
    refs = [r for off in off_by_area.values() for r in off["ref"]] if charts else []
    if refs:
        say(f"Drawing {len(refs)} charts")
    figures = paper_figures(pack, refs) if refs else {}
    doc = _Pdf(title(pack))
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
        paper_legend(),
        9,
    )

    doc.page()
    doc.heading(f"Overview, {long_label(pack.month)}")
    counts = rag_count_table(pack)
    doc.table(counts, [60, 22, 22, 22, 22, 24], size=9)
    ex = exceptions_table(pack)
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
        # The screen's "At a glance" columns in its order, the last three months before Current (paper has no
        # sparkline), the comparators in one cell with their year in the heading.
        months = [label(m) for m in panel.window(pack.month)[-4:-1]]
        comparators = panel.comparators_header(pack.years)
        cols = ["Ref", "Indicator", *months, cur, "Target", "RAG", "Direction", comparators]
        widths = [13, 70, 15, 15, 15, 22, 16, 20, 24, 60]
        if "As printed" in table:  # the pack's hand-set rating beside ours
            cols.insert(cols.index("RAG") + 1, "As printed")
            widths = [13, 58, 15, 15, 15, 22, 16, 20, 20, 24, 52]
        doc.heading(f"Scorecard ({len(sc)} indicators)", 11)
        doc.table(table[cols], widths, size=7, rag_col="RAG", rag_codes=list(sc["rag"]))
        off = off_by_area[a.area]
        if charts and not off.empty:
            doc.page()
            doc.heading(f"{a.short_title}: off-target indicators and unusual activity", 12)
            items = []
            for ref, row in zip(off["ref"], off.itertuples()):
                fig = figures[ref]
                drawn += 1
                say(f"Placing charts: {drawn} of {len(refs)}")
                items.append((fig, f"{fig.summary} {rag_label(row.rag)}: {row.rag_reason}"))
            doc.charts_grid(items)
    say("Writing the PDF")
    return doc
