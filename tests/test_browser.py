"""The main journey in Debian's Chromium: overview -> pick a month -> area page -> indicator detail,
with the month kept in the URL. Screenshots go to test-artifacts/."""

import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ART = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, args: tuple[str, ...] = (), port: int | None = None, **env_extra: str):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is not installed at /usr/bin/chromium (make test installs it when run as root)")
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_ADMIN_SECRET"}
    env.update(DASHBOARD_DB=str(db), **env_extra)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("STREAMLIT_LOG", os.devnull), "w"),
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(built_db):
    proc, url = start_server(built_db)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def admin_server(built_db, tmp_path_factory):
    """A server on a private copy of the database with the admin secret configured."""
    db = tmp_path_factory.mktemp("admin") / "dashboard.duckdb"
    shutil.copyfile(built_db, db)
    proc, url = start_server(db, DASHBOARD_ADMIN_SECRET="panel-secret")
    yield url, db
    proc.terminate()
    proc.wait(timeout=20)


# True when the script is still finished after two animation frames (a rerun that a click or a page switch asked
# for has started by then) and nothing on the page is marked stale.
STILL = """() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(
    !!document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    && !document.querySelector('[data-stale="true"]')))))"""


def settle(page):
    """Wait for the page to finish its script runs: by events, never a fixed sleep."""
    for _ in range(200):
        page.wait_for_selector(READY, timeout=60_000)
        if page.evaluate(STILL):
            return
    pytest.fail(f"the page at {page.url} never settled")


def open_month_box(page) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Month").locator("input").click()


def month_options(page) -> list[str]:
    open_month_box(page)
    options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    return options


def pick_month(page, name: str) -> None:
    """Pick a month and wait for the run it starts. That run writes the month into the address, so waiting for the
    address cannot see the finished state of the run before (settle alone did not, on a loaded CI machine). No
    traceback may reach the viewer."""
    param = datetime.datetime.strptime(name, "%B %Y").strftime("month=%Y-%m")
    open_month_box(page)
    page.get_by_role("option", name=name).click()
    page.wait_for_url(re.compile(re.escape(param)), timeout=60_000)
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, f"a traceback after picking {name}"


def charts_drawn(page):
    """Every Vega-Lite chart on the page has drawn its canvas or SVG (they draw after the script finishes)."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
            .every(c => c.querySelector('canvas, svg'))""",
        timeout=30_000,
    )


def shot(page, name):
    ART.mkdir(exist_ok=True)
    page.screenshot(path=str(ART / f"{name}.png"), full_page=True)


def test_main_journey_keeps_the_month(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server + "/")
    settle(page)
    assert page.get_by_text("Exceptions to discuss").count() == 1
    shot(page, "01-overview")

    pick_month(page, "September 2023")
    assert page.get_by_text("September 2023 · Latest").count() == 1

    page.get_by_role("link", name="Cared For").click()
    page.wait_for_url("**/cared-for?**", timeout=30_000)  # the page changes once the link's run has started
    settle(page)
    assert "/cared-for" in page.url and "month=2023-09" in page.url
    page.get_by_role("heading", name="Cared For Children and Care Leavers").wait_for()
    page.get_by_text("Current (Sep-23)").first.wait_for(
        state="attached", timeout=30_000
    )  # the grid draws on canvas; its accessible table is hidden but attached
    shot(page, "02-cared-for-sep23")

    page.goto(server + "/indicator?month=2023-09&ref=CF9")
    settle(page)
    assert "month=2023-09" in page.url and "ref=CF9" in page.url
    page.get_by_role("heading", name="CF9 · Fostering - %").wait_for()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    assert page.get_by_text("Chart summary: CF9 Fostering").count() == 1
    shot(page, "03-indicator-cf9")

    page.get_by_role("link", name="Overview").click()
    page.wait_for_url("**/?month=2023-09**", timeout=30_000)
    settle(page)
    assert "month=2023-09" in page.url


def test_deep_link_as_first_request_goes_through_the_router(built_db, browser):
    proc, url = start_server(built_db)  # a fresh server: its first request is a deep link with URL state
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/indicator?month=2024-01&ref=CIN20")
        settle(page)
        page.get_by_role("link", name="Overview").wait_for()  # the app's navigation, not the pages/ folder's
        page.get_by_role("heading", name="CIN20 · Child Protection - Statutory visits in timescale").wait_for()
        assert "ref=CIN20" in page.url and "month=2024-01" in page.url
        assert page.get_by_text("Page not found").count() == 0  # page files are named as their URL paths
        fresh, other = start_server(built_db)  # a writer's page, with no URL state, as another fresh server's first
        try:
            page.goto(other + "/load")
            settle(page)
            page.get_by_role("heading", name="Load figures and commentary").wait_for()
            page.get_by_role("link", name="Overview").wait_for()
            assert page.get_by_text("Page not found").count() == 0
        finally:
            fresh.terminate()
            fresh.wait(timeout=20)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_link_opens_the_same_view(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(server + "/front-door?month=2023-09&vintage=pack-2023-11")
    settle(page)
    assert page.get_by_text("As reported: Scrutiny Panel pack, 8 November 2023").count() >= 1
    page.get_by_text("Current (Sep-23)").first.wait_for(state="attached", timeout=30_000)
    page.get_by_text("1,265").first.wait_for(state="attached", timeout=30_000)  # FD1 as the November pack printed it
    shot(page, "04-front-door-as-reported-nov23")


def test_admin_upload_preview_publish_and_view(admin_server, browser, tmp_path):
    url, db = admin_server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url + "/")
    settle(page)
    page.goto(url + "/load")
    settle(page)
    page.get_by_role("link", name="Overview").wait_for()
    page.get_by_role("heading", name="Load figures and commentary").wait_for()
    assert page.locator('[data-testid="stFileUploader"]').count() == 0  # locked until the secret is entered
    page.get_by_label("Admin secret").fill("panel-secret")
    page.get_by_role("button", name="Unlock").click()
    settle(page)
    upload = tmp_path / "feb24.csv"
    upload.write_text("ref,period,value\nFD1,2024-02,1432\nFD1,2024-01,1560\n")
    dropzone = '[data-testid="stFileUploaderDropzoneInput"]'
    page.get_by_role("region", name="Figures file").locator(dropzone).set_input_files(str(upload))
    page.get_by_text("Revisions to figures already reported").wait_for(timeout=30_000)
    settle(page)
    shot(page, "05-admin-preview")
    before = db.stat().st_mtime_ns
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("Published feb24.csv as vintage").wait_for(timeout=30_000)
    assert db.stat().st_mtime_ns != before

    viewer = browser.new_page(viewport={"width": 1280, "height": 720})  # another session, same server, no restart
    viewer.goto(url + "/front-door?month=2024-02")
    settle(viewer)
    viewer.get_by_text("Current (Feb-24)").first.wait_for(state="attached", timeout=30_000)
    viewer.get_by_text("1,432").first.wait_for(state="attached", timeout=30_000)

    # Next year's target, loaded from the same page with a preview, lands in the journal and on the detail page.
    targets = tmp_path / "targets-2024-25.csv"
    targets.write_text("ref,target,from\nCIN8,90%,2024/25\n")
    page.get_by_role("region", name="Targets file").locator(dropzone).set_input_files(str(targets))
    page.get_by_text("What publishing targets-2024-25.csv will change").wait_for(timeout=30_000)
    settle(page)
    page.get_by_role("button", name="Publish targets").click()
    page.get_by_text("Published as vintage targets-").wait_for(timeout=30_000)
    kinds = [json.loads((e / "manifest.json").read_text())["kind"] for e in sorted((db.parent / "journal").iterdir())]
    assert kinds == ["upload", "targets"]
    viewer.goto(url + "/indicator?ref=CIN8&month=2024-01")
    settle(viewer)
    try:
        viewer.get_by_text("Targets over time").wait_for(timeout=30_000)
    finally:
        shot(viewer, "05b-target-history")

    # A DfE release revising Tameside's 2022/23 looked-after rate (127 -> 128 per 10k), through the same page.
    release = tmp_path / "cla_number_and_rate_per_10k_children.csv"
    fixture = Path(__file__).parent / "fixtures" / "national" / release.name
    release.write_bytes(fixture.read_bytes().replace(b"51744,655,127", b"51744,660,128"))
    page.get_by_role("region", name="National statistics files").locator(dropzone).set_input_files(str(release))
    page.get_by_text("What publishing will change").wait_for(timeout=30_000)
    settle(page)
    page.get_by_role("button", name="Publish national statistics").click()
    page.get_by_text("Published as vintage national-").wait_for(timeout=30_000)
    kinds = [json.loads((e / "manifest.json").read_text())["kind"] for e in sorted((db.parent / "journal").iterdir())]
    assert kinds == ["upload", "targets", "national"]
    viewer.goto(url + "/indicator?ref=CF2&month=2023-09")
    settle(viewer)
    viewer.get_by_role("heading", name="How we compare").wait_for(timeout=30_000)
    # The How we compare table's 2022/23 row now reads 128.
    row = (
        viewer.locator('[data-testid="stMarkdownContainer"] table tr').filter(has_text="2022/23").filter(has_text="128")
    )
    row.first.wait_for(state="attached", timeout=30_000)

    # The month's plan BRAG, through the same page: its preview, then the publish.
    brag = tmp_path / "brag.csv"
    brag.write_text("action_ref,action_brag,impact_brag,commentary\n2.1,Blue,Green,MASH meetings in place\n")
    page.get_by_role("region", name="Plan update file").locator(dropzone).set_input_files(str(brag))
    page.get_by_text("What publishing brag.csv will change (actions named: 1)").wait_for(timeout=30_000)
    settle(page)
    shot(page, "05c-plan-update-preview")
    page.get_by_role("button", name="Publish plan update").click()
    page.get_by_text("Published as vintage plan-").wait_for(timeout=30_000)
    kinds = [json.loads((e / "manifest.json").read_text())["kind"] for e in sorted((db.parent / "journal").iterdir())]
    assert kinds == ["upload", "targets", "national", "plan"]


def test_improvement_plan_page(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server + "/improvement-plan?month=2024-01")
    settle(page)
    page.get_by_role("heading", name="Improvement plan").wait_for()
    page.get_by_role("heading", name="1: Quality of Practice").wait_for()
    shot(page, "08-improvement-plan")
    page.get_by_role("tab", name="By focus area").click()
    page.get_by_text("FA5 · Plans and Timeliness").click()
    page.get_by_text("CIN20").first.wait_for(state="attached", timeout=30_000)
    shot(page, "09-improvement-plan-focus-areas")
    assert "month=2024-01" in page.url


def test_downloads_are_made_on_click(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page.goto(server + "/front-door?month=2023-09")
    settle(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "scorecard-2023-09-front_door.csv"
    rows = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("Ref,Indicator,Area") and rows[1].startswith("FD1,")
    # The PDF is prepared in the page, with a status naming each step, then offered for download.
    page.get_by_role("button", name="Prepare PDF panel pack").click()
    page.get_by_role("button", name="Download PDF panel pack").wait_for(timeout=90_000)
    settle(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download PDF panel pack").click()
    assert download.value.suggested_filename == "scorecard-2023-09-front_door.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")


def test_commentary_and_labels_fetch_nothing_from_other_sites(admin_server, browser, tmp_path):
    """User text reaches every viewer: no image is fetched and no link to another site is drawn."""
    from dashboard import store
    from dashboard.writes import commentary, loader

    url, db = admin_server
    hostile = (
        "*Referrals rose* in January.\n\n![pixel](http://tracker.invalid/p.png) "
        "[Official figures](http://tracker.invalid/page) and www.tracker.invalid/x or http://tracker.invalid/y"
    )
    commentary.publish(db, "cin_cp", datetime.date(2024, 1, 1), hostile, author="Test")
    f = tmp_path / "label.csv"
    f.write_text("ref,period,value\nCIN1,2024-01,377\n")
    vintage, _ = loader.load_file(
        db, f, label="[Official](http://tracker.invalid/l) ![t](http://tracker.invalid/t.png)"
    )
    store.ReadOnlyStore.close_all()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(url + f"/child-in-need?month=2024-01&vintage={vintage}")
    settle(page)
    page.get_by_text("Referrals rose").first.wait_for(timeout=30_000)
    assert page.locator("img[src*='tracker']").count() == 0
    links = page.locator("a[href*='tracker']")
    assert links.count() == 0, [
        (links.nth(i).get_attribute("href"), links.nth(i).inner_text()) for i in range(links.count())
    ]
    assert not [u for u in requested if "tracker" in u]
    assert page.get_by_text("[image not shown: pixel]").count() == 1
    shot(page, "07-safe-commentary")
    for path in ("/about", "/data-quality"):  # the label again, as a cell of the vintages tables
        page.goto(url + path)
        settle(page)
        page.get_by_text("Official](h", exact=False).first.wait_for(state="attached", timeout=30_000)
        assert page.locator("img[src*='tracker']").count() == 0 and page.locator("a[href*='tracker']").count() == 0
    assert not [u for u in requested if "tracker" in u]
