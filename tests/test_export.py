"""Papers: the XLSX opens with openpyxl with fills, frozen header and the formula guard; the CSV has
the screen's rows; the PDF's text names every area and the month and its pages render; charts decode."""

import csv
import io
import shutil
import subprocess
import sys
from dataclasses import replace

import openpyxl
import pytest
from PIL import Image

from dashboard import cli, store
from dashboard.output import export_charts, export_csv, export_pdf, export_xlsx, papers
from dashboard.words.periods import parse_period

AREAS = [
    "Front Door (MASH and EHAP)",
    "Early Help",
    "Child in Need and Child Protection",
    "Cared For Children and Care Leavers",
    "Safeguarding and Quality Assurance",
    "Workforce",
]


@pytest.fixture(scope="module")
def pack(built_db):
    return papers.gather(store.ReadOnlyStore(built_db), parse_period("2024-01"))


@pytest.fixture(scope="module")
def hostile(pack):
    """The same pack with user text that a spreadsheet would run as a formula."""
    sc = pack.scorecard.copy()
    sc.loc[sc["ref"] == "CF9", "indicator"] = '=HYPERLINK("http://example.invalid","click")'
    sc.loc[sc["ref"] == "CF10", "indicator"] = "@SUM(A1:A9)"
    sc.loc[sc["ref"] == "CF11", "indicator"] = "+cmd|' /C calc'!A0"
    return replace(pack, scorecard=sc, commentary={**pack.commentary, "cared_for": "-2+3 =danger"})


def test_xlsx_sheets_header_fills_and_formats(pack):
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx.to_xlsx(pack)))
    assert wb.sheetnames == [
        "Overview",
        "Front Door",
        "Early Help",
        "Child in Need & Protection",
        "Cared For",
        "Safeguarding",
        "Workforce",
    ]
    ws = wb["Child in Need & Protection"]
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "C2"
    assert header[:2] == ["Ref", "Indicator"] and "Current (Jan-24)" in header and "Revised" in header
    assert "England (2022/23)" in header and "SN (2022/23)" in header  # comparator years in the headers
    rows = {r[0].value: {h: c for h, c in zip(header, r)} for r in ws.iter_rows(min_row=2) if r[0].value}
    cin8 = rows["CIN8"]
    assert cin8["Current (Jan-24)"].value == pytest.approx(pack.scorecard.set_index("ref").at["CIN8", "value"])
    assert cin8["Current (Jan-24)"].number_format == '0.0"%"'
    rag = pack.scorecard.set_index("ref").at["CIN8", "rag"]
    assert cin8["RAG"].value.endswith({"R": "Red", "A": "Amber", "G": "Green", "-": "Not rated"}[rag])
    assert cin8["RAG"].fill.fgColor.rgb.endswith(papers.RAG_FILL[rag])
    assert cin8["Direction"].value.split()[-1] in {"Improving", "Declining", "change", "Up", "Down"}
    assert rows["CIN1"]["Current (Jan-24)"].number_format == "#,##0"
    ov = wb["Overview"]
    assert "January 2024" in ov["A1"].value and ov.freeze_panes == "A5"
    assert [c.value for c in ov[4]][:5] == ["Area", "Red", "Amber", "Green", "Not rated"]


GLANCE = ["Ref", "Indicator", "Current (Jan-24)", "Target", "RAG", "Direction", "Comparators (2022/23)"]


def in_order(header: list, names: list) -> bool:
    return [h for h in header if h in names] == names


def test_xlsx_area_sheets_carry_the_screens_columns_in_its_order(pack):
    """The at-a-glance columns in the screen's order, the comparators in one cell with the year in its heading,
    then every figure behind it with its own year."""
    ws = openpyxl.load_workbook(io.BytesIO(export_xlsx.to_xlsx(pack)))["Child in Need & Protection"]
    header = [c.value for c in ws[1]]
    assert in_order(header, GLANCE), header
    assert in_order(
        header, ["Comparators (2022/23)", "GM (2021/22)", "NW (2022/23)", "SN (2022/23)", "England (2022/23)"]
    )
    assert header.index("Dec-23") < header.index("Current (Jan-24)") < header.index("Target")
    rows = {r[0].value: dict(zip(header, (c.value for c in r))) for r in ws.iter_rows(min_row=2) if r[0].value}
    # CIN8 (higher is better) 86.3% against GM 81% (2021/22) and England 82%: better than all four, GM's year named.
    assert rows["CIN8"]["Comparators (2022/23)"] == "Better than GM (2021/22), NW, SN, England"
    # CIN2 (lower is better) 650 against GM 674 and England 545.
    assert rows["CIN2"]["Comparators (2022/23)"] == "Better than GM (2021/22), SN; worse than NW, England"
    assert rows["CIN7"]["Comparators (2022/23)"] == "Above GM (2021/22), NW, England; below SN"  # an activity measure
    assert rows["CIN1"]["Comparators (2022/23)"] == "None printed or published"  # never a zero or a blank
    assert rows["CIN8"]["England (2022/23)"] == pytest.approx(82)


def test_xlsx_keeps_not_yet_available_as_words(built_db):
    p = papers.gather(store.ReadOnlyStore(built_db), parse_period("2023-09"))
    ws = openpyxl.load_workbook(io.BytesIO(export_xlsx.to_xlsx(p)))["Safeguarding"]
    header = [c.value for c in ws[1]]
    sg16 = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "SG16")
    assert sg16[header.index("Current (Sep-23)")].value == "Not yet available"


def test_xlsx_and_csv_neutralise_formulas(hostile):
    ws = openpyxl.load_workbook(io.BytesIO(export_xlsx.to_xlsx(hostile)))["Cared For"]
    names = {r[0].value: r[1].value for r in ws.iter_rows(min_row=2) if r[0].value}
    assert (
        names["CF9"].startswith("'=HYPERLINK") and names["CF10"] == "'@SUM(A1:A9)" and names["CF11"].startswith("'+cmd")
    )
    cells = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'-2+3 =danger" in cells
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    rows = list(csv.DictReader(io.StringIO(export_csv.to_csv(hostile))))
    byref = {r["Ref"]: r for r in rows}
    assert byref["CF9"]["Indicator"].startswith("'=") and byref["CF10"]["Indicator"].startswith("'@")
    assert papers.neutralise("-12.5") == "-12.5" and papers.neutralise("−") == "−"


def test_csv_has_the_screens_rows(pack):
    rows = list(csv.DictReader(io.StringIO(export_csv.to_csv(pack))))
    assert len(rows) == len(pack.scorecard)
    fd1 = next(r for r in rows if r["Ref"] == "FD1")
    assert fd1["Area"] == "Front Door" and fd1["Current (Jan-24)"] == "1,551"
    assert {"RAG", "Direction", "Target", "England (2022/23)", "Why this rating"} <= set(rows[0])


@pytest.fixture(scope="module")
def pdf_file(pack, tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "pack.pdf"
    path.write_bytes(export_pdf.to_pdf(pack))
    return path


def test_pdf_text_names_every_area_and_the_month(pdf_file, pack):
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed: make test installs it"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_file), "-"], capture_output=True, text=True, check=True
    ).stdout
    for title in AREAS:
        assert title in text, title
    assert "January 2024" in text and "Scrutiny Panel pack, 6 March 2024" in text
    assert "Exceptions to discuss" in text and "Red" in text and "Amber" in text
    for ref in pack.exceptions()["ref"]:
        assert ref in text  # every off-target indicator is named (and charted) in its area
    # The area tables: the screen's at-a-glance columns in its order, comparators in one cell with their year.
    heading = next(line for line in text.splitlines() if "Comparators (2022/23)" in line and "Ref" in line)
    words = ["Ref", "Indicator", "Dec-23", "Target", "RAG", "Direction", "Comparators (2022/23)"]
    assert [heading.index(w) for w in words] == sorted(heading.index(w) for w in words), heading
    assert "(2022/23)" in text and "Better than GM" in text and "worse than" in text


def test_pdf_pages_render(pdf_file, tmp_path):
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf_file), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 8  # cover, overview, six areas, chart pages
    for p in pages:
        with Image.open(p) as im:
            im.load()
            assert im.size[0] > im.size[1] > 100  # landscape A4
    with Image.open(pages[0]) as cover:
        assert cover.convert("L").getextrema()[0] < 100  # there is ink on the cover


def test_chart_png_and_svg(pack):
    chart, summary = export_charts.indicator_chart_for(pack, "CIN8")
    with Image.open(io.BytesIO(export_charts.chart_png(chart))) as im:
        im.load()
        assert im.format == "PNG" and im.size[0] > 300
    svg = export_charts.chart_svg(chart)
    assert svg.lstrip().startswith("<svg") and "CIN8" in svg
    assert summary.startswith("CIN8")


def test_cli_export(built_db, tmp_path, capsys):
    out = tmp_path / "cared.xlsx"
    assert (
        cli.main(
            [
                "--db",
                str(built_db),
                "export",
                "--month",
                "2023-09",
                "--format",
                "xlsx",
                "--out",
                str(out),
                "--area",
                "cared_for",
            ]
        )
        == 0
    )
    assert openpyxl.load_workbook(out).sheetnames == ["Overview", "Cared For"]
    csv_out = tmp_path / "all.csv"
    assert (
        cli.main(
            [
                "--db",
                str(built_db),
                "export",
                "--month",
                "2023-09",
                "--format",
                "csv",
                "--out",
                str(csv_out),
                "--vintage",
                "pack-2023-11",
            ]
        )
        == 0
    )
    assert "1,265" in csv_out.read_text(encoding="utf-8-sig")  # FD1 Sep-23 as the November pack printed it
    assert (
        cli.main(["--db", str(built_db), "export", "--month", "2023-13", "--format", "csv", "--out", str(csv_out)]) == 2
    )
    assert (
        cli.main(
            [
                "--db",
                str(built_db),
                "export",
                "--month",
                "2023-09",
                "--format",
                "csv",
                "--out",
                str(csv_out),
                "--area",
                "nowhere",
            ]
        )
        == 2
    )
    assert "unknown area" in capsys.readouterr().err


def test_the_pdf_reports_each_step_while_it_is_built(pack):
    steps = []
    pdf = export_pdf.to_pdf(replace(pack, areas=pack.areas[pack.areas["area"] == "cin_cp"]), progress=steps.append)
    assert pdf.startswith(b"%PDF")
    assert steps[0].startswith("Drawing ") and "charts" in steps[0]
    assert "Laying out Child in Need and Child Protection" in steps
    assert any(s.startswith("Placing charts: 1 of ") for s in steps) and steps[-1] == "Writing the PDF"


@pytest.mark.parametrize(
    "typed, for_fpdf",
    [
        ("Contacts **fell** in *January*.", "Contacts **fell** in __January__."),
        ("- one\n* two", "• one\n• two"),
        ("Caseloads 18--20 and snake__case and ~~x~~", "Caseloads 18\\--20 and snake\\__case and \\~~x\\~~"),
        (
            "See [the DfE page](https://example.invalid/x) ![chart](https://example.invalid/c.png)",
            "See the DfE page (link: https://example.invalid/x) [image not shown: chart]",
        ),
        ("2*3*4 and a \\ backslash", "2*3*4 and a \\\\ backslash"),
    ],
)
def test_commentary_reaches_the_pdf_as_fpdf2_markdown_with_typed_markers_escaped(typed, for_fpdf):
    assert export_pdf.commentary_for_pdf(typed) == for_fpdf


def test_the_pdf_prints_commentary_emphasis_without_its_markers(pack, tmp_path):
    typed = "Contacts **fell** in *January*; caseloads 18--20 (snake__case)."
    pdf = export_pdf.to_pdf(
        replace(pack, areas=pack.areas[pack.areas["area"] == "cin_cp"], commentary={"cin_cp": typed}), charts=False
    )
    (tmp_path / "c.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Contacts fell in January; caseloads 18--20 (snake__case)." in " ".join(text.split())


# Modules a paper never needs, and the one each format does: a fresh CLI process loads nothing else heavy.
WRITER = {"csv": set(), "xlsx": {"xlsxwriter"}, "pdf": {"fpdf"}}
_IMPORTED = """
import sys
from dashboard import cli
code = cli.main(sys.argv[1:])
heavy = ("streamlit", "altair", "vl_convert", "psycopg", "pydantic", "openpyxl", "xlsxwriter", "fpdf")
print(code, *sorted(m for m in heavy if m in sys.modules))
"""


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_cli_export_imports_only_what_its_format_needs(built_db, tmp_path, fmt):
    out = tmp_path / f"paper.{fmt}"
    args = ["--db", str(built_db), "export", "--month", "2024-01", "--format", fmt, "--out", str(out)]
    done = subprocess.run([sys.executable, "-c", _IMPORTED, *args], capture_output=True, text=True, check=True)
    code, *loaded = done.stdout.split()
    assert code == "0" and out.stat().st_size > 0
    assert set(loaded) == WRITER[fmt], done.stdout  # never streamlit, altair, vl-convert, psycopg or pydantic


def test_the_tables_papers_are_the_same_without_the_charts_series(built_db, pack):
    """The CLI gathers no series for XLSX and CSV (only charts read them): the same bytes either way."""
    bare = papers.gather(store.ReadOnlyStore(built_db), parse_period("2024-01"), series=False)
    assert bare.observations.empty and not bare.revised and len(pack.observations) and pack.revised
    assert export_csv.to_csv(bare) == export_csv.to_csv(pack)
    a, b = (openpyxl.load_workbook(io.BytesIO(export_xlsx.to_xlsx(p))) for p in (bare, pack))
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert [[c.value for c in r] for r in a[name].iter_rows()] == [
            [c.value for c in r] for r in b[name].iter_rows()
        ]
