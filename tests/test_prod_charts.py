"""Production mode, charts and the projector: a viewer steps through every presenter slide of January 2024 in a
1280x720 window, by arrow key and button (each fits, its Previous/Next/Leave buttons on screen), and the indicator
chart's labels, as the browser draws them, never overlap."""

import pytest
from prod import look, sign_in

pytestmark = pytest.mark.browser
PROD_SHARED = True  # reads only: the session's shared app (prod.prod_app checks nothing was written)

VIEWPORT = (1280, 720)
BUTTONS = ("◀ Previous", "Next ▶", "Leave presenter mode")

# What the slide occupies: the page's scrolling height and each control's box, in CSS pixels.
LAYOUT = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
  const boxes = {};
  for (const b of document.querySelectorAll('button')) {
    const name = b.innerText.split('\\n')[0].trim();
    const r = b.getBoundingClientRect();
    boxes[name] = [r.left, r.top, r.right, r.bottom];
  }
  return {scroll: Math.max(main.scrollHeight, document.scrollingElement.scrollHeight), boxes,
          title: (document.querySelector('h1') || {}).innerText || ''};
}"""

# Every text mark the chart draws (end-of-line labels, the SPC break, action marks): its text and its box.
LABEL_BOXES = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] g.role-mark text')]
  .filter(t => t.textContent.trim())
  .map(t => { const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; })"""


def test_every_presenter_slide_of_january_2024_fits_1280x720(prod_app, browser):
    """Every slide by turns from the keyboard (the arrow keys) and the Next button; the sidebar hidden, each
    exception slide's chart with its summary, and the left arrow going back one."""
    page = sign_in(browser, prod_app, "viewer@example.test", "/?present=1&month=2024-01", viewport=VIEWPORT)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.count() == 0 or not sidebar.is_visible()
    seen = []
    while True:
        look(page)
        page.get_by_role("button", name="Leave presenter mode").wait_for()
        layout = page.evaluate(LAYOUT)
        seen.append(layout["title"])
        assert layout["scroll"] <= VIEWPORT[1], f"slide {len(seen)} ({layout['title'][:60]}) is {layout['scroll']} px"
        for name in BUTTONS:
            left, top, right, bottom = layout["boxes"][name]
            assert left >= 0 and top >= 0 and right <= VIEWPORT[0] and bottom <= VIEWPORT[1], (len(seen), name)
        if len(seen) == 1:
            assert layout["title"].startswith("January 2024:"), layout["title"]
        else:
            assert any(f" is {word} " in layout["title"] for word in ("Red", "Amber", "Not rated")), layout["title"]
            page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').first.wait_for()
            assert page.get_by_text("Chart summary:").count() == 1, len(seen)
        following = page.get_by_role("button", name="Next ▶")
        if following.is_disabled():
            break
        if len(seen) % 2:
            page.keyboard.press("ArrowRight")
        else:
            following.click()
        page.wait_for_function("t => (document.querySelector('h1') || {}).innerText !== t", arg=layout["title"])
    assert len(seen) == 33 and len(set(seen)) == 33  # the title slide and 32 exceptions, each seen once
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("t => (document.querySelector('h1') || {}).innerText === t", arg=seen[-2])
    look(page)
    page.get_by_role("button", name="Leave presenter mode").click()
    look(page)
    page.get_by_text("Exceptions to discuss").wait_for()
    page.context.close()


def overlaps(a, b) -> bool:
    """Two boxes share more than half a pixel each way (anti-aliasing edges are not an overlap)."""
    return min(a[3], b[3]) - max(a[1], b[1]) > 0.5 and min(a[4], b[4]) - max(a[2], b[2]) > 0.5


@pytest.mark.parametrize("ref", ["CIN8", "FD1", "CIN20"])
def test_indicator_chart_labels_do_not_overlap(prod_app, browser, ref):
    page = sign_in(browser, prod_app, "viewer@example.test", f"/indicator?month=2024-01&ref={ref}")
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg g.role-mark text')
    boxes = page.evaluate(LABEL_BOXES)
    texts = [b[0] for b in boxes]
    assert "Average" in texts and any(t.startswith("Upper process limit") for t in texts), texts
    if ref == "CIN8":
        assert {"Target 85%", "England 2022/23", "SN 2022/23", "GM 2021/22"} <= set(texts)
    if ref == "FD1":
        assert "Previous year (2022/23)" in texts
    clashes = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if overlaps(a, b)]
    assert not clashes, clashes
    page.context.close()
