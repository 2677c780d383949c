"""Where the shared state lives: files on one host (the default), or PostgreSQL for replicas on many hosts.

Files: the journal, the audit events and the writer lock are under the data directory (journal.py, audit.py).
PostgreSQL ($DASHBOARD_STATE_URL=postgresql://…, or `[state] url` in the secrets): the journal entries (the same
manifest and rows bytes, checksums and HMAC, verified on read exactly as the file journal's), the audit events
and the writer serialisation (one transaction holding pg_advisory_xact_lock) live in the database, and, once
`dashboard roles-to-state` has stored them, the roles (the roles file's TOML, every version kept). Each host
keeps only its own read-only DuckDB, a build product of sample_data/ + the journal, which catch_up() brings
level with the journal's high-water mark and republishes atomically, as a write does. The journal's public
functions pick the backend themselves, so callers never change.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import sys
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..auth import access
from . import journal

URL_ENV = "DASHBOARD_STATE_URL"
LOCK_KEY = 0x7461_6D65  # pg_advisory_xact_lock key of the one writer ("tame")
CHANNEL = "dashboard_journal"
MARKER = ".state-applied.json"  # what the local DuckDB was built from: the journal's high-water mark
POLL_SECONDS = 5.0  # the follower's poll when no notification arrives (a missed NOTIFY costs at most this)
SCHEMA = """
CREATE TABLE IF NOT EXISTS dashboard_journal (
    seq integer PRIMARY KEY,
    name text NOT NULL UNIQUE,
    manifest bytea NOT NULL,
    rows bytea NOT NULL,
    committed timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS dashboard_journal_replaced (
    restore text NOT NULL,
    seq integer NOT NULL,
    name text NOT NULL,
    manifest bytea NOT NULL,
    rows bytea NOT NULL,
    PRIMARY KEY (restore, seq)
);
CREATE TABLE IF NOT EXISTS dashboard_audit_events (
    id bigserial PRIMARY KEY,
    line bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS dashboard_roles (
    version integer PRIMARY KEY,
    document text NOT NULL,
    grants integer NOT NULL,
    stored_by text NOT NULL,
    stored timestamptz NOT NULL DEFAULT clock_timestamp()
);
"""
_log = logging.getLogger(__name__)


class StateError(journal.JournalError):
    """The shared state cannot be reached or used: nothing was written."""


def configured_url() -> str | None:
    """$DASHBOARD_STATE_URL, else `[state] url` in the app's secrets or the CLI's secrets file; None = files."""
    value = os.environ.get(URL_ENV)
    if not value:
        value = _secret_url()
    if not value:
        return None
    if not value.startswith(("postgresql://", "postgres://")):
        raise StateError(f"{URL_ENV}: {redact(value)} is not a postgresql:// address")
    return value


def _secret_url() -> str | None:
    st = sys.modules.get("streamlit")
    if st is not None:
        with contextlib.suppress(Exception):  # no secrets file at all is normal for the demo
            section = st.secrets.get("state")
            if section is not None and isinstance(section.get("url"), str):
                return section.get("url")
    path = Path(os.environ.get(journal.SECRETS_ENV) or journal.DEFAULT_SECRETS)
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None  # the journal key's reading of the same file names any fault in it
    section = raw.get("state")
    return section.get("url") if isinstance(section, dict) and isinstance(section.get("url"), str) else None


def redact(url: str) -> str:
    """The address without its password, for messages and logs."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, cred = head.partition("://")
    return f"{scheme}://{cred.split(':', 1)[0]}@{tail}"


_states: dict[str, PgState] = {}
_states_lock = threading.Lock()
_files_only = threading.local()


@contextlib.contextmanager
def files_only():
    """Read and lock the data directory's files whatever is configured (migrate-state's source)."""
    _files_only.on = True
    try:
        yield
    finally:
        _files_only.on = False


def shared() -> PgState | None:
    """The PostgreSQL state if one is configured, else None (the files)."""
    if getattr(_files_only, "on", False):
        return None
    url = configured_url()
    if url is None:
        return None
    with _states_lock:
        if url not in _states:
            _states[url] = PgState(url)
        return _states[url]


@dataclass(frozen=True)
class Snapshot:
    """The journal as one transaction saw it: entries (name, manifest bytes, rows bytes) and its high-water mark."""

    rows: list[tuple[str, bytes, bytes]]
    mark: list

    @property
    def names(self) -> list[str]:
        return [r[0] for r in self.rows]


class PgState:
    def __init__(self, url: str):
        self.url = url
        self._local = threading.local()  # per thread: the writer's transaction, a reading connection
        self._ready = False

    # ------------------------------------------------------------ connections

    def connect(self, what: str = "reading", autocommit: bool = True):
        import psycopg  # only deployments with a state URL need the driver

        try:
            conn = psycopg.connect(
                self.url,
                autocommit=autocommit,
                connect_timeout=10,
                application_name=f"dashboard: {what}, process {os.getpid()} on {socket.gethostname()}"[:63],
            )
        except psycopg.Error as exc:
            raise StateError(
                f"the shared state at {redact(self.url)} cannot be reached ({_first_line(exc)}); nothing was "
                "written: check the database is up and the address in DASHBOARD_STATE_URL"
            ) from None
        if not self._ready:
            self._schema(conn)
        return conn

    def _schema(self, conn) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY + 1,))  # two first starts: one creates
            conn.execute(SCHEMA)
        self._ready = True

    def _reader(self):
        """The calling thread's own connection (autocommit), made again if the last one broke."""
        conn = getattr(self._local, "reader", None)
        if conn is None or conn.closed or conn.broken:
            conn = self._local.reader = self.connect()
        return conn

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        tx = self.tx()
        if tx is not None:
            return tx.execute(sql, params).fetchall()
        for attempt in (1, 2):  # a connection dropped since its last use is made again once
            try:
                return self._reader().execute(sql, params).fetchall()
            except psycopg.OperationalError as exc:
                self._local.reader = None
                if attempt == 2:
                    raise StateError(f"the shared state at {redact(self.url)}: {_first_line(exc)}") from None
        return []

    def tx(self):
        """The writer transaction this thread holds, if any: reads inside a write see its own entry."""
        return getattr(self._local, "tx", None)

    # ------------------------------------------------------------ one writer at a time

    @contextlib.contextmanager
    def writer(self, what: str, wait: float, db_path: Path | str | None = None):
        """One transaction holding the advisory lock for the whole write; commits when the block ends, rolls back
        (nothing written) if it raises or the process dies. The local DuckDB is brought level first and marked
        as being changed until the commit, so a write killed half-way is rebuilt from the journal."""
        import psycopg

        conn = self.connect(what, autocommit=False)
        kept, committed = None, False
        try:
            deadline = time.monotonic() + wait
            while not conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
                if time.monotonic() >= deadline:
                    holder = _holder(conn)
                    raise journal.WriterBusy(
                        f"another load is being published ({holder}); nothing was written. "
                        "Try again when it has finished."
                    )
                conn.rollback()  # no snapshot held while waiting
                time.sleep(0.05)
            self._local.tx = conn
            if db_path is not None and Path(db_path).exists():
                catch_up(db_path, locked=True)
                level = _read_marker(db_path)
                kept = _keep(db_path)
                _write_marker(db_path, {"dirty": True})
            yield conn
            journal.kill_point("state-before-commit")
            names = [r[0] for r in self._read("SELECT name FROM dashboard_journal ORDER BY seq")]
            mark = self.mark()
            conn.commit()
            committed = True
            if db_path is not None and Path(db_path).exists():
                _write_marker(db_path, {"mark": mark, "names": names})
        except psycopg.Error as exc:
            raise StateError(
                f"the shared state at {redact(self.url)} failed during {what} ({_first_line(exc)}); nothing was written"
            ) from None
        finally:
            if kept is not None:
                if not committed:  # this host never serves what the journal does not hold: the file as it was
                    os.replace(kept, db_path)
                    _write_marker(db_path, level)
                kept.unlink(missing_ok=True)
            self._local.tx = None
            with contextlib.suppress(Exception):
                conn.rollback()
            conn.close()

    # ------------------------------------------------------------ the journal

    def next_seq(self) -> int:
        return self._read("SELECT coalesce(max(seq), 0) + 1 FROM dashboard_journal")[0][0]

    def insert(self, seq: int, name: str, manifest: bytes, rows: bytes) -> None:
        tx = self.tx()
        if tx is None:
            raise StateError("a journal entry can only be written under the writer lock")
        tx.execute(
            "INSERT INTO dashboard_journal (seq, name, manifest, rows) VALUES (%s, %s, %s, %s)",
            (seq, name, manifest, rows),
        )
        tx.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(seq)))  # delivered only if the write commits

    def delete(self, name: str) -> None:
        tx = self.tx()
        if tx is not None:
            tx.execute("DELETE FROM dashboard_journal WHERE name = %s", (name,))

    def mark(self) -> list:
        """The journal's high-water mark: one cheap query, compared on every poll."""
        count, top, last = self._read(
            "SELECT count(*), coalesce(max(seq), 0), coalesce(max(committed)::text, '') FROM dashboard_journal"
        )[0]
        return [count, top, last]

    def snapshot(self) -> Snapshot:
        """Every entry and the mark, from one consistent view (the writer's transaction, or a repeatable read)."""
        sql_rows = "SELECT name, manifest, rows FROM dashboard_journal ORDER BY seq"
        if self.tx() is not None:
            rows = self._read(sql_rows)
            return Snapshot([(n, bytes(m), bytes(r)) for n, m, r in rows], self.mark())
        with self.connect("catching up", autocommit=False) as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            rows = conn.execute(sql_rows).fetchall()
            count, top, last = conn.execute(
                "SELECT count(*), coalesce(max(seq), 0), coalesce(max(committed)::text, '') FROM dashboard_journal"
            ).fetchone()
            conn.rollback()
        return Snapshot([(n, bytes(m), bytes(r)) for n, m, r in rows], [count, top, last])

    def replace_journal(self, entries: list, stamp: str) -> None:
        """A restore, inside the writer's transaction: the journal it replaces is kept (dashboard_journal_replaced,
        under the restore's stamp), never deleted; all of it or none of it commits."""
        tx = self.tx()
        tx.execute(
            "INSERT INTO dashboard_journal_replaced SELECT %s, seq, name, manifest, rows FROM dashboard_journal",
            (stamp,),
        )
        tx.execute("DELETE FROM dashboard_journal")
        for entry in entries:
            files = entry.files()
            self.insert(entry.manifest["seq"], entry.name, files["manifest.json"], files["rows.jsonl"])

    # ------------------------------------------------------------ audit events

    def append_event(self, line: bytes, with_write: bool = False) -> None:
        """One event, committed at once (a refusal logged inside a write that then rolls back is still kept), or,
        with_write, in the writer's transaction (a restore's events commit with its journal)."""
        tx = self.tx()
        if with_write and tx is not None:
            tx.execute("INSERT INTO dashboard_audit_events (line) VALUES (%s)", (line.rstrip(b"\n"),))
            return
        self._reader().execute("INSERT INTO dashboard_audit_events (line) VALUES (%s)", (line.rstrip(b"\n"),))

    def events(self) -> bytes:
        return b"".join(bytes(r[0]) + b"\n" for r in self._read("SELECT line FROM dashboard_audit_events ORDER BY id"))

    # ------------------------------------------------------------ the roles (optional: else the roles file)

    def roles_version(self) -> int | None:
        """The stored roles' version (None: none stored): the one small query every host asks every few seconds."""
        return self._read("SELECT max(version) FROM dashboard_roles")[0][0]

    def roles(self) -> access.StoredRoles | None:
        found = self._read(
            "SELECT version, document, stored_by, to_char(stored AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
            "FROM dashboard_roles ORDER BY version DESC LIMIT 1"
        )
        return access.StoredRoles(found[0][0], found[0][1], found[0][2], found[0][3] + " UTC") if found else None

    def insert_roles(self, text: str, grants: int, who: str) -> int:
        """A new version of the roles, in the writer's transaction (the old versions are kept)."""
        tx = self.tx()
        if tx is None:
            raise StateError("the roles can only be stored under the writer lock")
        return tx.execute(
            "INSERT INTO dashboard_roles (version, document, grants, stored_by) "
            "SELECT coalesce(max(version), 0) + 1, %s, %s, %s FROM dashboard_roles RETURNING version",
            (text, grants, who),
        ).fetchone()[0]


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _holder(conn) -> str:
    row = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = %s LIMIT 1",
        (LOCK_KEY,),
    ).fetchone()
    return row[0].removeprefix("dashboard: ") if row and row[0] else "another host"


# ---------------------------------------------------------------- the roles in the shared state


def _stored_roles_version() -> int | None:
    try:
        pg = shared()
        return None if pg is None else pg.roles_version()
    except StateError as exc:  # nobody gets a role from a state that cannot be checked
        raise access.RolesError(f"the roles in the shared state: {exc}") from None


def _stored_roles() -> access.StoredRoles | None:
    try:
        pg = shared()
        return None if pg is None else pg.roles()
    except StateError as exc:
        raise access.RolesError(f"the roles in the shared state: {exc}") from None


access.use_roles_state(access.RolesState(version=_stored_roles_version, document=_stored_roles))


def _checked_roles(roles_file: Path, db_path: Path | None) -> tuple[str, int]:
    """The file's text and its number of grants, validated exactly as the app reads roles (against this host's
    areas and councils when it has a database), or RolesError naming the file, the grant and the problem."""
    try:
        text = Path(roles_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise access.RolesError(f"{roles_file}: cannot be read ({exc})") from None
    known_areas = known_councils = None
    if db_path is not None and Path(db_path).exists():
        from .. import store

        try:
            reader = store.ReadOnlyStore(db_path)
            known_areas = set(reader.table("areas")["area"])
            known_councils = set(reader.table("authorities")["authority"])
        finally:
            store.ReadOnlyStore.close_all()
    roles = access.parse_roles(text, str(roles_file), known_areas, known_councils)
    return text, len(roles.grant)


def _roles_event(grants: int, version: int, roles_file: Path, user: str) -> bytes:
    from . import audit

    return audit.line(
        "roles replaced",
        user,
        f"roles replaced: {grants} grants, by {user} (version {version}, from {Path(roles_file).name})",
        outcome="done",
    )


def put_roles(roles_file: Path | str, user: str, db_path: Path | str | None = None) -> tuple[int, int]:
    """Store a roles file in the shared state, from then on read by every host instead of their files: validated
    first (nothing written if it is refused), then the new version and its audit event in one transaction.
    Returns (version, grants)."""
    pg = shared()
    if pg is None:
        raise StateError(f"the roles go to the shared state: set {URL_ENV} (without it the roles file is read)")
    text, grants = _checked_roles(Path(roles_file), Path(db_path) if db_path else None)
    with pg.writer("storing the roles", journal.wait_seconds()):
        version = pg.insert_roles(text, grants, user)
        pg.append_event(_roles_event(grants, version, Path(roles_file), user), with_write=True)
    access.forget_cached_roles()
    return version, grants


def roles_text() -> access.StoredRoles:
    """The roles the shared state holds (what roles-from-state writes out)."""
    pg = shared()
    if pg is None:
        raise StateError(f"no shared state: set {URL_ENV}")
    stored = pg.roles()
    if stored is None:
        raise StateError(f"{redact(pg.url)} holds no roles: every host reads its roles file")
    return stored


# ---------------------------------------------------------------- a replica's own DuckDB


def _marker_path(db_path: Path | str) -> Path:
    return Path(db_path).resolve().parent / MARKER


def _read_marker(db_path: Path | str) -> dict:
    try:
        return json.loads(_marker_path(db_path).read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _write_marker(db_path: Path | str, marker: dict) -> None:
    path = _marker_path(db_path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(marker))
    os.replace(tmp, path)


def _keep(db_path: Path | str) -> Path:
    """A second name for the file as it is (a hard link: a publish replaces the name, never the old file's bytes),
    named so a writer killed before cleaning it up leaves only what the next writer's clean-up removes."""
    db_path = Path(db_path)
    kept = db_path.with_name(f"{db_path.name}.{os.getpid()}.kept.tmp")
    kept.unlink(missing_ok=True)
    try:
        os.link(db_path, kept)
    except OSError:  # a file system without hard links: a copy does the same
        shutil.copyfile(db_path, kept)
    return kept


def entries_of(snap: Snapshot, key: journal.Key | None) -> list[journal.Entry]:
    """The snapshot's entries, each verified as the file journal verifies its own (and always signed)."""
    return [journal.verify_bytes(name, m, r, key, require_signed=True) for name, m, r in snap.rows]


def catch_up(db_path: Path | str, sample_dir: Path | None = None, locked: bool = False, wait: float = 0.0) -> str:
    """Bring this host's DuckDB level with the journal: nothing if its mark is current, the new entries published
    one by one if they follow on, else a full rebuild; each step an atomic replace of the file, as a write is.
    Returns what it did: "files", "current", "busy", "published N" or "rebuilt"."""
    pg = shared()
    if pg is None:
        return "files"
    db_path = Path(db_path)
    marker = _read_marker(db_path)
    if not locked:
        if db_path.exists() and not marker.get("dirty") and marker.get("mark") == pg.mark():
            return "current"
        try:
            with journal.file_lock(db_path, "catching up with the shared journal", wait):  # this host's file only
                return catch_up(db_path, sample_dir, locked=True)
        except journal.WriterBusy:
            return "busy"  # a write on this host is bringing it level already
    from .. import store  # these import journal: here, not at the top
    from ..input import ingest
    from . import lifecycle

    sample_dir = Path(sample_dir or ingest.SAMPLE_DIR)
    marker = _read_marker(db_path)
    if db_path.exists() and not marker.get("dirty") and marker.get("mark") == pg.mark():
        return "current"  # (a writer's own view when it holds the lock: nothing else commits meanwhile)
    snap = pg.snapshot()
    if db_path.exists() and not marker.get("dirty") and marker.get("mark") == snap.mark:
        return "current"
    key = journal.key_for(db_path.resolve().parent)
    found = entries_of(snap, key)
    held = marker.get("names") or []
    follows = (
        db_path.exists()
        and not marker.get("dirty")
        and len(held) < len(snap.names)
        and snap.names[: len(held)] == held
        and store.schema_current(db_path)
    )
    if follows:
        reader = store.ReadOnlyStore(db_path)
        known = {
            "refs": set(reader.table("indicators")["ref"]),
            "areas": set(reader.table("areas")["area"]),
            "authorities": set(reader.table("authorities")["authority"]),
            "home": store.home_authority(reader),
        }
        have = set(reader.table("vintages")["vintage"])
        fresh = found[len(held) :]
        staged = []
        for entry in fresh:
            vintage, frames, problems = lifecycle._replay_frames(entry, known)
            if problems or vintage["vintage"] in have:
                follows = False  # the full build names every problem
                break
            staged.append((vintage, {t: f for t, f in frames.items() if not f.empty}))
        if follows:
            _write_marker(db_path, {"dirty": True})
            for vintage, frames in staged:
                store.publish(db_path, vintage, frames)
            _write_marker(db_path, {"mark": snap.mark, "names": snap.names})
            return f"published {len(staged)}"
    _write_marker(db_path, {"dirty": True})
    frames = lifecycle.read_all(sample_dir, journal.journal_dir(db_path), found)
    store.build(db_path, frames)
    _write_marker(db_path, {"mark": snap.mark, "names": snap.names})
    return "rebuilt"


# ---------------------------------------------------------------- following the journal in the app


_follower: threading.Thread | None = None
_follow_lock = threading.Lock()


def follow(db_path: Path | str) -> None:
    """Start (once per process) a thread that LISTENs for new entries and catches this host's DuckDB up; it also
    polls the high-water mark every POLL_SECONDS in case a notification was missed. Nothing with the files."""
    global _follower
    if _follower is not None:
        return
    with _follow_lock:
        if _follower is not None:
            return
        try:
            if shared() is None:
                _follower = threading.current_thread()  # files: nothing to follow, and never asked again
                return
        except StateError as exc:
            _log.error("shared state not followed: %s", exc)
            _follower = threading.current_thread()
            return
        _follower = threading.Thread(target=_follow_loop, args=(Path(db_path),), name="state-follower", daemon=True)
        _follower.start()


def _follow_loop(db_path: Path) -> None:
    pause = 1.0
    while True:
        try:
            pg = shared()
            with pg.connect("following the journal") as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                _catch_up_logged(db_path)
                pause = 1.0
                while True:
                    # a notification arrives only when a writer commits; the timeout is the poll
                    list(conn.notifies(timeout=POLL_SECONDS, stop_after=1))
                    _catch_up_logged(db_path)
        except Exception as exc:  # never takes the app down; logged, retried with a growing pause
            _log.error("following the shared journal: %s; retrying in %.0f s", _first_line(exc), pause)
            time.sleep(pause)
            pause = min(pause * 2, 60.0)


def _catch_up_logged(db_path: Path) -> None:
    done = catch_up(db_path, wait=2.0)
    if done not in ("current", "files"):
        _log.info("caught up with the shared journal: %s", done)


# ---------------------------------------------------------------- moving a file journal into PostgreSQL


def _dump(db_path: Path) -> dict[str, str]:
    """Everything stored, one text per table in a total order (what `dashboard dump --all` prints)."""
    from .. import store

    reader = store.ReadOnlyStore(db_path)
    try:
        return {t: f.to_csv(index=False, lineterminator="\n") for t, f in reader.dump_all().items()}
    finally:
        store.ReadOnlyStore.close_all()


def migrate(
    db_path: Path | str, url: str, user: str, sample_dir: Path | None = None, roles_file: Path | None = None
) -> dict:
    """Copy the data directory's journal (bytes as they are, signatures kept) and audit events into an empty
    PostgreSQL state in one transaction, and with roles_file the roles too (validated first). Before it commits,
    the database built from the files and the one built from the new state must dump identically, or nothing is
    kept. Refused if the state already holds anything."""
    import tempfile

    from .. import store
    from ..input import ingest
    from . import audit, lifecycle

    db_path = Path(db_path).resolve()
    sample_dir = Path(sample_dir or ingest.SAMPLE_DIR)
    if not url.startswith(("postgresql://", "postgres://")):
        raise StateError(f"--to {redact(url)}: not a postgresql:// address")
    target = PgState(url)
    roles = _checked_roles(Path(roles_file), db_path) if roles_file is not None else None
    with files_only(), journal.writer_lock(db_path, "migrating the state to PostgreSQL"):
        key = journal.key_for(db_path.parent)
        if key is None:
            raise StateError(f"no journal key: set {journal.KEY_ENV} (the data directory is read-only)")
        found = journal.entries(journal.journal_dir(db_path), key, require_signed=True)
        events = audit.snapshot(db_path)
        with tempfile.TemporaryDirectory(prefix=".migrate-", dir=db_path.parent) as tmp:
            before = Path(tmp) / "files.duckdb"
            store.build(before, lifecycle.read_all(sample_dir, journal.journal_dir(db_path), found))
            with target.writer("migrating the state", journal.wait_seconds()):
                held = target._read(
                    "SELECT (SELECT count(*) FROM dashboard_journal), (SELECT count(*) FROM dashboard_audit_events), "
                    "(SELECT count(*) FROM dashboard_roles)"
                )[0]
                if any(held):
                    raise StateError(
                        f"{redact(url)} already holds {held[0]} journal entries, {held[1]} audit events and "
                        f"{held[2]} versions of the roles: "
                        "migrate-state moves a journal into an empty state only once; nothing was written"
                    )
                for entry in found:
                    files = entry.files()
                    target.insert(entry.manifest["seq"], entry.name, files["manifest.json"], files["rows.jsonl"])
                for item in events.splitlines():
                    if item.strip():
                        target.append_event(item + b"\n", with_write=True)
                moved = entries_of(target.snapshot(), key)
                after = Path(tmp) / "state.duckdb"
                store.build(after, lifecycle.read_all(sample_dir, journal.journal_dir(db_path), moved))
                differ = [t for t, text in _dump(before).items() if _dump(after).get(t) != text]
                if differ or len(moved) != len(found):
                    raise StateError(
                        f"the state built from {redact(url)} differs from the files' "
                        f"({', '.join(differ) or 'entries'}); nothing was written"
                    )
                target.append_event(
                    audit.line(
                        "state migrated",
                        user,
                        f"{len(found)} journal entries and {len(events.splitlines())} audit events moved from "
                        f"{journal.journal_dir(db_path)} to {redact(url)}, checked by dump --all",
                        outcome="done",
                    ),
                    with_write=True,
                )
                if roles is not None:
                    version = target.insert_roles(roles[0], roles[1], user)
                    target.append_event(_roles_event(roles[1], version, Path(roles_file), user), with_write=True)
    access.forget_cached_roles()
    return {
        "entries": len(found),
        "events": len(events.splitlines()),
        "key": key,
        "grants": None if roles is None else roles[1],
    }
