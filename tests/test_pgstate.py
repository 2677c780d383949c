"""The shared state on a real PostgreSQL (Debian's package, started here in a temporary directory as an
unprivileged user): two "hosts" are two data directories sharing only the database. If PostgreSQL cannot be
started, every test here fails with the reason; none is skipped."""

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from pgserver import NoPostgres, postgres_server

from dashboard import cli, store
from dashboard.auth import access
from dashboard.writes import audit, journal, state

PYTHON = sys.executable
KEY = "pgstate-test-key-0123456789abcdef"


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session; if it cannot start, every test here FAILS with the reason."""
    try:
        with postgres_server() as address:
            yield address
    except NoPostgres as exc:
        pytest.fail(str(exc))


_made = iter(range(1, 10_000))


@pytest.fixture()
def url(postgres, monkeypatch):
    """A database of its own for each test, configured as the shared state with the deployment's key."""
    name = f"state_{next(_made)}"
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    address = f"{postgres}/{name}"
    monkeypatch.setenv(state.URL_ENV, address)
    monkeypatch.setenv(journal.KEY_ENV, KEY)
    monkeypatch.setenv(journal.SECRETS_ENV, "/nonexistent/secrets.toml")
    yield address
    store.ReadOnlyStore.close_all()


def run(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", str(db), *args])
    store.ReadOnlyStore.close_all()
    return code, out.getvalue(), err.getvalue()


def spawn(db: Path, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(PYTHON).parent / "dashboard"), "--db", str(db), *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def dump_all(db: Path) -> str:
    code, out, err = run(db, "dump", "--all")
    assert code == 0, err
    return out


def has_loaded(db: Path, name: str) -> bool:
    """Whether a load of the file `name` has reached this host's database: a cheap read of the vintages to poll
    on (the whole dump is compared once it has)."""
    try:
        return any(name in str(f) for f in store.ReadOnlyStore(db).table("vintages")["source_file"])
    finally:
        store.ReadOnlyStore.close_all()


def figures(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text("ref,period,value\n" + rows, encoding="utf-8")
    return path


@pytest.fixture()
def hosts(url, tmp_path):
    """Two hosts' data directories: A built from sample_data/ + the shared journal, B given a copy of that file
    (as a new replica is provisioned; a build from scratch on a third host is tested below)."""
    a, b = tmp_path / "host-a" / "dashboard.duckdb", tmp_path / "host-b" / "dashboard.duckdb"
    code, _, err = run(a, "build")
    assert code == 0, err
    b.parent.mkdir()
    for name in (a.name, state.MARKER):
        shutil.copyfile(a.parent / name, b.parent / name)
    return a, b


def entries_in(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM dashboard_journal").fetchone()[0]


def test_a_load_through_one_host_is_served_by_the_other_after_catch_up(hosts, tmp_path):
    a, b = hosts
    before = dump_all(b)
    code, _, err = run(a, "load", str(figures(tmp_path, "feb24.csv", "CIN1,2024-02,301\nCIN1,2024-01,299\n")))
    assert code == 0, err
    assert list((a.parent / "journal").glob("0*")) == []  # the entries are in PostgreSQL, not this host's files
    assert dump_all(b) == before  # B serves its own file until it catches up: never half a load
    assert state.catch_up(b) == "published 1"  # one new entry after B's: published, not rebuilt
    assert dump_all(b) == dump_all(a) != before
    assert state.catch_up(b) == "current"
    # a fresh host (a third data directory) builds the same from the journal alone
    c = tmp_path / "host-c" / "dashboard.duckdb"
    assert run(c, "build")[0] == 0
    assert dump_all(c) == dump_all(a)


def test_a_following_host_catches_up_when_the_write_commits(hosts, tmp_path):
    a, b = hosts
    follower = subprocess.Popen(
        [
            PYTHON,
            "-c",
            "import sys, time; from dashboard.writes import state; state.follow(sys.argv[1]); time.sleep(300)",
            str(b),
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert run(a, "load", str(figures(tmp_path, "mar24.csv", "CIN1,2024-03,310\n")))[0] == 0
        deadline = time.monotonic() + 60
        while not has_loaded(b, "mar24.csv"):
            assert time.monotonic() < deadline, "host B never caught up"
            assert follower.poll() is None, "the follower died"
            time.sleep(0.2)
        assert dump_all(b) == dump_all(a)
    finally:
        follower.terminate()
        follower.wait(timeout=20)


def test_audit_events_and_writes_are_one_trail_on_every_host(hosts, tmp_path):
    a, b = hosts
    audit.record(a, "unlock failed", "address 10.0.0.7", "wrong admin secret")
    assert run(a, "load", str(figures(tmp_path, "feb24.csv", "CIN1,2024-02,301\n")))[0] == 0
    trail = audit.trail(b)
    assert "unlock failed" in set(trail["event"]) and "write: upload" in set(trail["event"])
    assert not (a.parent / "audit" / "events.jsonl").exists()  # in the shared state, not a host's files


@pytest.mark.parametrize("step", ["state-recorded", "state-before-commit"])
def test_a_write_killed_mid_commit_leaves_nothing_and_the_other_host_keeps_serving(hosts, tmp_path, url, step):
    a, b = hosts
    before = dump_all(b)
    killed = spawn(a, "load", str(figures(tmp_path, "feb24.csv", "CIN1,2024-02,301\n")), DASHBOARD_TEST_KILL_AT=step)
    killed.communicate(timeout=120)
    assert killed.returncode == -9
    assert entries_in(url) == 0  # the transaction died with the process: no entry, not half of one
    assert state.catch_up(b) == "current" and dump_all(b) == before
    # host A may have swapped in its file before the kill: it is marked, and rebuilt from the journal
    state.catch_up(a)
    assert dump_all(a) == before
    # and the lock died with it: the next write goes straight through
    assert run(a, "load", str(figures(tmp_path, "feb24b.csv", "CIN1,2024-02,302\n")))[0] == 0
    assert entries_in(url) == 1


def test_a_write_whose_transaction_fails_after_its_local_publish_puts_the_file_back(hosts, url):
    """This host never serves what the journal does not hold: the file as it was before the write is back at once."""
    from dashboard.writes import lifecycle

    a, _ = hosts
    before, marker = dump_all(a), (a.parent / state.MARKER).read_text()
    vintage = {"vintage": "upload-20240301-000000-000000", "label": "never kept", "published": "2024-03-01"}
    vintage |= {"source_file": "x.csv", "as_of_note": "", "kind": "upload", "loaded_at": "2024-03-01T00:00:00"}
    row = {"authority": "tameside", "ref": "CIN1", "period": "2024-02-01", "vintage": vintage["vintage"]}
    row |= {"value": 301.0, "status": "value", "note": "", "source_file": "x.csv", "source_line": 2}
    with pytest.raises(RuntimeError), journal.writer_lock(a, "a write that fails"):
        entry = journal.record(a, "upload", vintage, {"observations": pd.DataFrame([row])}, "t", "", "")
        known = {"refs": {"CIN1"}, "areas": set(), "authorities": {"tameside"}}
        typed, frames, problems = lifecycle._replay_frames(entry, known)
        assert not problems
        store.publish(a, typed, frames)
        store.ReadOnlyStore.close_all()
        assert "never kept" in dump_all(a)  # published on this host, not yet committed
        raise RuntimeError("the commit never happens")
    assert entries_in(url) == 0
    assert dump_all(a) == before and (a.parent / state.MARKER).read_text() == marker
    assert list(a.parent.glob("*.kept.tmp")) == []


def test_two_writers_on_two_hosts_at_once_both_land_one_after_the_other(hosts, tmp_path, url):
    a, b = hosts
    procs = [
        spawn(db, "load", str(figures(tmp_path, f"load{i}.csv", f"CIN{i},2024-02,{300 + i}\n")))
        for i, db in ((1, a), (6, b))
    ]
    results = [p.communicate(timeout=180) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0, 0], results
    with psycopg.connect(url) as conn:
        seqs = [r[0] for r in conn.execute("SELECT seq FROM dashboard_journal ORDER BY seq")]
    assert seqs == [1, 2]
    for db in (a, b):
        state.catch_up(db)
    assert dump_all(a) == dump_all(b)
    got = store.ReadOnlyStore(a).dump(True)
    store.ReadOnlyStore.close_all()
    feb = got[got["period"].astype(str).str.startswith("2024-02")].set_index("ref")["value"]
    assert feb["CIN1"] == 301 and feb["CIN6"] == 306


HOLD = """
import sys, time
from pathlib import Path
from dashboard.writes import journal
with journal.writer_lock(Path(sys.argv[1]), "a test holding the lock"):
    Path(sys.argv[2]).touch()
    deadline = time.monotonic() + 120
    while not Path(sys.argv[3]).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
"""


def test_a_writer_on_another_host_waits_a_bounded_time_then_is_refused_naming_the_holder(hosts, tmp_path, url):
    a, b = hosts
    ready, release = tmp_path / "ready", tmp_path / "release"
    holder = subprocess.Popen([PYTHON, "-c", HOLD, str(a), str(ready), str(release)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert time.monotonic() < deadline and holder.poll() is None
            time.sleep(0.05)
        before = dump_all(b)
        late = spawn(b, "load", str(figures(tmp_path, "feb24.csv", "CIN1,2024-02,301\n")), DASHBOARD_WRITE_WAIT="0.5")
        _, err = late.communicate(timeout=120)
        assert late.returncode == 1
        assert "another load is being published (a test holding the lock" in err
        assert dump_all(b) == before and entries_in(url) == 0
    finally:
        release.touch()
        holder.wait(timeout=30)


def test_without_a_configured_key_a_shared_state_is_refused_with_the_reason(url, tmp_path, monkeypatch):
    monkeypatch.delenv(journal.KEY_ENV)
    code, _, err = run(tmp_path / "h" / "dashboard.duckdb", "build")
    assert code == 1
    assert "the journal key must be configured, the same on every host" in err


def test_migrate_state_moves_the_files_and_dump_all_is_identical(url, tmp_path, monkeypatch):
    monkeypatch.delenv(state.URL_ENV)  # the files, as a deployment has them today
    files = tmp_path / "files" / "dashboard.duckdb"
    assert run(files, "build")[0] == 0
    assert run(files, "load", str(figures(tmp_path, "feb24.csv", "CIN1,2024-02,301\nCIN1,2024-01,299\n")))[0] == 0
    assert run(files, "load-targets", str(_targets(tmp_path)))[0] == 0
    audit.record(files, "unlock failed", "address 10.0.0.7", "wrong admin secret")
    before, trail_before = dump_all(files), run(files, "audit")[1]

    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES_V1, encoding="utf-8")
    monkeypatch.setenv(access.ROLES_ENV, str(roles))
    code, _, err = run(files, "migrate-state", "--to", url, "--roles")  # the current roles file carried across
    assert code == 0, err
    assert "moved 2 journal entries and 1 audit events, the roles (1 grants from" in err
    assert "checked: dump --all is identical" in err
    code, _, err = run(files, "migrate-state", "--to", url)  # never twice into a state that holds anything
    assert code == 1 and "already holds 2 journal entries, 3 audit events and 1 versions of the roles" in err
    assert entries_in(url) == 2
    assert stored_roles(url) == [(1, ROLES_V1, 1)]

    monkeypatch.setenv(state.URL_ENV, url)
    host = tmp_path / "new-host" / "dashboard.duckdb"
    assert run(host, "build")[0] == 0
    assert dump_all(host) == before
    trail_after = run(host, "audit")[1]
    assert trail_after.startswith(trail_before.rstrip("\n").rsplit("\n", 1)[0])  # every line kept, in order
    assert "state migrated" in trail_after and "unlock failed" in trail_after
    assert "roles replaced: 1 grants, by cli" in trail_after


def _targets(tmp_path: Path) -> Path:
    path = tmp_path / "targets.csv"
    path.write_text("ref,target,from\nCIN2,600,2024/25\n", encoding="utf-8")
    return path


def test_backup_and_restore_with_the_shared_state(hosts, tmp_path, url):
    a, b = hosts
    assert run(a, "load", str(figures(tmp_path, "feb24.csv", "CIN1,2024-02,301\n")))[0] == 0
    archive = tmp_path / "backup.tar.gz"
    code, _, err = run(b, "backup", str(archive))  # any host: the journal is the shared one
    assert code == 0, err
    kept = dump_all(a)
    assert run(a, "load", str(figures(tmp_path, "mar24.csv", "CIN1,2024-03,310\n")))[0] == 0
    code, _, err = run(b, "restore", str(archive))
    assert code == 0, err
    assert entries_in(url) == 1 and dump_all(b) == kept
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM dashboard_journal_replaced").fetchone()[0] == 2
    assert state.catch_up(a) == "rebuilt" and dump_all(a) == kept  # the other host follows the restore
    assert "restore" in set(audit.trail(a)["event"])


@pytest.mark.browser
def test_the_app_on_another_host_serves_a_load_on_its_next_click(hosts, tmp_path, browser):
    """The app on host B follows the shared journal by itself: a CLI load on host A is served on B's next
    interaction, in the same session, with no restart and no error."""
    from test_browser import month_options, pick_month, settle, start_server

    a, b = hosts
    server, url_b = start_server(b)
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(url_b + "/front-door?month=2024-01")
        settle(page)
        assert "February 2024" not in month_options(page)
        code, _, err = run(a, "load", str(figures(tmp_path, "feb24.csv", "FD1,2024-02,1432\nFD1,2024-01,1560\n")))
        assert code == 0, err
        deadline = time.monotonic() + 60
        while not has_loaded(b, "feb24.csv"):  # the app's follower thread, not this test, brings B level
            assert time.monotonic() < deadline, "the app on host B never caught up"
            time.sleep(0.2)
        pick_month(page, "December 2023")
        assert "February 2024" in month_options(page)
        pick_month(page, "February 2024")
        page.get_by_text("1,432").first.wait_for(state="attached", timeout=30_000)
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_write_when_the_shared_state_is_down_is_refused_in_one_sentence_and_changes_nothing(
    hosts, tmp_path, monkeypatch
):
    a, _ = hosts
    before = a.read_bytes()
    with socket.socket() as s:  # a port with nothing listening on it
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    monkeypatch.setenv(state.URL_ENV, f"postgresql://dashboard:secret-pw@127.0.0.1:{dead}/nothing")
    code, _, err = run(a, "load", str(figures(tmp_path, "feb24.csv", "CIN1,2024-02,301\n")))
    assert code == 1
    assert "refused: the shared state at postgresql://dashboard@127.0.0.1" in err and "cannot be reached" in err
    assert "secret-pw" not in err and "Traceback" not in err
    assert a.read_bytes() == before


def test_a_council_added_and_sharing_on_one_host_reach_the_other_and_only_what_was_shared(hosts, tmp_path):
    """Several councils over the shared state: a SYNTHETIC council added, loaded and sharing through host A is
    served by host B after catch-up; its commentary is its own, and Tameside (not sharing) is in no comparator."""
    from dashboard.writes import commentary, councils

    a, b = hosts
    second = councils.SYNTHETIC_ID
    assert (
        run(a, "add-council", second, "--name", councils.SYNTHETIC_NAME, "--population", "40000", "--region", "gm")[0]
        == 0
    )
    rows = f"ref,period,value,authority\nCF1,2023-09,600,{second}\nCIN1,2023-09,250,{second}\n"
    (tmp_path / "synthetic.csv").write_text(rows, encoding="utf-8")
    assert run(a, "load", str(tmp_path / "synthetic.csv"), "--label", "SYNTHETIC figures")[0] == 0
    assert run(a, "share-region", "--council", second)[0] == 0
    words = "SYNTHETIC commentary: invented for the test."
    commentary.publish(a, "cin_cp", pd.Timestamp("2023-09-01").date(), words, authority=second, user="cli (test)")
    state.catch_up(b)
    assert dump_all(b) == dump_all(a)
    reader = store.ReadOnlyStore(b)
    month = pd.Timestamp("2023-09-01").date()
    region, table = councils.regional_comparator(reader, "tameside", "latest", month)
    cf1 = table.set_index("ref").loc["CF1"]
    assert region == "gm" and cf1["councils"] == 1 and cf1["mean"] == 600  # Tameside's 660 is not in it
    assert list(reader.commentary_as_of("latest", second, "cin_cp", month)["text"]) == [words]
    assert words not in set(reader.commentary_as_of("latest", "tameside", "cin_cp", month)["text"])
    with psycopg.connect(os.environ[state.URL_ENV]) as conn:
        manifests = [r[0] for r in conn.execute("SELECT manifest FROM dashboard_journal ORDER BY seq").fetchall()]
    assert [json.loads(bytes(m))["councils"] for m in manifests] == [[second]] * 4  # each names its council


# ---------------------------------------------------------------- the roles in the shared state (optional)

ROLES_V1 = 'group_claim = "groups"\n\n[[grant]]\nemail = "pub@example.test"\nrole = "publisher"\n'
NEW_GRANT = '\n[[grant]]\nemail = "new.editor@example.test"\nrole = "area_editor"\nareas = ["cin_cp"]\n'


@pytest.fixture()
def roles_file(tmp_path, monkeypatch):
    """This host's roles file, granting someone the stored roles never name; every test starts with a cold cache."""
    path = tmp_path / "host-roles.toml"
    path.write_text('[[grant]]\nemail = "file.only@example.test"\nrole = "admin"\n', encoding="utf-8")
    monkeypatch.setenv(access.ROLES_ENV, str(path))
    access.forget_cached_roles()
    yield path
    access.forget_cached_roles()


def role_of(email: str) -> str | None:
    return access.resolve(access.load_roles(known_areas={"cin_cp", "front_door"}), {"email": email}).role


def stored_roles(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT version, document, grants FROM dashboard_roles ORDER BY version").fetchall()


def test_without_roles_in_the_state_each_host_reads_its_roles_file(url, roles_file, tmp_path, monkeypatch):
    assert role_of("file.only@example.test") == "admin"  # a state is configured, but holds no roles
    assert access.roles_origin() == str(roles_file)
    code, _, err = run(tmp_path / "h" / "dashboard.duckdb", "roles-from-state", "--out", str(tmp_path / "out.toml"))
    assert code == 1 and "holds no roles" in err and not (tmp_path / "out.toml").exists()
    monkeypatch.setattr(access, "STATE_RECHECK_SECONDS", 0.0)
    monkeypatch.setenv(state.URL_ENV, "postgresql://dashboard@127.0.0.1:1/nowhere")  # the state goes down
    assert role_of("file.only@example.test") == "admin"  # what it last answered (no roles stored) still holds
    access.forget_cached_roles()  # a host starting while the state is down cannot tell: nobody gets a role
    with pytest.raises(access.RolesError, match="the roles in the shared state: .* cannot be reached"):
        role_of("file.only@example.test")
    monkeypatch.delenv(state.URL_ENV)  # no state at all: the file, as always
    access.forget_cached_roles()
    assert role_of("file.only@example.test") == "admin"
    code, _, err = run(tmp_path / "h" / "dashboard.duckdb", "roles-to-state", "--file", str(roles_file))
    assert code == 1 and f"set {state.URL_ENV}" in err


def test_roles_in_the_state_are_read_by_every_host_and_a_new_grant_needs_no_restart(
    hosts, roles_file, tmp_path, monkeypatch, url
):
    a, b = hosts
    first = tmp_path / "roles.toml"
    first.write_text(ROLES_V1, encoding="utf-8")
    code, _, err = run(a, "roles-to-state", "--file", str(first))
    assert code == 0, err
    assert "as version 1 of the roles (1 grants)" in err

    access.forget_cached_roles()  # this process as host B, starting afresh
    assert role_of("pub@example.test") == "publisher"
    assert role_of("file.only@example.test") is None  # B's own file is no longer read
    assert role_of("new.editor@example.test") is None
    assert access.roles_origin().startswith("the roles in the shared state (version 1, stored by cli")

    first.write_text(ROLES_V1 + NEW_GRANT, encoding="utf-8")
    other = spawn(a, "roles-to-state", "--file", str(first))  # host A, another process, adds a grant
    _, err = other.communicate(timeout=120)
    assert other.returncode == 0, err
    monkeypatch.setattr(access, "STATE_RECHECK_SECONDS", 0.0)  # B's next version check now, not in a few seconds
    assert role_of("new.editor@example.test") == "area_editor"  # B, still running, has the new grant
    monkeypatch.setenv(state.URL_ENV, "postgresql://dashboard@127.0.0.1:1/nowhere")  # an outage: B keeps version 2
    assert role_of("new.editor@example.test") == "area_editor" and role_of("file.only@example.test") is None
    assert len(access.load_roles(known_areas={"cin_cp"}).grant) == 2  # the admin page's reading too
    monkeypatch.setenv(state.URL_ENV, url)

    back = tmp_path / "back.toml"
    code, _, err = run(b, "roles-from-state", "--out", str(back))
    assert code == 0, err
    assert back.read_text(encoding="utf-8") == ROLES_V1 + NEW_GRANT  # the same TOML, byte for byte
    assert [(v, g) for v, _, g in stored_roles(url)] == [(1, 1), (2, 2)]  # every version kept
    trail = run(b, "audit")[1]
    assert "roles replaced: 1 grants, by cli" in trail and "roles replaced: 2 grants, by cli" in trail


def test_an_invalid_roles_file_is_refused_and_nothing_changes(hosts, roles_file, tmp_path, url):
    a, _ = hosts
    good = tmp_path / "roles.toml"
    good.write_text(ROLES_V1, encoding="utf-8")
    assert run(a, "roles-to-state", "--file", str(good))[0] == 0
    events = state.shared().events()
    bad = tmp_path / "bad-roles.toml"
    for text, says in [
        (ROLES_V1 + '\n[[grant]]\nemail = "x@example.test"\nrole = "area_editor"\n', "grant 2: an area_editor"),
        (ROLES_V1 + NEW_GRANT.replace("cin_cp", "nowhere"), "grant 2: unknown area nowhere"),
        ("[[grant]\n", "not valid TOML"),
    ]:
        bad.write_text(text, encoding="utf-8")
        code, _, err = run(a, "roles-to-state", "--file", str(bad))
        assert code == 1 and "the roles were not changed" in err
        assert f"{bad}, {says}" in err or (f"{bad}: {says}" in err), err
    assert stored_roles(url) == [(1, ROLES_V1, 1)]
    assert state.shared().events() == events  # not even an audit line: nothing was stored
