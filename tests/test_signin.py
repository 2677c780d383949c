"""Sign-in for real, as deployed (tests/prod.py: the local OpenID Connect provider, Streamlit's own st.login, the
roles file, the warm-up on): Debian's Chromium signing in as a viewer, an area editor and a publisher, a stranger
with no role and a refused consent, each write and refusal audited."""

import json
import time

import pytest
from prod import look, sign_in
from test_browser import ART

from dashboard.writes import audit

pytestmark = pytest.mark.browser


def nav_links(page) -> list[str]:
    """Every page the sidebar offers (its links, drawn by routing.nav_links)."""
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]')
    return [t.strip().split("\n")[-1] for t in links.all_inner_texts()]


def test_a_stranger_sees_only_the_sign_in_page_even_by_deep_link(prod_app, browser):
    page = browser.new_context().new_page()
    for path in ("/", "/load", "/front-door?month=2024-01", "/audit"):
        page.goto(prod_app.url + path)
        look(page)
        page.get_by_role("button", name="Sign in").wait_for()
        body = page.inner_text("body")
        assert "Front Door" not in body and "Red" not in body and "audit" not in body.lower(), path
    page.screenshot(path=str(ART / "20-sign-in.png"), full_page=True)
    page.context.close()


def test_a_viewer_reads_but_has_no_admin_page(prod_app, browser):
    page = sign_in(browser, prod_app, "viewer@example.test", fresh=True)  # through the provider's pages
    page.get_by_text("Exceptions to discuss").wait_for()
    links = nav_links(page)
    assert "Front Door" in links and "Revisions" in links
    assert "Load figures and commentary" not in links and "Audit trail" not in links
    assert page.get_by_text("Signed in as viewer@example.test (viewer)").count() == 1
    page.goto(prod_app.url + "/load")
    look(page)
    assert page.get_by_role("heading", name="Load figures and commentary").count() == 0
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    page.goto(prod_app.url + "/front-door?month=2024-01")
    look(page)
    page.get_by_text("Draft commentary from the figures").click()
    page.get_by_text("needs this area's editor role").wait_for()
    assert page.get_by_role("button", name="Publish as this area's commentary").count() == 0
    page.context.close()


def test_an_area_editor_writes_only_their_areas_commentary(prod_app, browser):
    page = sign_in(browser, prod_app, "cin-editor@example.test", "/early-help?month=2024-01")
    page.get_by_text("Draft commentary from the figures").click()
    page.get_by_text("needs this area's editor role").wait_for()
    page.goto(prod_app.url + "/load")
    look(page)
    page.get_by_role("heading", name="Load figures and commentary").wait_for()
    assert page.locator('[data-testid="stFileUploader"]').count() == 0  # figures are the publishers'
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Service area")
    box.locator("input").click()
    options = page.get_by_role("option").all_inner_texts()
    assert [o.strip() for o in options] == ["Child in Need and Child Protection"], options
    page.keyboard.press("Escape")
    page.get_by_label("Commentary", exact=True).fill("Referrals fell in January; the duty rota is being reviewed.")
    assert page.get_by_label("Your name (recorded with the edit)").count() == 0  # signed in: no name to type
    page.get_by_role("button", name="Publish commentary").click()
    page.get_by_text("Saved as vintage commentary-").wait_for(timeout=30_000)
    journal = prod_app.data_dir / "journal"
    entries = sorted(journal.iterdir())
    manifests = [json.loads((e / "manifest.json").read_text()) for e in entries]
    assert manifests[-1]["kind"] == "commentary" and manifests[-1]["user"] == "cin-editor@example.test"
    assert "edited in the app by cin-editor@example.test" in (entries[-1] / "rows.jsonl").read_text()
    page.goto(prod_app.url + "/revisions")
    look(page)
    page.get_by_role("heading", name="Who loaded what").wait_for()
    page.get_by_text("loaded by cin-editor@example.test on").first.wait_for(state="attached", timeout=30_000)
    page.screenshot(path=str(ART / "21-revisions-who-loaded.png"), full_page=True)
    page.context.close()


def test_a_publisher_loads_figures_and_the_audit_names_them(prod_app, browser, tmp_path):
    page = sign_in(browser, prod_app, "pub@example.test", "/load")
    page.get_by_role("heading", name="Load figures and commentary").wait_for()
    upload = tmp_path / "feb24.csv"
    upload.write_text("ref,period,value\nFD1,2024-02,1432\n")
    dropzone = '[data-testid="stFileUploaderDropzoneInput"]'
    page.get_by_role("region", name="Figures file").locator(dropzone).set_input_files(str(upload))
    page.get_by_role("button", name="Publish", exact=True).wait_for(timeout=30_000)
    look(page)
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("Published feb24.csv as vintage").wait_for(timeout=30_000)
    assert page.get_by_text("Edit commentary").count() == 0  # a publisher writes no area's commentary
    trail = audit.trail(prod_app.db)
    writes = trail[trail["outcome"] == "published"]
    assert writes.iloc[-1]["who"] == "pub@example.test" and "feb24.csv" in writes.iloc[-1]["what"]
    page.context.close()


def test_refused_and_failed_sign_ins_are_audited(prod_app, browser):
    db = prod_app.db
    page = sign_in(browser, prod_app, "stranger@example.test", fresh=True)
    page.get_by_text("you have no access to this dashboard yet").wait_for()
    assert page.get_by_text("Exceptions to discuss").count() == 0
    page.screenshot(path=str(ART / "22-no-role.png"), full_page=True)
    page.context.close()
    page = browser.new_context().new_page()  # consent refused at the provider
    page.goto(prod_app.url + "/")
    look(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(prod_app.url + "/**", timeout=30_000)
    look(page)
    page.get_by_role("button", name="Sign in").wait_for()  # back at the start, still signed out
    deadline = time.time() + 10
    while time.time() < deadline:
        events = set(audit.trail(db)["event"])
        if {"sign-in without a role", "sign-in failed"} <= events:
            break
        time.sleep(0.2)
    trail = audit.trail(db)
    assert "stranger@example.test" in set(trail.loc[trail["event"] == "sign-in without a role", "who"])
    assert trail.loc[trail["event"] == "sign-in failed", "what"].str.contains("access_denied").any()
    page.context.close()
