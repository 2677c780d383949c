"""The panel pack with its charts drawn as PDF vectors from the page chart's own description (issue 32): the pack's
text is the same as when the charts were pictures, each chart carries the marks of the page's Altair chart, the
marks read in black and white. (The papers' bench at tiny scale is in tests/test_bench.py, on its stores.)

The expected text (tests/fixtures/papers/*.json.gz) is `pdftotext -bbox` of the packs main drew before this change
(charts as vl-convert PNGs), words per page and how many charts each page held."""

import gzip
import html
import json
import math
import re
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from dashboard import store
from dashboard.output import charts, export_charts, export_pdf, papers
from dashboard.words.periods import parse_period

FIXTURES = Path(__file__).parent / "fixtures" / "papers"
MM = 72 / 25.4
CASES = [("2024-01", "latest"), ("2023-11", "latest"), ("2023-09", "latest"), ("2023-09", "pack-2023-11")]


@pytest.fixture(scope="module")
def reader(built_db):
    r = store.ReadOnlyStore(built_db)
    yield r
    store.ReadOnlyStore.close_all()


def pdf_words(path: Path, boxes=()) -> list[list[tuple[str, float, float, float]]]:
    """Per page, each word pdftotext finds with its centre and right edge in mm, less those inside a box (page,
    x, y, w, h)."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for n, page in enumerate(re.split(r"<page ", out)[1:], start=1):
        words = []
        for x0, y0, x1, y1, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page
        ):
            cx, cy = (float(x0) + float(x1)) / 2 / MM, (float(y0) + float(y1)) / 2 / MM
            if not any(p == n and bx <= cx <= bx + bw and by <= cy <= by + bh for p, bx, by, bw, bh in boxes):
                words.append((html.unescape(w), cx, cy, round(float(x1) / MM, 1)))
        pages.append(words)
    return pages


def without_footer(words: list[str], page: int) -> list[str]:
    """The page's words less its footer (the title, then '· page N'), and the date the pack was prepared."""
    k = next(i for i in range(len(words)) if words[i : i + 3] == ["·", "page", str(page)])
    start = k - 1 - words[:k][::-1].index("Tameside")
    kept = words[:start] + words[k + 3 :]
    return [("<date>" if i and kept[i - 1] == "Prepared" else w) for i, w in enumerate(kept)]


def sections(pages: list[tuple[int, list[str]]]) -> list:
    """The pack as its pages of text in order, each run of chart pages as one section whose words are counted:
    a chart's summary may start a page sooner or later than it did beside a picture of another height, and
    pdftotext reads two summaries side by side in an order that depends on where each starts."""
    out: list = []
    for charts_on_page, words in pages:
        if charts_on_page:
            if out and isinstance(out[-1], Counter):
                out[-1].update(words)
            else:
                out.append(Counter(words))
        else:
            out.append(words)
    return out


@pytest.mark.parametrize("month, vintage", CASES)
def test_the_pack_text_is_todays(reader, tmp_path, month, vintage):
    expected_file = FIXTURES / f"{month}-{vintage}.json.gz"
    with gzip.open(expected_file, "rt", encoding="utf-8") as fh:
        expected = json.load(fh)["pages"]
    pack = papers.gather(reader, parse_period(month), vintage)
    doc = export_pdf.layout(pack)
    path = tmp_path / "pack.pdf"
    path.write_bytes(doc.output())
    boxes = [(c["page"], *c["box"]) for c in doc.charts]
    got = pdf_words(path, boxes)
    charts_on = Counter(c["page"] for c in doc.charts)
    mine = sections([(charts_on[n], without_footer([w for w, *_ in ws], n)) for n, ws in enumerate(got, 1)])
    theirs = sections([(p["charts"], without_footer(p["words"], n)) for n, p in enumerate(expected, 1)])
    assert len(doc.charts) == sum(p["charts"] for p in expected)
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        assert a == b


# ---------------------------------------------------------------- the charts' marks against the page's spec


@pytest.fixture(scope="module")
def drawn(reader, tmp_path_factory):
    """The January 2024 pack with every indicator charted (not only the off-target ones): every chart type."""
    pack = papers.gather(reader, parse_period("2024-01"))
    doc = export_pdf._Pdf("test")
    doc.page()
    figs = export_charts.paper_figures(pack, list(pack.scorecard["ref"]))
    doc.charts_grid([(f, f.summary) for f in figs.values()])
    path = tmp_path_factory.mktemp("charts") / "charts.pdf"
    path.write_bytes(doc.output())
    return pack, doc, path


def spec_of(pack, ref: str) -> dict:
    """The page's chart of the indicator, built on its own (not from the papers' batch)."""
    row, series, revised = export_charts.chart_job(pack, ref)
    chart, _ = charts.indicator_chart(pd.Series(row), series, show_spc=True, revised=set(revised))
    return chart.to_dict(validate=False)


def layers(spec: dict) -> list[tuple[dict, list[dict]]]:
    return [(layer, spec["datasets"][layer.get("data", spec.get("data"))["name"]]) for layer in spec["layer"]]


def mark_of(layer: dict) -> str:
    m = layer["mark"]
    return m if isinstance(m, str) else m["type"]


def kinds(drawn_charts: list[dict]) -> dict[str, dict]:
    """One chart of each kind the page draws: a target band, a target line, limits recalculated at a break, trial
    limits, a special-cause point, a revised point, a gap in the months, a single figure, none at all."""
    out: dict[str, dict] = {}
    for c in drawn_charts:
        texts = [t for t, *_ in c["lines"]]
        kinds_of_points = {k for *_, k in c["points"]}
        for name, hit in (
            ("band", "band" in c),
            ("target line", any(t.startswith("Target ") for t in texts)),
            ("break", "break" in c),
            ("trial limits", any("(trial)" in t for t in texts)),
            ("signal", any("Special cause" in k for k in kinds_of_points)),
            ("revised", any("revised" in k for k in kinds_of_points)),
            ("gap", len(c["series"]) > 1),
            ("single figure", len(c["points"]) == 1),
            ("comparators", any(t.startswith("England") for t in texts)),
        ):
            if hit:
                out.setdefault(name, c)
    return out


def test_every_chart_type_carries_the_marks_of_the_pages_altair_chart(drawn):
    pack, doc, _ = drawn
    found = kinds(doc.charts)
    assert set(found) >= {"band", "target line", "break", "trial limits", "signal", "revised", "gap", "comparators"}
    # one chart of each kind (the page's spec is built afresh for each, about half a second a chart), not all 120
    for c in {c["ref"]: c for c in found.values()}.values():
        spec = spec_of(pack, c["ref"])
        assert (spec["title"]["text"], spec["title"]["subtitle"]) == (c["title"], [c["subtitle"]])
        by_mark: dict[str, list] = {}
        for layer, data in layers(spec):
            by_mark.setdefault(mark_of(layer), []).append((layer, data))
        line_layer, line_data = by_mark["line"][0]
        runs: dict = {}
        for d in line_data:
            runs.setdefault(d["run"], []).append((pd.Timestamp(d["month"]), d["value"]))
        assert [sorted(r) for _, r in sorted(runs.items())] == c["series"]
        _, point_data = by_mark["point"][0]
        assert [(pd.Timestamp(d["month"]), d["value"], d["point_kind"]) for d in point_data] == c["points"]
        rules = [
            (d["text"], d["y"], tuple(layer["mark"]["strokeDash"]))
            for layer, data in by_mark.get("rule", [])
            if "y" in layer["encoding"]
            for d in data
        ]
        assert sorted(rules) == sorted(c["lines"])
        labelled = [
            (d["i"], d["text"]) for layer, data in by_mark.get("text", []) if "label_y" in str(layer) for d in data
        ]
        assert [text for _, text in sorted(labelled)] == c["labels"]  # one layer per colour, in the lines' order
        rects = [d for _, data in by_mark.get("rect", []) for d in data]
        assert [(d["lo"], d["hi"], d["text"]) for d in rects] == ([c["band"]] if "band" in c else [])
        breaks = [
            (pd.Timestamp(d["month"]), d["text"])
            for layer, data in by_mark.get("rule", [])
            if "y" not in layer["encoding"]
            for d in data
        ]
        assert breaks == ([c["break"]] if "break" in c else [])


def content(path: Path, page: int) -> str:
    """The page's content stream, inflated, its operators and operands one space apart."""
    raw = path.read_bytes()
    streams = [
        zlib.decompress(m.group(1))
        for m in re.finditer(rb"/Filter /FlateDecode[^>]*>>\s*stream\r?\n(.*?)\r?\nendstream", raw, re.S)
    ]
    pages = [s.decode("latin-1") for s in streams if b" Td" in s or b" re " in s or b" m " in s]
    return " ".join(pages[page - 1].split())


def dashed_lines(stream: str) -> list[tuple[tuple[float, float], float, float, float]]:
    """Every straight line stroked under a dash pattern: (dash, gap) in mm, y, x0, x1 in mm from the top left."""
    h = 210 * MM
    out, dash = [], None
    for m in re.finditer(
        r"\[([\d.]+) ([\d.]+)\] [\d.]+ d|\[\] 0 d|([\d.-]+) ([\d.-]+) m ([\d.-]+) ([\d.-]+) l S", stream
    ):
        if m.group(0).startswith("[]"):
            dash = None
        elif m.group(1):
            dash = (round(float(m.group(1)) / MM, 3), round(float(m.group(2)) / MM, 3))
        elif dash is not None:
            x0, y0, x1, y1 = (float(m.group(k)) for k in range(3, 7))
            if abs(y0 - y1) < 0.01:
                out.append((dash, (h - y0) / MM, x0 / MM, x1 / MM))
    return out


def test_a_page_of_every_chart_type_decoded_from_the_pdf_matches_the_spec(drawn):
    """The PDF itself, not what the renderer says it drew: each dashed horizontal line inside a chart, read back
    through the chart's own printed value axis (its tick labels' positions), is a rule of the page's spec with the
    same dash, at the same value."""
    pack, doc, path = drawn
    words = pdf_words(path)
    checked = 0
    for kind, c in kinds(doc.charts).items():
        x, y, w, h = c["box"]
        page_words = words[c["page"] - 1]
        numbers = [
            (float(t.replace(",", "")), cy, right)
            for t, cx, cy, right in page_words
            if x <= cx <= x + w * 0.2 and y + h * 0.125 <= cy <= y + h * 0.75 and re.fullmatch(r"-?[\d,]+(\.\d+)?", t)
        ]
        edge = Counter(right for *_, right in numbers).most_common(1)[0][0]  # the tick labels end in one column
        ticks = sorted((v, cy) for v, cy, right in numbers if right == edge)
        assert len(ticks) >= 2, (kind, c["ref"])
        (v0, y0), (v1, y1) = ticks[0], ticks[-1]
        per_mm = (v1 - v0) / (y1 - y0)
        step = abs(v1 - v0) / max(len(ticks) - 1, 1)
        scale = w / export_charts.CHART_PX[0]
        lines = [
            (dash, v0 + (ly - y0) * per_mm)
            for dash, ly, lx0, lx1 in dashed_lines(content(path, c["page"]))
            if x <= min(lx0, lx1) and max(lx0, lx1) <= x + w and y <= ly <= y + h
        ]
        spec_lines = [(text, value, dash) for text, value, dash in c["lines"]]
        assert len(lines) == len(spec_lines), (kind, c["ref"], lines, spec_lines)
        for text, value, dash in spec_lines:
            want = (round(dash[0] * scale, 3), round(dash[1] * scale, 3))
            near = [v for d, v in lines if math.dist(d, want) < 0.01 and math.isclose(v, value, abs_tol=step / 10)]
            assert near, (kind, text, value, want, lines, ticks, c["ref"], c["page"], c["box"])
            checked += 1
        spec = spec_of(pack, c["ref"])
        spec_rules = sorted(
            round(d["y"], 6)
            for layer, data in layers(spec)
            if mark_of(layer) == "rule" and "y" in layer["encoding"]
            for d in data
        )
        assert spec_rules == sorted(round(v, 6) for _, v, _ in spec_lines)
        printed = " ".join(t for t, cx, cy, _ in page_words if x <= cx <= x + w and y <= cy <= y + h)
        for label in c["labels"]:
            assert label in printed, (kind, label)
        assert c["title"].split()[0] in printed and "Month" in printed
    assert checked


def test_the_marks_read_in_black_and_white(drawn):
    """Colour is never the only signal: every kind of line has its own dash (the series is solid), each is
    named by its end label, and every kind of point has its own shape, named in the legend."""
    _, doc, path = drawn
    dash_of: dict[str, set] = {}
    for c in doc.charts:
        for text, _, dash in c["lines"]:
            kind = next(
                k
                for k, hit in (
                    ("Target", text.startswith("Target")),
                    ("Comparator", text.split()[0] in {"GM", "NW", "SN", "England"}),
                    ("Previous year", text.startswith("Previous year")),
                    ("Average", text == "Average"),
                    ("Limit", "process limit" in text),
                    (text, True),
                )
                if hit
            )
            dash_of.setdefault(kind, set()).add(dash)
            assert text in c["labels"]
    assert all(len(d) == 1 for d in dash_of.values()), dash_of
    patterns = [next(iter(d)) for d in dash_of.values()]
    assert len(set(patterns)) == len(patterns), sorted(
        dash_of.items()
    )  # target, comparator, previous year, average, limits
    assert all(d[1] > 0 for d in patterns)  # none solid: the series is the only solid line
    shapes = legend_shapes(content(path, doc.charts[0]["page"]), doc.charts[0])
    assert len(set(shapes)) == 4, shapes
    printed = " ".join(w for w, *_ in pdf_words(path)[doc.charts[0]["page"] - 1])
    for kind in charts.POINT_KINDS:
        assert kind in printed


def legend_shapes(stream: str, chart: dict) -> list[str]:
    """The four legend marks of a chart, told apart by their outline (a curve; four corners, one of them on top
    or two; three corners)."""
    x, y, w, h = chart["box"]
    top = (210 - (y + h * 0.8)) * MM  # the legend is in the chart's lowest fifth
    found = []
    for m in re.finditer(r"((?:[\d.-]+ [\d.-]+ (?:m|l|c|[\d.-]+ [\d.-]+ [\d.-]+ [\d.-]+ c) ?)+)(?:h )?f", stream):
        nums = [float(v) for v in re.findall(r"[\d.-]+", m.group(1))]
        if nums[1] > top or not (x * MM <= nums[0] <= (x + w) * MM):
            continue
        ops = re.findall(r"\b[mlc]\b", m.group(1))
        if "c" in ops:
            found.append("circle")
        else:
            corners = ops.count("l") + 1
            ys = nums[1::2]
            one_on_top = sum(abs(v - max(ys)) < 0.01 for v in ys) == 1
            found.append({4: "diamond" if one_on_top else "square", 3: "triangle"}.get(corners, str(corners)))
    return found[-4:]
