"""The scorecard at a glance, as a viewer sees it on a laptop (1440x900), the panel's projector (1280x720) and a
narrow window or tablet (800x1000), in production mode: every area page draws one scorecard table that shows each
column the panel reads within the window with no sideways scroll, tiles and buttons never end in "…", the
sparklines draw as lines, the header stays in view down a long area, a ref opens its indicator by keyboard, the
overview's tables fit; screenshots of each width in test-artifacts/."""

import io
import re

import numpy as np
import pytest
from PIL import Image
from prod import look, sign_in
from test_browser import ART

pytestmark = pytest.mark.browser
PROD_SHARED = True  # reads only: the session's shared app (prod.prod_app checks nothing was written)

AREAS = ["/front-door", "/early-help", "/child-in-need", "/cared-for", "/safeguarding", "/workforce"]
WIDTHS = [(1440, 900), (1280, 720), (800, 1000)]
MONTH = "month=2024-01"
GLANCE = ["Ref", "Indicator", "Current (Jan-24)", "Target", "RAG", "Direction", "12 months"]
COMPARATORS = "Comparators"  # with the year its figures share, "Comparators (2022/23)", where an area has any
VISIBLE_GRID = '[data-testid="stDataFrame"]:visible'
SCORECARD = '[class*="st-key-scorecard_table_"] table'

# What the visible grid shows: its column headers (Streamlit's hidden accessible copy of the canvas holds only the
# columns drawn in view), whether it scrolls sideways, and where it ends; the same for the page itself.
GRID = """grid => {
  const scroller = grid.querySelector('.dvn-scroller');
  const heads = [...grid.querySelectorAll('table thead th')].map(th => th.textContent.trim());
  const spark = heads.indexOf('12 months') + 1;
  return {
    heads,
    sideways: scroller.scrollWidth > scroller.clientWidth + 1,
    right: grid.getBoundingClientRect().right,
    rows: grid.querySelectorAll('table tbody tr').length,
    sparks: [...grid.querySelectorAll(`table tbody td[aria-colindex="${spark}"]`)].map(td => td.textContent),
  };
}"""
# The same for the area scorecard, an HTML table: its header cells, whether it (or its box) scrolls sideways, where
# it ends, and each sparkline image's alternative text (the trend in words).
TABLE = """table => {
  const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
  const spark = heads.indexOf('12 months') + 1;
  const box = table.parentElement;
  return {
    heads,
    sideways: box.scrollWidth > box.clientWidth + 1 || table.scrollWidth > table.clientWidth + 1,
    right: table.getBoundingClientRect().right,
    rows: table.querySelectorAll('tbody tr').length,
    sparks: [...table.querySelectorAll(`tbody td:nth-child(${spark})`)].map(td => {
      const img = td.querySelector('img');
      return img ? {alt: img.alt, drawn: img.complete && img.naturalWidth > 0} : null;
    }),
  };
}"""
# Where the header cells are once the page has scrolled, and whether each is the topmost thing at its centre.
HEADER_IN_VIEW = """table => [...table.querySelectorAll('thead th')].map(th => {
  const r = th.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {text: th.textContent.trim(), top: r.top, bottom: r.bottom, height: window.innerHeight,
          onTop: !!hit && th.contains(hit)};
})"""
PAGE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return {width: window.innerWidth, sideways: main.scrollWidth > main.clientWidth + 1};
}"""
# Text cut short with an ellipsis in a tile or a button that is on screen: wider than its box while clipped.
TRUNCATED = """() => [...document.querySelectorAll(
    '[data-testid="stMetric"] *, [data-testid="stButton"] button *, [data-testid="stDownloadButton"] button *, '
    + '[data-testid="stButtonGroup"] button *')]
  .filter(e => e.offsetParent !== null && e.childElementCount === 0 && e.textContent.trim()
    && e.getBoundingClientRect().right > 0)  // a collapsed sidebar is moved off screen
  .filter(e => {
    const s = getComputedStyle(e);
    return e.scrollWidth > e.clientWidth + 1 || (s.textOverflow === 'ellipsis' && s.whiteSpace === 'nowrap'
      && e.parentElement.scrollWidth > e.parentElement.clientWidth + 1);
  })
  .map(e => e.textContent.trim())"""


def line_pixels(png: bytes) -> int:
    """Pixels of the sparklines' blue line (the theme's primary, anti-aliased against white): clearly bluer than
    red. The grid's text is black or grey and its RAG tints are not blue, so text drawn instead counts none."""
    with Image.open(io.BytesIO(png)) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=int)
    return int(((rgb[..., 2] - rgb[..., 0]) > 30).sum())


def visible_grid(page):
    grids = page.locator(VISIBLE_GRID)
    grids.first.wait_for(timeout=60_000)
    assert grids.count() == 1, "one scorecard in view: the wide and the narrow layout never show together"
    grid = grids.first
    grid.locator("table thead th").first.wait_for(state="attached", timeout=30_000)
    return grid


def check_columns(page, where: str, wanted: list[str], comparators: bool) -> dict:
    grid = visible_grid(page)
    # The grid redraws its accessible copy after the script has finished: wait (bounded) for the columns asked
    # for, then check; the assertions below say what is missing.
    grid.evaluate(
        """(grid, wanted) => new Promise((done, fail) => {
                const heads = () => [...grid.querySelectorAll('table thead th')].map(th => th.textContent.trim());
                const t0 = Date.now();
                const poll = () => wanted.every(h => heads().includes(h)) ? done(true)
                    : Date.now() - t0 > 30000 ? done(false) : requestAnimationFrame(poll);
                poll();
            })""",
        wanted,
    )
    seen = grid.evaluate(GRID)
    missing = [h for h in wanted if h not in seen["heads"]]
    assert not missing, f"{where}: {missing} not in view; the grid shows {seen['heads']}"
    assert any(h.startswith(COMPARATORS) for h in seen["heads"]) == comparators, (where, seen["heads"])
    assert not seen["sideways"], f"{where}: the scorecard scrolls sideways ({seen['heads']})"
    viewport = page.evaluate(PAGE)
    assert seen["right"] <= viewport["width"] and not viewport["sideways"], f"{where}: wider than the window"
    return seen


def scorecard(page):
    """The area page's one scorecard table: never a grid, never two tables."""
    tables = page.locator(SCORECARD)
    tables.first.wait_for(timeout=60_000)
    assert tables.count() == 1, "one scorecard table drawn on an area page"
    assert page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').count() == 0, "no grid beside it"
    return tables.first


def check_table(page, where: str, wanted: list[str], comparators: bool) -> dict:
    table = scorecard(page)
    seen = table.evaluate(TABLE)
    missing = [h for h in wanted if h not in seen["heads"]]
    assert not missing, f"{where}: {missing} not in the table; it shows {seen['heads']}"
    assert any(h.startswith(COMPARATORS) for h in seen["heads"]) == comparators, (where, seen["heads"])
    assert not seen["sideways"], f"{where}: the scorecard scrolls sideways ({seen['heads']})"
    viewport = page.evaluate(PAGE)
    assert seen["right"] <= viewport["width"] and not viewport["sideways"], f"{where}: wider than the window"
    return seen


def check_header_stays(page, where: str) -> None:
    """Scroll to the table's last row: every header cell is still in the window, on top of the rows."""
    table = scorecard(page)
    table.locator("tbody tr").last.scroll_into_view_if_needed()
    page.wait_for_function(
        "t => t.querySelector('tbody tr:last-child').getBoundingClientRect().bottom <= window.innerHeight",
        arg=table.element_handle(),
    )
    heads = table.evaluate(HEADER_IN_VIEW)
    first_row = table.locator("tbody tr").first.bounding_box()
    assert first_row["y"] + first_row["height"] < 0, f"{where}: the page did not scroll past the first row"
    off = [h for h in heads if not (h["top"] >= 0 and h["bottom"] <= h["height"] and h["onTop"])]
    assert not off, f"{where}: header cells out of view or covered after scrolling: {off}"


def open_a_ref_by_keyboard(page, where: str) -> None:
    """From the Sort by picker, Tab to the first ref in the table and press Enter: its indicator opens at the
    month in view, in this tab."""
    page.get_by_role("combobox", name="Sort by").focus()
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('[class*=\"st-key-scorecard_table_\"] tbody')"):
            break
    ref = page.evaluate("() => document.activeElement.tagName === 'A' ? document.activeElement.textContent : ''")
    assert ref, f"{where}: Tab from Sort by never reached a ref in the table"
    pages = len(page.context.pages)
    page.keyboard.press("Enter")
    page.wait_for_url("**/indicator?**", timeout=30_000)
    look(page)
    page.get_by_role("heading", name=re.compile(rf"^{re.escape(ref)} · ")).wait_for()
    assert "month=2024-01" in page.url and f"ref={ref}" in page.url
    assert len(page.context.pages) == pages, "the indicator opened in this tab, not a new one"
    page.go_back()
    page.wait_for_url("**/cared-for?**", timeout=30_000)
    look(page)
    scorecard(page)


@pytest.mark.parametrize("size", WIDTHS, ids=[f"{w}x{h}" for w, h in WIDTHS])
def test_every_area_reads_at_a_glance(prod_app, browser, size):
    width, height = size
    narrow = width < 1000
    page = sign_in(browser, prod_app, "viewer@example.test", f"/child-in-need?{MONTH}", viewport=size)
    ART.mkdir(exist_ok=True)
    try:
        sidebar = page.locator('[data-testid="stSidebar"]')
        page.get_by_role("heading", name="Child in Need and Child Protection").wait_for()
        if narrow:  # the sidebar starts collapsed below 1000 px, and opens on request
            page.wait_for_function(
                "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().right <= 1"
            )
        else:
            assert sidebar.bounding_box()["width"] >= 200
        for path in AREAS:
            page.goto(f"{prod_app.url}{path}?{MONTH}")
            look(page)
            # One table at every width: the comparators' summary reflows into an 800 px window too.
            seen = check_table(page, f"{path} at {width}px", GLANCE, comparators=True)
            assert seen["rows"] > 1
            truncated = page.evaluate(TRUNCATED)
            assert not truncated, f"{path} at {width}px: cut short with an ellipsis: {truncated}"
            # The sparkline is a picture of numbers with the trend in words; a row with under two figures has none.
            drawn = [s for s in seen["sparks"] if s]
            assert drawn and all(s["drawn"] and re.match(r"\d+ figures: ", s["alt"]) for s in drawn), seen["sparks"]
            table = scorecard(page)
            table.scroll_into_view_if_needed()
            png = table.screenshot()
            assert line_pixels(png) > 30 * len(drawn), f"{path} at {width}px: the sparklines are not drawn"
            page.screenshot(path=str(ART / f"layout-{width}-{path.strip('/')}.png"))
            if path == "/cared-for":  # the longest area: its header stays in view to the last row
                check_header_stays(page, f"{path} at {width}px")
                page.screenshot(path=str(ART / f"layout-{width}-{path.strip('/')}-scrolled.png"))
                open_a_ref_by_keyboard(page, f"{path} at {width}px")
        # The other column sets are kept in the URL: each comparator's figure with its year, and the rank.
        page.get_by_role("radio", name="Comparators", exact=True).click()
        page.wait_for_url("**columns=comparators**")  # the run the click starts writes this: then wait for its end
        look(page)
        wanted = ["Ref", "Indicator", "Current (Jan-24)", "Rank among councils"]
        wanted += ["GM (2021/22)", "NW (2022/23)", "SN (2022/23)", "England (2022/23)"]
        check_table(page, f"comparators at {width}px", wanted, comparators=False)
        page.reload()
        look(page)
        check_table(page, f"comparators reloaded at {width}px", wanted, comparators=False)
        page.get_by_role("radio", name="At a glance", exact=True).click()
        look(page)

        page.goto(f"{prod_app.url}/overview?{MONTH}")
        look(page)
        page.get_by_text("Exceptions to discuss").wait_for()
        visible_grid(page).scroll_into_view_if_needed()
        check_columns(page, f"overview at {width}px", ["Ref", "Indicator", "Current", "RAG", "Why"], comparators=False)
        tables = page.locator('[data-testid="stMarkdownContainer"] table:visible')
        assert tables.count() >= 3  # RAG counts, what the ratings rest on, the biggest movers
        for k in range(tables.count()):
            box = tables.nth(k).evaluate(
                "t => ({right: t.getBoundingClientRect().right, sideways: t.parentElement.scrollWidth > "
                "t.parentElement.clientWidth + 1})"
            )
            assert box["right"] <= width and not box["sideways"], f"overview table {k} at {width}px is cut off"
        truncated = page.evaluate(TRUNCATED)
        assert not truncated, f"overview at {width}px: cut short with an ellipsis: {truncated}"
        page.screenshot(path=str(ART / f"layout-{width}-overview.png"), full_page=True)
    finally:
        page.context.close()
