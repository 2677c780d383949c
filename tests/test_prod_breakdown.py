"""Production mode, issue 31: who sees what of the children's records behind a computed figure. A viewer sees team
aggregates and no worker's name or pseudonym; the CIN area editor, granted record-level access for CIN, sees CIN8's
children to discuss and not Cared For's; a publisher without it is refused the list, and the refusal is audited.
One server for the module (it loads a synthetic extract, so it is not the shared one); axe on the drill-down."""

import datetime as dt
import re

import pytest
from prod import look, sign_in
from test_accessibility import WCAG, _owner

from dashboard import store
from dashboard.records import pseudonym, stored, synth
from dashboard.writes import audit

pytestmark = pytest.mark.browser

AS_AT = dt.date(2024, 1, 31)
CIN8 = "/indicator?ref=CIN8&month=2024-01&view=breakdown"
CF3 = "/indicator?ref=CF3&month=2024-01&view=breakdown"
PSEUDONYM = re.compile(r"\b[0-9a-f]{64}\b")


@pytest.fixture(scope="module")
def app(prod_app):
    """The module's own app, holding the synthetic council's Jan-24 extract (loaded as make run loads it)."""
    plan = synth.simulate(AS_AT, 1, 1)
    extract = synth.extract(synth.rows_as_at(plan, AS_AT), AS_AT, pseudonym.DEMO_KEY)
    extract.synthetic = True
    stored.publish_extract(prod_app.db, extract, user="setup", demo_key=True)
    store.ReadOnlyStore.close_all()
    return prod_app


def _open(browser, app, who: str, path: str):
    page = sign_in(browser, app, who, path)
    page.get_by_role("heading", name="Breakdown").wait_for(timeout=180_000)
    look(page)
    page.get_by_role("heading", name="By team, January 2024").wait_for()
    return page


def _refusals(app, who: str) -> list[str]:
    trail = audit.trail(app.db)
    return trail[(trail["who"] == who) & (trail["event"] == "refused: records")]["what"].tolist()


def test_a_viewer_sees_team_aggregates_and_no_names_or_pseudonyms(app, browser):
    page = _open(browser, app, "viewer@example.test", CIN8)
    assert page.get_by_text(stored.BANNER).count() == 1
    text = page.content()
    assert "Synthetic Locality Team North" in text  # the team figures
    assert "Social Worker" not in text and not PSEUDONYM.search(text)
    assert page.get_by_role("heading", name="By worker within a team").count() == 0
    page.get_by_text("needs record-level access for this area").wait_for()
    page.context.close()


def test_the_cin_editor_sees_cins_children_and_not_cared_fors(app, browser):
    page = _open(browser, app, "cin-editor@example.test", CIN8)
    page.get_by_role("heading", name="The children to discuss").wait_for()
    page.get_by_role("button", name="Download the list (CSV, OFFICIAL-SENSITIVE)").wait_for()
    # The list is a grid drawn after the script finishes: its cells reach the page a moment later (wait, not sleep)
    page.wait_for_function(
        """() => /\\b[0-9a-f]{64}\\b/.test(document.documentElement.innerHTML)
            && document.documentElement.innerHTML.includes("Synthetic Social Worker")""",
        timeout=60_000,
    )
    text = page.content()
    assert PSEUDONYM.search(text) and "Synthetic Social Worker" in text
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options=WCAG).response
    ours = [
        (v["id"], node["html"][:120])
        for v in result["violations"]
        for node in v["nodes"]
        if _owner(page, node["target"]) == "ours"
    ]
    assert ours == []
    # The file is made when the button is pressed, never before: Streamlit serves a made file to any address that
    # asks, so each press makes its own (named by who and when, so a new address) and audits it.
    served = []
    page.on("request", lambda r: served.append(r.url) if "/media/" in r.url else None)
    firsts = []
    for _ in range(2):
        with page.expect_download() as got:
            page.get_by_role("button", name="Download the list (CSV, OFFICIAL-SENSITIVE)").click()
        download = got.value
        assert download.suggested_filename == "OFFICIAL-SENSITIVE-children-to-discuss-CIN8-2024-01.csv"
        with open(download.path(), encoding="utf-8") as f:
            assert f.readline().startswith("OFFICIAL-SENSITIVE")
            firsts.append(f.readline())
    assert all(line.startswith("Downloaded by cin-editor@example.test at ") for line in firsts)
    assert len(set(served)) == 2, served  # two presses, two files at two addresses
    page.goto(app.url + CF3)
    page.get_by_role("heading", name="Breakdown").wait_for(timeout=180_000)
    look(page)
    page.get_by_text("needs record-level access for this area").wait_for()
    assert not PSEUDONYM.search(page.content()) and "Cared for Worker" not in page.content()
    trail = audit.trail(app.db)
    mine = trail[trail["who"] == "cin-editor@example.test"]
    viewed = mine[mine["event"] == "records viewed"]["what"].tolist()
    assert any(w.startswith("CIN8 2024-01: children to discuss, every team (") for w in viewed)
    downloaded = mine[mine["event"] == "records downloaded"]["what"].tolist()
    assert set(mine[mine["event"] == "records downloaded"]["outcome"]) == {"done"}
    assert sum("OFFICIAL-SENSITIVE-children-to-discuss-CIN8-2024-01.csv" in w for w in downloaded) == 2
    assert any(w.startswith("CF3 2024-01") for w in _refusals(app, "cin-editor@example.test"))
    page.context.close()


def test_a_publisher_without_record_access_is_refused_and_audited(app, browser):
    page = _open(browser, app, "pub@example.test", CIN8)
    page.get_by_text("needs record-level access for this area").wait_for()
    assert not PSEUDONYM.search(page.content())
    assert _refusals(app, "pub@example.test") == ["CIN8 2024-01: children to discuss for cin_cp; council tameside"]
    page.context.close()
