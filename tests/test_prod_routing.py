"""Production mode, the addresses: a deep link survives sign-in, a value in the address that names nothing says
so, a page the role does not offer says why, row selection keeps the view, and Back goes where it says."""

import re

import pytest
from prod import look, sign_in

pytestmark = pytest.mark.browser
PROD_SHARED = True  # reads only: the session's shared app (prod.prod_app checks nothing was written)

ALERT = '[data-testid="stAlert"]'


@pytest.fixture(scope="module")
def viewer(prod_app, browser):
    """One signed-in viewer for the module; each test opens its own tab in the same browser context."""
    page = sign_in(browser, prod_app, "viewer@example.test")
    yield page.context
    page.context.close()


def open_page(context, url: str):
    page = context.new_page()
    page.goto(url)
    look(page)
    return page


def notices(page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(ALERT).all_inner_texts()]


def month_shown(page) -> str:
    return page.get_by_label("Month", exact=True).input_value()


def go(page, click, url_glob: str) -> None:
    """Follow a link or Back and wait for the address to change before looking (the run starts after it)."""
    click()
    page.wait_for_url(url_glob, timeout=30_000)
    look(page)


def select_first_row(page, grid_index: int = 0) -> None:
    """Grids draw on a canvas: click the first row's selection box (the leftmost column, below the header)."""
    grid = page.locator('[data-testid="stDataFrame"]:visible').nth(grid_index)  # the layout drawn for this width
    grid.evaluate("g => g.scrollIntoView({block: 'start'})")  # its header at the top of the window
    page.wait_for_function("g => Math.abs(g.getBoundingClientRect().top) < 2", arg=grid.element_handle())
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 36 + 17)


def test_a_deep_link_survives_sign_in(prod_app, browser):
    page = sign_in(
        browser, prod_app, "viewer@example.test", "/indicator?ref=CIN20&month=2023-09&vintage=pack-2023-11", fresh=True
    )  # the walk through the provider itself, never a returning browser's cookies
    page.wait_for_url("**/indicator?**", timeout=30_000)
    look(page)
    page.get_by_role("heading", name=re.compile(r"^CIN20 · Child Protection - Statutory visits")).wait_for()
    assert "ref=CIN20" in page.url and "month=2023-09" in page.url and "vintage=pack-2023-11" in page.url
    assert month_shown(page) == "September 2023"
    assert "8 November 2023" in page.get_by_label("Figures as reported", exact=True).input_value()
    assert not any("There is no" in n or "is not" in n for n in notices(page)), notices(page)
    page.context.close()


@pytest.mark.parametrize(
    "path, notice, month",
    [
        ("/indicator?ref=NOPE", "There is no indicator ‘NOPE’; showing FD1.", "January 2024"),
        ("/indicator?ref=CW1", "‘CW1’ is a weekly indicator, shown on the Weekly page; showing FD1.", "January 2024"),
        (
            "/child-in-need?month=2022-06",
            "June 2022 is not in the scorecard (it runs from January 2022 to January 2024",
            "January 2024",
        ),
        ("/child-in-need?month=2025-06", "June 2025 is not in the scorecard", "January 2024"),
        ("/child-in-need?month=banana", "‘banana’ is not a month; showing January 2024.", "January 2024"),
        (
            "/front-door?month=2024-01&vintage=pack-2023-11",
            "Scrutiny Panel pack, 8 November 2023 have no January 2024; showing September 2023.",
            "September 2023",
        ),
        (
            "/cared-for?vintage=pack-1999",
            "There is no version of the figures called ‘pack-1999’; showing the latest.",
            "January 2024",
        ),
    ],
)
def test_a_value_that_names_nothing_says_so(prod_app, viewer, path, notice, month):
    page = open_page(viewer, prod_app.url + path)
    assert any(notice in n for n in notices(page)), notices(page)
    assert month_shown(page) == month
    page.close()


def test_what_was_typed_is_shown_as_plain_text(prod_app, viewer):
    typed = "**bold**[x](y)<b>b</b>"
    page = open_page(viewer, f"{prod_app.url}/indicator?ref={typed}")
    alert = page.locator(ALERT).filter(has_text="There is no indicator")
    assert typed in alert.inner_text()
    assert alert.locator("a, b, strong").count() == 0  # no link, no markup: the characters as typed
    page.close()


@pytest.mark.parametrize(
    "path, notice",
    [
        ("/audit", "The audit trail is for admins; you are signed in as a viewer (viewer@example.test)."),
        (
            "/load",
            "Loading figures and commentary is for publishers, area editors and admins; you are signed in as a viewer",
        ),
    ],
)
def test_a_viewer_is_told_why_a_page_is_not_theirs(prod_app, viewer, path, notice):
    page = open_page(viewer, prod_app.url + path)
    assert any(notice in n for n in notices(page)), notices(page)
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    assert "/" + path.strip("/") in page.url  # answered where asked, not sent to the overview
    page.close()


def test_row_selection_keeps_the_view_and_back_returns_to_it(prod_app, viewer):
    page = open_page(viewer, prod_app.url + "/child-in-need?month=2023-09&vintage=pack-2023-11")
    page.get_by_text("Current (Sep-23)").first.wait_for(state="attached", timeout=30_000)
    # An area's scorecard is a table of links: its first ref opens the indicator (the overview's grid selects).
    first_ref = page.locator('[class*="st-key-scorecard_table_"] tbody a').first
    go(page, first_ref.click, "**/indicator?**")
    page.get_by_role("heading", name=re.compile(r"^CIN1 · ")).wait_for()
    assert "ref=CIN1" in page.url and "month=2023-09" in page.url and "vintage=pack-2023-11" in page.url
    assert month_shown(page) == "September 2023"

    go(page, page.go_back, "**/child-in-need?**")
    page.wait_for_function("() => !location.search.includes('ref=')", timeout=30_000)
    look(page)
    assert "month=2023-09" in page.url and "vintage=pack-2023-11" in page.url
    page.get_by_role("heading", name="Child in Need and Child Protection").wait_for()
    assert month_shown(page) == "September 2023"

    # The overview's exceptions open the indicator at the month in view too.
    go(page, lambda: page.get_by_role("link", name="Overview").click(), re.compile(r".*/\?.*month=2023-09"))
    page.get_by_text("Exceptions to discuss").wait_for()
    grids = page.locator('[data-testid="stDataFrame"]:visible')
    go(page, lambda: select_first_row(page, grids.count() - 1), "**/indicator?**")
    assert "month=2023-09" in page.url and "vintage=pack-2023-11" in page.url and "ref=" in page.url
    page.close()


def test_back_after_two_sidebar_links_lands_on_the_previous_page(prod_app, viewer):
    page = open_page(viewer, prod_app.url + "/child-in-need?month=2023-09")
    go(page, lambda: page.get_by_role("link", name="Cared For").click(), "**/cared-for?month=2023-09")
    page.get_by_role("heading", name="Cared For Children and Care Leavers").wait_for()
    go(page, lambda: page.get_by_role("link", name="Front Door").click(), "**/front-door?month=2023-09")
    page.get_by_role("heading", name="Front Door (MASH and EHAP)").wait_for()

    go(page, page.go_back, "**/cared-for?month=2023-09")
    page.get_by_role("heading", name="Cared For Children and Care Leavers").wait_for()
    assert month_shown(page) == "September 2023"
    go(page, page.go_back, "**/child-in-need?month=2023-09")
    page.get_by_role("heading", name="Child in Need and Child Protection").wait_for()
    assert month_shown(page) == "September 2023"
    page.close()


def test_the_address_kept_over_sign_in_is_allow_listed_and_keyed_by_the_browser(monkeypatch):
    """Streamlit's XSRF cookie changes its mask on every page but keeps its token: the key must follow the
    token. Only an app page and the view's parameters, shaped as such, are kept, and only once."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    from dashboard.ui import signin

    token = b"0123456789abcdef"
    cookies = {"_streamlit_xsrf": generate_xsrf_token_string(token, 1700000000)}
    monkeypatch.setattr(signin.st, "context", type("Ctx", (), {"cookies": cookies})())
    view = {"ref": "CIN20", "month": "2023-09", "q": "x", "vintage": "a b", "view": "breakdown"}
    assert signin.remember_return("indicator", view)
    cookies["_streamlit_xsrf"] = generate_xsrf_token_string(token, 1700000000)  # the same browser, a new mask
    # the overview's drill link (view=breakdown) is kept; an unknown parameter and a value of the wrong shape are not
    assert signin._take_return() == ("indicator", {"ref": "CIN20", "month": "2023-09", "view": "breakdown"})
    assert signin._take_return() is None  # once only
    assert signin.remember_return("home", {"present": "1", "slide": "4", "month": "2024-01"})  # a presenter link
    assert signin._take_return() == ("home", {"month": "2024-01", "present": "1", "slide": "4"})
    assert not signin.remember_return("../../etc/passwd", {})
    assert not signin.remember_return("https://elsewhere.test", {})
    cookies["_streamlit_xsrf"] = generate_xsrf_token_string(b"another-browser!", 1700000000)
    assert signin._take_return() is None
