"""The production-mode suite's own guard: a module sharing the session's server (PROD_SHARED) fails if it wrote.
What counts as a write is the database's bytes and the journal's files; an audit refusal is not one."""

from prod import ProdApp, written_state


def test_the_shared_app_guard_sees_a_write_but_not_an_audit_refusal(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    db = data / "dashboard.duckdb"
    db.write_bytes(b"the database")
    app = ProdApp(url="http://127.0.0.1:1", db=db, home=tmp_path, log=tmp_path / "server.log", proc=None)
    before = written_state(app)

    (data / "audit").mkdir()
    (data / "audit" / "events.jsonl").write_text('{"event": "refused: load"}\n')  # a viewer told no
    assert written_state(app) == before

    entry = data / "journal" / "upload-1"
    entry.mkdir(parents=True)
    (entry / "manifest.json").write_text("{}")
    assert written_state(app) != before  # a journal entry is a write
    (entry / "manifest.json").unlink()
    entry.rmdir()
    assert written_state(app) == before

    db.write_bytes(b"the database, replaced")
    assert written_state(app) != before  # so is a changed database
