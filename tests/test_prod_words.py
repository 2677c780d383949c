"""Production mode, one vocabulary for versions (issue 26, item 9): after a commentary publish every page still
names the figures' vintage; the picker groups vintages by kind; Revisions names a real author and time for each
vintage; a page left open across a load names the new figures."""

import pytest
from prod import look, sign_in

from dashboard import store
from dashboard.writes import loader

pytestmark = pytest.mark.browser

PACK = "Scrutiny Panel pack, 6 March 2024"


def _picker(page):
    return page.locator('[data-testid="stSelectbox"]').filter(has_text="Figures as reported")


def _picked(page) -> str:
    """The picker's shown choice (a searchable select shows it in its input)."""
    box = _picker(page)
    return box.inner_text() + " " + box.locator("input").input_value()


def _picker_options(page) -> list[str]:
    _picker(page).locator("input").click()
    page.get_by_role("option").first.wait_for()
    options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    return options


def test_a_commentary_publish_leaves_the_figures_label_on_the_figures(prod_app, browser):
    page = sign_in(browser, prod_app, "cin-editor@example.test", "/child-in-need?month=2024-01")
    page.get_by_text("Draft commentary from the figures").click()
    page.get_by_role("button", name="Publish as this area's commentary").click()
    look(page)
    page.get_by_text("Published as vintage commentary-").wait_for(timeout=60_000)
    look(page)
    # The sidebar and the downloads' caption still name the pack's figures, not the commentary edit.
    assert f"Latest (figures: {PACK})" in _picked(page)
    page.get_by_text(f"latest (figures: {PACK})", exact=False).first.wait_for()
    assert page.get_by_text("Latest (Commentary edit").count() == 0
    options = _picker_options(page)
    assert options[0] == f"Latest (figures: {PACK})", options
    figures = [o for o in options if o.startswith("As reported: ")]
    others = [o for o in options if o.startswith("Other write (")]
    assert figures == [
        "As reported: Scrutiny Panel pack, 6 March 2024",
        "As reported: Scrutiny Panel pack, 8 November 2023",
        "As reported: Performance and QA Scorecard, January 2023",
    ], options
    assert options == [options[0], *figures, *others], options  # grouped: the figures, then the other writes
    assert others[0].startswith("Other write (commentary edit): Commentary edit, "), others
    assert any(o.startswith("Other write (DfE national statistics): ") for o in others), others
    # The overview, as another page, names the same figures.
    page.get_by_role("link", name="Overview").first.click()
    look(page)
    page.get_by_text("Exceptions to discuss").wait_for()
    page.get_by_text(f"Latest (figures: {PACK})").first.wait_for()

    # Revisions: every vintage with its author and time; the draft's author phrase reads naturally.
    page.goto(prod_app.url + "/revisions")
    look(page)
    page.get_by_role("heading", name="Who loaded what").wait_for()
    page.get_by_text("loaded by cin-editor@example.test on").first.wait_for(state="attached", timeout=30_000)
    page.get_by_text("drafted from the figures, edited by cin-editor@example.test").first.wait_for(state="attached")
    page.get_by_text("shipped with the app (published 06 Mar 2024)").first.wait_for(state="attached")
    page.get_by_text("shipped with the app (published 20 Mar 2026)").first.wait_for(state="attached")
    body = page.locator("body").inner_text()
    assert "unknown" not in body and "01 Jan 2000" not in body
    page.context.close()


def test_a_page_left_open_across_a_load_names_the_new_figures(prod_app, browser, tmp_path):
    page = sign_in(browser, prod_app, "viewer@example.test", "/child-in-need?month=2024-01")
    before = _picked(page)
    assert "Latest (figures: " in before
    upload = tmp_path / "feb24.csv"
    upload.write_text("ref,period,value\nCIN1,2024-02,333\n")
    vintage, _ = loader.load_file(prod_app.db, upload, label="February figures", user="pub@example.test")
    store.ReadOnlyStore.close_all()
    assert vintage.startswith("upload-")
    page.get_by_role("link", name="Cared For").first.click()  # the open page's next run
    # The browser kept showing a selectbox's old label when only the label changed; the picker redraws it.
    look(page)
    page.get_by_role("heading", name="Cared For Children and Care Leavers").wait_for()
    assert "Latest (figures: February figures)" in _picked(page)
    options = _picker_options(page)
    assert options[:2] == ["Latest (figures: February figures)", "As reported: February figures"], options
    page.context.close()
