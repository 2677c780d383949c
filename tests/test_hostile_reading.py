"""Issue 28: every write path reads files and cells by the same rules. Each example from the issue, through the
CLI (and, for uploads, the upload page's own functions, which must say the same), with the database and the
journal byte-identical after every refusal. Hostile workbooks are written part by part with zipfile."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import os
import re
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard import cli, store
from dashboard.words.formatting import links_and_images_as_text, safe_commentary
from dashboard.writes import journal, loader, national, reference

FIXTURES = Path(__file__).parent / "fixtures" / "national"
C1 = FIXTURES / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"


# ---------------------------------------------------------------- helpers


def state(db: Path) -> tuple[str, str]:
    """The database's bytes and every journal file's name and bytes."""
    h = hashlib.sha256()
    jdir = journal.journal_dir(db)
    if jdir.exists():
        for p in sorted(jdir.rglob("*")):
            h.update(str(p.relative_to(jdir)).encode())
            if p.is_file():
                h.update(p.read_bytes())
    return hashlib.sha256(db.read_bytes()).hexdigest(), h.hexdigest()


def run(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", str(db), *args])
    store.ReadOnlyStore.close_all()
    return code, out.getvalue(), err.getvalue()


def refused(db: Path, *args: str) -> str:
    """Run a write that must be refused: exit 1, no traceback, database and journal untouched."""
    before = state(db)
    code, out, err = run(db, *args)
    assert code == 1, (out, err)
    assert "Traceback" not in err and "Error:" not in err, err
    assert state(db) == before
    return err


def page(kind: str, db: Path, path: Path, name: str | None = None) -> list[str]:
    """The problems the upload page's own functions find (ui/admin.py calls exactly these)."""
    reader = store.ReadOnlyStore(db)
    name = name or path.name
    authority = sorted(reader.table("authorities")["authority"])[0]
    if kind == "load":
        parsed = loader.parse_upload(
            path,
            loader.catalogue_of(reader),
            set(reader.table("authorities")["authority"]),
            authority,
            week_ending_day=reader.week_ending_weekday(),
            display_name=name,
        )
        loader.diff_upload(reader, parsed)
        problems = parsed.problems
    elif kind == "national":
        problems = national.parse([path], reader, [name]).problems
    else:
        problems = reference.PARSERS[kind](path, reader, authority, display_name=name).problems
    store.ReadOnlyStore.close_all()
    return [str(p) for p in problems]


def same_on_the_page(kind: str, db: Path, path: Path, err: str) -> None:
    """The CLI's refusal and the upload page's are the same problems, word for word."""
    cli_lines = [line for line in err.splitlines() if not line.startswith("rejected:")]
    assert page(kind, db, path) == cli_lines


def stored(db: Path, ref: str, month: str) -> float:
    rows = store.ReadOnlyStore(db).observations_as_of("latest", "tameside", refs=[ref])
    store.ReadOnlyStore.close_all()
    return rows.set_index(pd.to_datetime(rows["period"]))["value"][month]


def loaded_count(out: str) -> int:
    m = re.search(r"(\d+) values added, (\d+) revised an earlier figure, (\d+) unchanged", out)
    assert m, out
    return sum(int(x) for x in m.groups())


# ---------------------------------------------------------------- workbooks written part by part

STYLES = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="0.00\\%"/>'
    '<numFmt numFmtId="165" formatCode="0.0&quot;%&quot;"/></numFmts>'
    '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="9"/><xf numFmtId="164"/><xf numFmtId="165"/>'
    '<xf numFmtId="17"/></cellXfs></styleSheet>'
)
GENERAL, PERCENT, LITERAL_PERCENT, QUOTED_PERCENT, MONTH = range(5)


def cell(ref: str, value: object = None, style: int | None = None, raw: str | None = None) -> str:
    s = f' s="{style}"' if style is not None else ""
    if raw is not None:
        return f'<c r="{ref}"{s}>{raw}</c>'
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"{s}><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"{s}><v>{value}</v></c>'


def row(n: int, values: list, hidden: bool = False, styles: dict[int, int] | None = None) -> str:
    cells = "".join(
        cell(f"{'ABCDEFGH'[i]}{n}", v, (styles or {}).get(i)) for i, v in enumerate(values) if v is not None
    )
    flag = ' hidden="1"' if hidden else ""
    return f'<row r="{n}"{flag}>{cells}</row>'


def workbook(
    path: Path,
    rows: str,
    dimension: str = "A1:E6",
    cols: str = "",
    shared: list[str] | None = None,
    sheet_xml: str | None = None,
    without_sheet: bool = False,
) -> Path:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="Scorecard" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/styles.xml": STYLES,
        "xl/worksheets/sheet1.xml": sheet_xml
        or f'<worksheet xmlns="{main}"><dimension ref="{dimension}"/>{cols}<sheetData>{rows}</sheetData></worksheet>',
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{main}">' + "".join(f"<si><t>{s}</t></si>" for s in shared)
        parts["xl/sharedStrings.xml"] += "</sst>"
    if without_sheet:
        del parts["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


HEADER = ["Ref", "Indicator", "Nov-23", "Dec-23", "Jan-24"]


def test_the_rows_that_exist_are_read_whatever_the_dimension_claims(fresh_db, tmp_path):
    refs = ["CIN1", "CIN6", "CIN13", "CIN16", "CIN18"]
    rows = row(1, HEADER) + "".join(row(n, [ref, "x", 400 + n, 410 + n, 420 + n]) for n, ref in enumerate(refs, 2))
    f = workbook(tmp_path / "pack.xlsx", rows, dimension="A1:C3")
    code, out, err = run(fresh_db, "load", str(f))
    assert code == 0, err
    assert loaded_count(out) == 15  # all 15 figures, not the 2 inside A1:C3
    assert stored(fresh_db, "CIN18", "2024-01-01") == 426


def test_a_hidden_row_is_refused_naming_it_unless_include_hidden(fresh_db, tmp_path):
    rows = row(1, HEADER) + row(2, ["CIN1", "Referrals", 401, 402, 403]) + row(3, ["CIN6", "DRAFT", 999], hidden=True)
    f = workbook(tmp_path / "pack.xlsx", rows)
    err = refused(fresh_db, "load", str(f))
    assert "pack.xlsx, sheet 'Scorecard', row 3: this row is hidden in Excel and holds CIN6, DRAFT, 999" in err
    assert "--include-hidden" in err
    same_on_the_page("load", fresh_db, f, err)
    code, out, err = run(fresh_db, "load", str(f), "--include-hidden")
    assert code == 0, err
    assert stored(fresh_db, "CIN6", "2023-11-01") == 999


def test_a_hidden_column_is_refused_naming_it(fresh_db, tmp_path):
    rows = row(1, HEADER) + row(2, ["CIN1", "Referrals", 401, 999, 403])
    f = workbook(tmp_path / "pack.xlsx", rows, cols='<cols><col min="4" max="4" hidden="1"/></cols>')
    err = refused(fresh_db, "load", str(f))
    assert "pack.xlsx, sheet 'Scorecard', row 1, column 'Dec-23': column D is hidden in Excel and holds figures" in err
    same_on_the_page("load", fresh_db, f, err)


def test_a_count_formatted_as_a_percentage_is_refused_not_multiplied(fresh_db, tmp_path):
    rows = row(1, ["ref", "period", "value"]) + row(2, ["CIN1", "2024-01", 5], styles={2: PERCENT})
    f = workbook(tmp_path / "pack.xlsx", rows)
    err = refused(fresh_db, "load", str(f))
    assert (
        "row 2, column 'value': the cell shows 500% (formatted as a percentage), but this indicator is a count" in err
    )
    same_on_the_page("load", fresh_db, f, err)


@pytest.mark.parametrize("style, stored_value, expected", [(LITERAL_PERCENT, 0.45, 0.45), (QUOTED_PERCENT, 86.3, 86.3)])
def test_a_literal_percent_sign_in_the_format_shows_the_value_as_it_is(
    fresh_db, tmp_path, style, stored_value, expected
):
    rows = row(1, ["ref", "period", "value"]) + row(2, ["CIN8", "2024-01", stored_value], styles={2: style})
    code, _, err = run(fresh_db, "load", str(workbook(tmp_path / "pack.xlsx", rows)))
    assert code == 0, err
    assert stored(fresh_db, "CIN8", "2024-01-01") == pytest.approx(expected)


def test_an_array_formula_with_no_stored_value_is_refused(fresh_db, tmp_path):
    rows = (
        row(1, ["ref", "period", "value"])
        + '<row r="2">'
        + cell("A2", "CIN1")
        + cell("B2", "2024-01")
        + cell("C2", raw='<f t="array" ref="C2:C3">SUM(1)</f>')
        + "</row>"
    )
    f = workbook(tmp_path / "pack.xlsx", rows)
    err = refused(fresh_db, "load", str(f))
    assert "pack.xlsx, sheet 'Scorecard', row 2, column 'C2': a formula with no stored value" in err


@pytest.mark.parametrize(
    "bad, why",
    [
        (cell("C2", raw="<v>NaN</v>"), "cell C2: not a readable XLSX workbook ('NaN' is not a number)"),
        (cell("C2", raw="<v>12abc</v>"), "cell C2: not a readable XLSX workbook ('12abc' is not a number)"),
        ('<c r="C2" t="s"><v>7</v></c>', "cell C2: not a readable XLSX workbook (shared string '7' is not in the"),
        ('<c r="C2" t="d"><v>2024-13-45</v></c>', "cell C2: not a readable XLSX workbook ('2024-13-45' is not a date)"),
    ],
)
def test_a_malformed_cell_is_named_without_a_traceback(fresh_db, tmp_path, bad, why):
    rows = row(1, ["ref", "period", "value"]) + '<row r="2">' + cell("A2", "CIN1") + cell("B2", "2024-01") + bad
    f = workbook(tmp_path / "pack.xlsx", rows + "</row>", shared=["ref"])
    err = refused(fresh_db, "load", str(f))
    assert f"pack.xlsx, sheet 'Scorecard', {why}" in err
    same_on_the_page("load", fresh_db, f, err)


def test_broken_sheet_xml_and_a_missing_sheet_part_are_named(fresh_db, tmp_path):
    broken = workbook(tmp_path / "broken.xlsx", "", sheet_xml="<worksheet><sheetData><row r='1'><c></row>")
    err = refused(fresh_db, "load", str(broken))
    assert "broken.xlsx, sheet 'Scorecard': not a readable XLSX workbook (the XML of xl/worksheets/sheet1.xml" in err
    missing = workbook(tmp_path / "missing.xlsx", "", without_sheet=True)
    err = refused(fresh_db, "load", str(missing))
    assert (
        "missing.xlsx, sheet 'Scorecard': not a readable XLSX workbook (its part xl/worksheets/sheet1.xml is missing)"
        in err
    )
    same_on_the_page("load", fresh_db, missing, err)


def test_a_million_declared_rows_are_not_read_but_a_value_past_the_limit_is_refused(fresh_db, tmp_path):
    rows = row(1, ["ref", "period", "value"]) + row(2, ["CIN1", "2024-01", 290]) + row(3, ["CIN6", "2024-01", 12])
    code, _, err = run(fresh_db, "load", str(workbook(tmp_path / "ok.xlsx", rows, dimension="A1:C1048576")))
    assert code == 0, err
    far = rows + row(1_048_576, ["CIN13", "2024-01", 5])
    err = refused(fresh_db, "load", str(workbook(tmp_path / "far.xlsx", far, dimension="A1:C1048576")))
    assert "far.xlsx, sheet 'Scorecard', row 1048576: this row holds a value; the limit is 200,000 rows" in err


# ---------------------------------------------------------------- the national importer, as strict as the loader


def _c1(tmp_path: Path, change, name: str = C1.name) -> tuple[Path, int]:
    """A copy of the C1 fixture with Tameside's 2023 row changed; -> (file, that row's number)."""
    lines = C1.read_text(encoding="utf-8-sig").splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("2023,") and ",Tameside," in line)
    cells = next(csv.reader([lines[k]]))
    extra = change(cells)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    lines[k] = buf.getvalue()
    if extra:
        lines.append(lines[k])
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, k + 1


def test_the_same_council_year_row_twice_is_refused_never_summed(fresh_db, tmp_path):
    f, n = _c1(tmp_path, lambda cells: True)
    err = refused(fresh_db, "load-national", str(f))
    assert f"this row repeats row {n} (Tameside, 2023, the same breakdown): a row given twice is refused" in err
    same_on_the_page("national", fresh_db, f, err)


@pytest.mark.parametrize(
    "column, text, why",
    [
        (13, "27,3", "column 'rereferral_percent': '27,3' is neither a number nor an EES symbol"),
        (11, "3,3,4,9", "column 'referral_count': '3,3,4,9' is neither a number nor an EES symbol"),
        (11, "-3349", "column 'referral_count': the count -3349 is negative"),
        (13, "127.3", "column 'rereferral_percent': the published figure 127.3 is a percentage above 100"),
    ],
)
def test_national_numbers_are_read_by_the_shared_rules(fresh_db, tmp_path, column, text, why):
    f, n = _c1(tmp_path, lambda cells: cells.__setitem__(column, text))
    err = refused(fresh_db, "load-national", str(f))
    assert f"{f.name}, row {n}, {why}" in err
    same_on_the_page("national", fresh_db, f, err)


def test_a_reporting_year_not_yet_ended_is_refused(fresh_db, tmp_path):
    year = dt.date.today().year + 1
    f, n = _c1(tmp_path, lambda cells: cells.__setitem__(0, str(year)))
    err = refused(fresh_db, "load-national", str(f))
    assert f"row {n}, column 'time_period': {year} is in the future" in err


def test_two_files_of_the_same_name_from_different_folders_are_kept_apart(fresh_db, tmp_path):
    a, _ = _c1(tmp_path, lambda cells: None, f"a/{C1.name}")
    b, _ = _c1(tmp_path, lambda cells: None, f"b/{C1.name}")
    err = refused(fresh_db, "load-national", str(a), str(b))
    assert f"{b}, row" in err and f"is also given in {a}" in err
    reader = store.ReadOnlyStore(fresh_db)
    names = national.parse([a, b], reader, [C1.name, C1.name]).file  # two uploads with one name, on the page
    store.ReadOnlyStore.close_all()
    assert f"{C1.name} (file 1 of 2)" in names and f"{C1.name} (file 2 of 2)" in names


# ---------------------------------------------------------------- targets, comparators, plan updates


def test_targets_are_read_by_their_unit(fresh_db, tmp_path):
    f = tmp_path / "targets.csv"
    f.write_text('ref,target\nCIN18,552%\nFD8,0.9\nCIN18,"1,050"\n')
    err = refused(fresh_db, "load-targets", str(f))
    assert "targets.csv, row 2, column 'target': target '552%' has a % sign, but CIN18 is a count" in err
    assert "targets.csv, row 3, column 'target': target '0.9' on a percentage reads as 0.9%" in err
    assert "row 4" not in err  # "1,050" reads as 1050, as in a figures file
    same_on_the_page("targets", fresh_db, f, err)
    f.write_text('ref,target\nCIN18,"1,050"\nFD8,0.9%\n')
    code, _, err = run(fresh_db, "load-targets", str(f))
    assert code == 0, err
    held = store.ReadOnlyStore(fresh_db).targets_as_of("latest", "tameside").set_index("ref")
    store.ReadOnlyStore.close_all()
    assert held.at["CIN18", "target_text"] == "1050"


def test_a_comparator_for_a_year_not_yet_ended_is_refused(fresh_db, tmp_path):
    today = dt.date.today()
    start = today.year if today.month >= 4 else today.year - 1
    f = tmp_path / "comparators.csv"
    f.write_text(f"ref,comparator,value,year\nCIN8,england,50,{start}/{(start + 1) % 100:02d}\n")
    err = refused(fresh_db, "load-comparators", str(f))
    assert f"comparators.csv, row 2, column 'year': '{start}/{(start + 1) % 100:02d}' is not a published year" in err
    same_on_the_page("comparators", fresh_db, f, err)


def test_load_plan_refuses_a_ragged_row_and_reads_xlsx(fresh_db, tmp_path):
    f = tmp_path / "brag.csv"
    f.write_text("action_ref,commentary\n1.1,Going well, on track\n")
    err = refused(fresh_db, "load-plan", str(f))
    assert "brag.csv, row 2: the row has 3 cells but the header has 2" in err
    wb = openpyxl.Workbook()
    wb.active.append(["BRAG update, March"])
    wb.active.append(["action_ref", "action_brag", "commentary"])
    wb.active.append(["1.1", "Green", "Going well, on track"])
    x = tmp_path / "brag.xlsx"
    wb.save(x)
    code, out, err = run(fresh_db, "load-plan", str(x))
    assert code == 0, err


# ---------------------------------------------------------------- figures


@pytest.mark.parametrize(
    "body, why",
    [
        ("ref,period,value\nCIN1,2024-01,1.234\n", "row 2, column 'value': 1.234 is not a whole number"),
        ("ref,period,value\nCIN8,2024-01,0.863\n", "row 2, column 'value': 0.863 on a percentage reads as 0.863%"),
        ("ref,period,value,note\nCIN1,2024-01,290,checked\n", "row 1, column 'note': not a column of the long layout"),
        ("ref,period,value,Mar-24\nCIN1,2024-01,290,291\n", "row 1, column 'Mar-24': not a column of the long layout"),
        ("Ref,Indicator,2024/02\nCIN1,Referrals,290\n", "row 1, column '2024/02': not a month this loader can read"),
    ],
)
def test_figures_are_read_by_their_unit_and_no_column_is_dropped(fresh_db, tmp_path, body, why):
    f = tmp_path / "feb.csv"
    f.write_text(body)
    err = refused(fresh_db, "load", str(f))
    assert f"feb.csv, {why}" in err
    same_on_the_page("load", fresh_db, f, err)


def test_minus_zero_is_stored_as_zero_and_current_month_columns_are_read(fresh_db, tmp_path):
    f = tmp_path / "feb.csv"
    f.write_text("ref,period,value\nCIN1,2024-01,-0\n")
    code, _, err = run(fresh_db, "load", str(f))
    assert code == 0, err
    v = stored(fresh_db, "CIN1", "2024-01-01")
    assert v == 0 and math.copysign(1, v) == 1
    f.write_text("Ref,Indicator,Jan-24,Current (Feb-24)\nCIN1,Referrals,290,301\n")
    code, out, err = run(fresh_db, "load", str(f))
    assert code == 0, err
    assert "column 'Current (Feb-24)' read as 2024-02" in out
    assert stored(fresh_db, "CIN1", "2024-02-01") == 301
    f.write_text("Ref,Indicator,Feb-24,Current (Feb-24)\nCIN1,Referrals,290,301\n")
    err = refused(fresh_db, "load", str(f))
    assert "row 2, column 'Current (Feb-24)': shows 301 but column 'Feb-24' shows 290 for the same month" in err


# ---------------------------------------------------------------- files that are not files, and saying what is wrong


@pytest.mark.parametrize("command", ["load", "load-targets", "load-comparators", "load-national", "load-plan"])
@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "/etc/passwd"])
def test_a_link_is_not_followed_on_any_write_path(fresh_db, tmp_path, command, target):
    link = tmp_path / "feb.csv"
    link.symlink_to(target)
    err = refused(fresh_db, command, str(link))
    assert f"feb.csv: this is a link to {target}, not a file: load the file itself, not a link" in err


def test_a_device_a_pipe_and_a_folder_are_named_without_reading_them(fresh_db, tmp_path):
    assert "zero: this is a device, not a file" in refused(fresh_db, "load", "/dev/zero")
    fifo = tmp_path / "feb.csv"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer for ever
    assert "feb.csv: this is a pipe (FIFO), not a file" in refused(fresh_db, "load-national", str(fifo))
    folder = tmp_path / "march.csv"
    folder.mkdir()
    assert "march.csv: this is a folder, not a file" in refused(fresh_db, "load-targets", str(folder))


@pytest.mark.parametrize(
    "body, why",
    [
        ("ref\tperiod\tvalue\nCIN1\t2024-01\t290\n", "row 1: the columns are separated by tabs"),
        ("sep=,\nref,period,value\nCIN1,2024-01,290\n", "row 1: the first line 'sep=,' is a hint for Excel"),
        (
            "Ref,Indicator,45323\nCIN1,Referrals,290\n",
            "row 1, column '45323': a header is a name, not a number: 45323 is how Excel stores the date "
            "01 Feb 2024, so a month header was saved as a number; write it as Feb-24",
        ),
        ('ref,period,"val\nue"\nCIN1,2024-01,290\n', "row 1, column 'val\\nue': this header has a line break"),
    ],
)
def test_each_misshapen_file_gets_its_own_message(fresh_db, tmp_path, body, why):
    f = tmp_path / "feb.csv"
    f.write_bytes(body.encode())
    err = refused(fresh_db, "load", str(f))
    assert f"feb.csv, {why}" in err and "missing required column" not in err
    same_on_the_page("load", fresh_db, f, err)


# ---------------------------------------------------------------- commentary


def _no_markup_reaches_the_page(safe: str) -> None:
    unescaped = re.sub(r"\\.", "", safe)  # what is left can be markup
    assert "[" not in unescaped.replace("[image not shown: ", "")
    assert "](" not in unescaped and "]:" not in unescaped and "<" not in unescaped


@pytest.mark.parametrize(
    "typed, shown",
    [
        ("![x][p]\n\n[p]: //evil.example/p.png", "[image not shown: x]"),
        ("![x]\n\n[X]: //evil.example/p.png", "[image not shown: x]"),
        ("[the [full] report](//evil.example/x)", r"the \[full\] report (link: //evil.example/x)"),
        ("[report][r]\n\n[r]: <//evil.example/r>", "report (link: //evil.example/r)"),
        ("<https://evil.example/a>", "&lt;h\u2060ttps://evil.example/a>"),
        ('<img src="//evil.example/p.png">', '&lt;img src="//evil.example/p.png">'),
        ("write to me@evil.example", "me@\u2060evil.example"),
    ],
)
def test_commentary_is_rendered_from_its_parse_so_no_image_or_link_gets_through(typed, shown):
    safe = safe_commentary(typed)
    assert shown in safe
    _no_markup_reaches_the_page(safe)
    pdf = links_and_images_as_text(typed)  # nor onto the PDF (fpdf2 draws no HTML, but would draw a Markdown link)
    assert "![" not in pdf and "](" not in pdf and "]:" not in pdf


def test_commentary_keeps_emphasis_lists_and_headings():
    safe = safe_commentary("## Front door\n\n**Referrals** rose, *as expected*.\n\n- one\n  - two\n1. first")
    assert safe.splitlines() == [
        "## Front door",
        "",
        "**Referrals** rose, *as expected*.",
        "",
        "- one",
        "    - two",
        "1. first",
    ]


def test_a_count_excel_shows_whole_is_read_whole_and_a_hidden_sheet_is_not_chosen(fresh_db, tmp_path):
    rows = row(1, ["ref", "period", "value"]) + row(2, ["CIN1", "2024-01", 289.99999999999997])
    code, _, err = run(fresh_db, "load", str(workbook(tmp_path / "sum.xlsx", rows)))
    assert code == 0, err
    assert stored(fresh_db, "CIN1", "2024-01-01") == 290
    f = workbook(tmp_path / "hidden.xlsx", rows)
    with zipfile.ZipFile(f) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'sheetId="1"', b'sheetId="1" state="hidden"')
    with zipfile.ZipFile(f, "w") as z:
        for n, b in parts.items():
            z.writestr(n, b)
    assert "hidden.xlsx: no sheet has a header row with a Ref column" in refused(fresh_db, "load", str(f))
    err = refused(fresh_db, "load", str(f), "--sheet", "Scorecard")
    assert "hidden.xlsx: sheet 'Scorecard' is hidden in Excel" in err
    code, _, err = run(fresh_db, "load", str(f), "--include-hidden")
    assert code == 0, err
