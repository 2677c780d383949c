"""Sign-in for real: a local OpenID Connect provider (oidc-provider-mock) on 127.0.0.1, Streamlit's own
st.login against it, and Debian's Chromium signing in as a viewer, an area editor and a publisher."""

import json
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest
from test_browser import free_port, settle, shot, start_server

from dashboard.writes import audit

pytestmark = pytest.mark.browser

USERS = {
    "viewer@example.test": {},
    "editor@example.test": {},
    "pub@example.test": {"groups": ["performance-team"]},
    "stranger@example.test": {},
}
ROLES = """
[[grant]]
email = "viewer@example.test"
role = "viewer"

[[grant]]
email = "editor@example.test"
role = "area_editor"
areas = ["front_door"]

[[grant]]
group = "performance-team"
role = "publisher"
"""


@pytest.fixture(scope="module")
def provider():
    port = free_port()
    claims = [json.dumps({"sub": email, "email": email, **extra}) for email, extra in USERS.items()]
    cmd = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)]
    for c in claims:
        cmd += ["--user-claims", c]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=2).read()
            break
        except OSError:
            if time.time() > deadline:
                proc.kill()
                pytest.fail("the test OpenID provider did not start")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def signed_app(provider, built_db, tmp_path_factory):
    """The app with [auth] pointing at the test provider, a roles file, and a private database."""
    home = tmp_path_factory.mktemp("signin")
    db = home / "dashboard.duckdb"
    shutil.copyfile(built_db, db)
    port = free_port()
    (home / "roles.toml").write_text(ROLES)
    (home / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-used-only-here"\n'
        'client_id = "dashboard"\n'
        'client_secret = "a-test-client-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    proc, url = start_server(
        db, args=("--secrets.files", str(home / "secrets.toml")), port=port, DASHBOARD_ROLES=str(home / "roles.toml")
    )
    yield url, db
    proc.terminate()
    proc.wait(timeout=20)


def sign_in(browser, url: str, who: str, path: str = "/"):
    """A fresh browser (no cookies), through the provider's consent page, back to the app."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url + "/")
    settle(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    if who == "deny":
        page.get_by_role("button", name="Deny").click()
    else:
        page.get_by_role("button", name=who, exact=True).click()
    page.wait_for_url(url + "/**", timeout=30_000)
    settle(page)
    if path != "/":  # the provider returns to the start page, as Streamlit's callback does
        page.goto(url + path)
        settle(page)
    return page


def nav_links(page) -> list[str]:
    """Every page the sidebar offers (its links, drawn by routing.nav_links)."""
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]')
    return [t.strip().split("\n")[-1] for t in links.all_inner_texts()]


def test_a_stranger_sees_only_the_sign_in_page_even_by_deep_link(signed_app, browser):
    url, _ = signed_app
    page = browser.new_context().new_page()
    for path in ("/", "/load", "/front-door?month=2024-01", "/audit"):
        page.goto(url + path)
        settle(page)
        page.get_by_role("button", name="Sign in").wait_for()
        body = page.inner_text("body")
        assert "Front Door" not in body and "Red" not in body and "audit" not in body.lower(), path
    shot(page, "20-sign-in")


def test_a_viewer_reads_but_has_no_admin_page(signed_app, browser):
    url, _ = signed_app
    page = sign_in(browser, url, "viewer@example.test")
    page.get_by_text("Exceptions to discuss").wait_for()
    links = nav_links(page)
    assert "Front Door" in links and "Revisions" in links
    assert "Load figures and commentary" not in links and "Audit trail" not in links
    assert page.get_by_text("Signed in as viewer@example.test (viewer)").count() == 1
    page.goto(url + "/load")
    settle(page)
    assert page.get_by_role("heading", name="Load figures and commentary").count() == 0
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    page.goto(url + "/front-door?month=2024-01")
    settle(page)
    page.get_by_text("Draft commentary from the figures").click()
    page.get_by_text("needs this area's editor role").wait_for()
    assert page.get_by_role("button", name="Publish as this area's commentary").count() == 0


def test_an_area_editor_writes_only_their_areas_commentary(signed_app, browser):
    url, db = signed_app
    page = sign_in(browser, url, "editor@example.test", "/early-help?month=2024-01")
    page.get_by_text("Draft commentary from the figures").click()
    page.get_by_text("needs this area's editor role").wait_for()
    page.goto(url + "/load")
    settle(page)
    page.get_by_role("heading", name="Load figures and commentary").wait_for()
    assert page.locator('[data-testid="stFileUploader"]').count() == 0  # figures are the publishers'
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Service area")
    box.locator("input").click()
    options = page.get_by_role("option").all_inner_texts()
    assert [o.strip() for o in options] == ["Front Door (MASH and EHAP)"], options
    page.keyboard.press("Escape")
    page.get_by_label("Commentary", exact=True).fill("Contacts fell in January; the MASH rota is being reviewed.")
    page.get_by_role("button", name="Publish commentary").click()
    page.get_by_text("Saved as vintage commentary-").wait_for(timeout=30_000)
    manifests = [json.loads((e / "manifest.json").read_text()) for e in sorted((db.parent / "journal").iterdir())]
    assert manifests[-1]["kind"] == "commentary" and manifests[-1]["user"] == "editor@example.test"
    page.goto(url + "/revisions")
    settle(page)
    page.get_by_role("heading", name="Who loaded what").wait_for()
    page.get_by_text("loaded by editor@example.test on").first.wait_for(state="attached", timeout=30_000)
    shot(page, "21-revisions-who-loaded")


def test_a_publisher_loads_figures_and_the_audit_names_them(signed_app, browser, tmp_path):
    url, db = signed_app
    page = sign_in(browser, url, "pub@example.test", "/load")
    page.get_by_role("heading", name="Load figures and commentary").wait_for()
    upload = tmp_path / "feb24.csv"
    upload.write_text("ref,period,value\nFD1,2024-02,1432\n")
    dropzone = '[data-testid="stFileUploaderDropzoneInput"]'
    page.get_by_role("region", name="Figures file").locator(dropzone).set_input_files(str(upload))
    page.get_by_role("button", name="Publish", exact=True).wait_for(timeout=30_000)
    settle(page)
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("Published feb24.csv as vintage").wait_for(timeout=30_000)
    assert page.get_by_text("Edit commentary").count() == 0  # a publisher writes no area's commentary
    trail = audit.trail(db)
    writes = trail[trail["outcome"] == "published"]
    assert writes.iloc[-1]["who"] == "pub@example.test" and "feb24.csv" in writes.iloc[-1]["what"]


def test_refused_and_failed_sign_ins_are_audited(signed_app, browser):
    url, db = signed_app
    page = sign_in(browser, url, "stranger@example.test")
    page.get_by_text("you have no access to this dashboard yet").wait_for()
    assert page.get_by_text("Exceptions to discuss").count() == 0
    shot(page, "22-no-role")
    page = sign_in(browser, url, "deny")
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
