"""Production mode, issue 28: hostile commentary reaches a signed-in viewer as text (no image fetched, no link
drawn), and a workbook with a hidden row uploaded by a publisher is refused on the page, naming the row, with
nothing written."""

import datetime
import hashlib
import zipfile

import pytest
from prod import look, sign_in

from dashboard import store
from dashboard.writes import commentary, journal

pytestmark = pytest.mark.browser

HOSTILE = (
    "**Referrals rose** in January.\n\n"
    "![x][p] and [the [full] report](//evil.example/x) and <https://evil.example/a>\n\n"
    '<img src="//evil.example/h.png"> [notes][n]\n\n'
    "[p]: //evil.example/p.png\n[n]: //evil.example/n\n"
)


def test_hostile_commentary_is_text_for_a_signed_in_viewer(prod_app, browser):
    commentary.publish(prod_app.db, "cin_cp", datetime.date(2024, 1, 1), HOSTILE, author="Test")
    store.ReadOnlyStore.close_all()
    page = sign_in(browser, prod_app, "viewer@example.test")
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(prod_app.url + "/child-in-need?month=2024-01")
    look(page)
    page.get_by_text("Referrals rose").first.wait_for(timeout=30_000)
    assert page.locator("strong", has_text="Referrals rose").count() >= 1  # emphasis kept
    assert page.get_by_text("[image not shown: x]").count() == 1
    assert page.get_by_text("the [full] report (link: //evil.example/x)", exact=False).count() == 1
    assert page.locator("img[src*='evil']").count() == 0
    assert page.locator("a[href*='evil']").count() == 0
    assert not [u for u in requested if "evil" in u]


def _hidden_row_workbook(path):
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    def c(ref, v):
        if isinstance(v, str):
            return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'
        return f'<c r="{ref}"><v>{v}</v></c>'

    rows = (
        '<row r="1">' + c("A1", "ref") + c("B1", "period") + c("C1", "value") + "</row>"
        '<row r="2">' + c("A2", "CIN1") + c("B2", "2024-01") + c("C2", 290) + "</row>"
        '<row r="3" hidden="1">' + c("A3", "CIN6") + c("B3", "2024-01") + c("C3", 999) + "</row>"
    )
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="Scorecard" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{rows}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def test_a_publisher_uploading_a_hidden_row_is_refused_on_the_page(prod_app, browser, tmp_path):
    def state():
        files = sorted(p for p in journal.journal_dir(prod_app.db).rglob("*") if p.is_file())
        return hashlib.sha256(prod_app.db.read_bytes()).hexdigest(), [(str(p), p.read_bytes()) for p in files]

    before = state()
    page = sign_in(browser, prod_app, "pub@example.test", "/load")
    page.get_by_role("region", name="Figures file").wait_for(timeout=30_000)
    dropzone = '[data-testid="stFileUploaderDropzoneInput"]'
    upload = _hidden_row_workbook(tmp_path / "pack.xlsx")
    page.get_by_role("region", name="Figures file").locator(dropzone).set_input_files(str(upload))
    page.get_by_text("Rejected: 1 problem in pack.xlsx", exact=False).wait_for(timeout=30_000)
    look(page)
    # the problems table is a canvas grid: its cells are in the page for screen readers, not drawn as text
    page.get_by_text("this row is hidden in Excel and holds CIN6, 2024-01, 999", exact=False).first.wait_for(
        state="attached"
    )
    assert page.get_by_role("button", name="Publish").count() == 0
    assert state() == before
