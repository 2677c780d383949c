"""axe-core (bundled by axe-playwright-python, pinned) on every page at Jan-24 and in presenter mode, and one
journey by keyboard only, on the app as deployed (tests/prod.py: signed in, the warm-up on). A WCAG 2.2 A/AA
violation in our markup or theme fails; those inside Streamlit's own components (its sidebar navigation list,
mainly) are listed with their count in test-artifacts/axe.json and in the README's accessibility note, without
failing."""

import json
import re

import pytest
from prod import look, sign_in
from test_browser import ART, charts_drawn, shot

pytestmark = pytest.mark.browser
PROD_SHARED = True  # reads only: the session's shared app (prod.prod_app checks nothing was written)

# The WCAG 2.2 A/AA rules and two headings rules outside those tags, in one run per page (a rule enabled by name
# runs beside the tags asked for: one injection of axe, not two).
WCAG = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]},
    "rules": {"heading-order": {"enabled": True}, "page-has-heading-one": {"enabled": True}},
    "resultTypes": ["violations"],
}
# Markup Streamlit draws and the app cannot change: a node inside one of these is Streamlit's.
STREAMLIT_OWN = [
    '[data-testid="stSidebarNav"]',
    '[data-testid="stHeader"]',
    '[data-testid="stToolbar"]',
    '[data-testid="stDecoration"]',
    '[data-testid="stStatusWidget"]',
    '[data-testid="stSidebarHeader"]',
    '[data-testid="stSidebarCollapseButton"]',
    '[data-testid="stMainMenu"]',
]
PAGES = [
    "/overview",
    "/front-door",
    "/early-help",
    "/child-in-need",
    "/cared-for",
    "/safeguarding",
    "/workforce",
    "/improvement-plan",
    "/weekly",
    "/indicator?ref=CIN8",
    "/indicator?ref=CF31",  # with How we compare: national charts and tables
    "/revisions",
    "/data-quality",
    "/printed-vs-calculated",
    "/load",  # an admin's forms, then
    "/audit",  # reached by its link in the same session
    "/about",
    "/overview?present=1",
    "/overview?present=1&slide=4",  # an exception slide: clamped text, no scrolling box that needs focus
]


@pytest.fixture(scope="module")
def admin(prod_app, browser):
    """An admin, signed in: every page is offered, the writing pages' forms included."""
    page = sign_in(browser, prod_app, "admin@example.test", "/overview?month=2024-01", viewport=(1280, 900))
    yield prod_app.url, page
    page.context.close()


def _owner(page, target: list) -> str:
    selector = target[-1] if isinstance(target[-1], str) else target[-1][-1]
    inside = page.evaluate(
        "([sel, own]) => { const el = document.querySelector(sel); return !!(el && own.some(o => el.closest(o))); }",
        [selector, STREAMLIT_OWN],
    )
    return "streamlit" if inside else "ours"


def test_every_page_passes_axe_for_what_is_ours(admin):
    from axe_playwright_python.sync_playwright import Axe

    url, page = admin
    axe = Axe()
    ours, theirs = [], []
    for path in PAGES:
        if path == "/audit":  # offered to an admin: follow its link, as an admin would
            more = page.get_by_role("button", name=re.compile(r"^View \d+ more$"))
            if more.count():
                more.click()
            page.get_by_role("link", name=re.compile(r"Audit trail$")).click()
        else:  # opening an address starts a new session
            sep = "&" if "?" in path else "?"
            page.goto(f"{url}{path}{sep}month=2024-01")
        look(page)
        if path == "/load":  # the forms are audited too
            page.get_by_role("region", name="Figures file").wait_for()
        charts_drawn(page)
        if "present=1" not in path:  # the sidebar's links are drawn after the page's view: audit it once they are
            page.locator('[data-testid="stSidebarContent"] a[href]').first.wait_for(timeout=30_000)
        assert page.get_by_text("Page not found").count() == 0, path
        if path == "/audit":
            page.get_by_role("heading", name="Audit trail").wait_for()
        for v in axe.run(page, options=WCAG).response["violations"]:
            for node in v["nodes"]:
                item = {
                    "page": path,
                    "rule": v["id"],
                    "impact": v["impact"],
                    "html": node["html"][:200],
                    "summary": (node.get("failureSummary") or "")[:300],
                }
                (ours if _owner(page, node["target"]) == "ours" else theirs).append(item)
        if path == "/overview?present=1":
            shot(page, "30-presenter-a11y")
    ART.mkdir(exist_ok=True)
    by_rule: dict[str, int] = {}
    for t in theirs:
        by_rule[t["rule"]] = by_rule.get(t["rule"], 0) + 1
    (ART / "axe.json").write_text(
        json.dumps(
            {"axe_pages": PAGES, "ours": ours, "streamlit_own": theirs, "streamlit_own_by_rule": by_rule}, indent=1
        )
    )
    assert not ours, json.dumps(ours, indent=1)


def test_a_journey_by_keyboard_only(prod_app, browser):
    """Tab to the month picker, open it with the arrow key and type the month, Enter; Tab to Cared For, Enter."""
    page = sign_in(browser, prod_app, "viewer@example.test", "/overview?month=2024-01", viewport=(1280, 900))

    def tab_to(check: str, limit: int = 80) -> None:
        seen = []
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(check):
                return
            seen.append(
                page.evaluate(
                    "document.activeElement.tagName + ':' + (document.activeElement"
                    ".getAttribute('aria-label') || document.activeElement.innerText || '')"
                    ".slice(0, 30)"
                )
            )
        shot(page, "31-keyboard-journey-failed")
        raise AssertionError(f"Tab never reached: {check}; went through {seen}")

    tab_to("document.activeElement.getAttribute('aria-label') === 'Month'")
    page.keyboard.press("ArrowDown")  # opens the list
    page.keyboard.type("September 2023")  # the list narrows as you type
    page.keyboard.press("Enter")
    page.wait_for_url("**month=2023-09**", timeout=30_000)  # the address changes once the pick's run starts
    look(page)
    assert "month=2023-09" in page.url
    tab_to("document.activeElement.tagName === 'A' && document.activeElement.innerText.trim() === 'Cared For'")
    # a focused page link wears a ring of its own, not only the pale fill the current page has (found on a walk)
    ring = page.evaluate(
        "(e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth])(document.activeElement)"
    )
    assert ring[0] == "solid" and float(ring[1].removesuffix("px")) >= 2, ring
    page.keyboard.press("Enter")
    page.wait_for_url("**/cared-for?**", timeout=30_000)
    look(page)
    assert "/cared-for" in page.url and "month=2023-09" in page.url
    page.get_by_role("heading", name="Cared For Children and Care Leavers").wait_for()
    # The page's own controls are reachable too: the scorecard's download for the panel papers.
    tab_to(
        "document.activeElement.tagName === 'BUTTON' && document.activeElement.innerText.includes('Download Excel')",
        limit=150,
    )
    shot(page, "31-keyboard-journey")
