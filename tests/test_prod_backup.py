"""Production mode: backup -> wipe -> restore keeps the audit trail (issue 26 item 8). An area editor writes and
is then refused, a stranger signs in without a role; the CLI backs up, the data directory is wiped and restored;
the admin's Audit trail page still lists the refusal."""

import shutil
from pathlib import Path

import pytest
from prod import ROLES, look, sign_in, start_prod_app, stop

from dashboard import cli, store
from dashboard.writes import audit, journal

pytestmark = pytest.mark.browser

# As a council would: the journal key in the deployment's secrets, so a rebuilt server verifies its own backups.
KEY = "a-council-journal-key-kept-in-its-secrets-0123456789"
EDITOR_GRANT = (
    '[[grant]]\nemail = "cin-editor@example.test"\nrole = "area_editor"\nareas = ["cin_cp"]\nrecords = ["cin_cp"]\n'
)


@pytest.fixture(scope="module")
def app(provider, built_db, tmp_path_factory):
    served = start_prod_app(provider, built_db, tmp_path_factory.mktemp("prod-backup"), DASHBOARD_JOURNAL_KEY=KEY)
    yield served
    stop(served)


def test_backup_wipe_restore_keeps_the_refused_write_on_the_audit_page(app, browser, tmp_path, monkeypatch):
    monkeypatch.setenv(journal.KEY_ENV, KEY)
    assert EDITOR_GRANT in ROLES
    page = sign_in(browser, app, "cin-editor@example.test", "/load")
    page.get_by_role("heading", name="Load figures and commentary").wait_for()
    box = page.get_by_label("Commentary", exact=True)
    box.fill("Referrals rose in January; the MASH rota is being reviewed.")
    page.get_by_role("button", name="Publish commentary").click()
    page.get_by_text("Saved as vintage commentary-").wait_for(timeout=30_000)
    look(page)

    # The editor's role is withdrawn while the form is open: the next publish is refused at the server and logged.
    roles = app.home / "roles.toml"
    roles.write_text(ROLES.replace(EDITOR_GRANT, ""))
    try:
        box.fill("A second edit, made after the role was withdrawn.")
        page.get_by_role("button", name="Publish commentary").click()
        page.get_by_text("Refused:").or_(page.get_by_text("you have no access to this dashboard yet")).first.wait_for(
            timeout=30_000
        )
        look(page)
    finally:
        roles.write_text(ROLES)
    stranger = sign_in(browser, app, "stranger@example.test")
    stranger.get_by_text("you have no access to this dashboard yet").wait_for()

    before = audit.trail(app.db)
    refused = before[before["event"].str.startswith("refused:")]
    assert "cin-editor@example.test" in set(refused["who"]), before.to_string()
    (entry,) = journal.entries(journal.journal_dir(app.db))  # the refused edit was never journaled
    assert b"second edit" not in (entry.path / "rows.jsonl").read_bytes()

    archive = tmp_path / "backup.tar.gz"
    assert cli.main(["--db", str(app.db), "backup", str(archive)]) == 0
    shutil.rmtree(app.data_dir)  # database, journal, audit events: all gone
    assert cli.main(["--db", str(app.db), "restore", str(archive)]) == 0
    store.ReadOnlyStore.close_all()

    admin = sign_in(browser, app, "admin@example.test", "/audit")
    admin.get_by_role("heading", name="Audit trail").wait_for()
    look(admin)
    with admin.expect_download(timeout=60_000) as download:
        admin.get_by_role("button", name="Download the audit trail (CSV)").click()
    shown = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert any("refused:" in line and "cin-editor@example.test" in line for line in shown), shown
    assert any("sign-in without a role" in line and "stranger@example.test" in line for line in shown), shown
    assert any("write: commentary" in line and "cin-editor@example.test" in line for line in shown), shown
    assert any(",restore," in line for line in shown), shown
    look(admin)
