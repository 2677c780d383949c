"""Two replicas, one store: two Streamlit servers over the same database file (as behind a reverse proxy with
sticky sessions). A load published through one is served by the other on its next interaction."""

import shutil

import pytest
from test_browser import month_options, pick_month, settle, shot, start_server

pytestmark = pytest.mark.browser


@pytest.fixture()
def replicas(built_db, tmp_path):
    db = tmp_path / "dashboard.duckdb"
    shutil.copyfile(built_db, db)
    a, url_a = start_server(db, DASHBOARD_ADMIN_SECRET="replica-secret")
    b, url_b = start_server(db, DASHBOARD_ADMIN_SECRET="replica-secret")
    yield url_a, url_b, db
    for proc in (a, b):
        proc.terminate()
        proc.wait(timeout=20)


def test_a_load_through_one_replica_is_served_by_the_other(replicas, browser, tmp_path):
    url_a, url_b, db = replicas
    reader_b = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    reader_b.goto(url_b + "/front-door?month=2024-01")
    settle(reader_b)
    assert "February 2024" not in month_options(reader_b)  # B has served the old vintage, so it holds it open

    writer_a = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    writer_a.goto(url_a + "/load")
    settle(writer_a)
    writer_a.get_by_label("Admin secret").fill("replica-secret")
    writer_a.get_by_role("button", name="Unlock").click()
    settle(writer_a)
    upload = tmp_path / "feb24.csv"
    upload.write_text("ref,period,value\nFD1,2024-02,1432\nFD1,2024-01,1560\n")
    writer_a.get_by_role("region", name="Figures file").locator(
        '[data-testid="stFileUploaderDropzoneInput"]'
    ).set_input_files(str(upload))
    writer_a.get_by_role("button", name="Publish", exact=True).wait_for(timeout=30_000)
    settle(writer_a)
    writer_a.get_by_role("button", name="Publish", exact=True).click()
    writer_a.get_by_text("Published feb24.csv as vintage").wait_for(timeout=30_000)

    # B's next interaction (the same session, no restart, no page reload) picks another month; the run it
    # starts reads the new file, so February is offered and shows the new figure.
    pick_month(reader_b, "December 2023")
    assert "February 2024" in month_options(reader_b)
    pick_month(reader_b, "February 2024")
    reader_b.get_by_text("Current (Feb-24)").first.wait_for(state="attached", timeout=30_000)
    reader_b.get_by_text("1,432").first.wait_for(state="attached", timeout=30_000)
    # the revision (FD1 Jan-24 1,560) is whole on B as well: the new vintage, not half of it
    reader_b.goto(url_b + "/revisions")
    settle(reader_b)
    reader_b.get_by_text("Upload of feb24.csv").first.wait_for(state="attached", timeout=30_000)
    assert reader_b.locator('[data-testid="stException"]').count() == 0
    assert writer_a.locator('[data-testid="stException"]').count() == 0
    shot(reader_b, "23-replica-b-after-load-through-a")
