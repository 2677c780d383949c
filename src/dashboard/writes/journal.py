"""The write journal: the council's record of every accepted write.

The database is a build product (sample_data/ + this journal replayed in order); the journal is what
must never be lost. Each accepted write (figures, weekly figures, commentary, plan BRAG, targets,
comparators) becomes one immutable entry directory under <data dir>/journal/:

    000007-upload-20240301-101500-123456/
        rows.jsonl      one {"table": ..., "row": {...}} per line, canonical JSON
        manifest.json   kind, vintage, created, user, source file + sha256, row counts, rows sha256,
                        entry_sha256 (every other field, so rows_sha256 too) and an HMAC with the deployment's key

and only then is published to DuckDB. A crash between the two leaves an entry the next build
replays; nothing a user entered lives only in the database file.

The checksums prove an entry is whole; the HMAC proves this deployment wrote it, so a hand edit of any field
(with its checksums recomputed) or an entry made elsewhere stops the build naming it. The key comes from
$DASHBOARD_JOURNAL_KEY, else `[journal] key` in secrets.toml, else <data dir>/.journal.key (made once, 0600).
Entries written before signing existed are signed once, under the writer lock, and the audit trail says so;
after that (<data dir>/.journal-signed) an unsigned entry is refused.

One writer at a time: every write, build and restore holds an exclusive lock on <data dir>/.writer.lock
(outside journal/, which a restore swaps), waiting a bounded time for another writer before refusing.

With a shared state ($DASHBOARD_STATE_URL, state.py) the entries, with the same bytes and checks, live in
PostgreSQL and the lock is also its advisory lock; every function here picks the backend itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import fcntl
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import shutil
import signal
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

FORMAT = "dashboard-journal/2"
LEGACY_FORMAT = "dashboard-journal/1"  # before signing: accepted only until the one-time signing on upgrade
KEY_ENV = "DASHBOARD_JOURNAL_KEY"
SECRETS_ENV = "DASHBOARD_SECRETS_FILE"
DEFAULT_SECRETS = Path(".streamlit") / "secrets.toml"
KEY_FILE = ".journal.key"
SIGNED_MARK = ".journal-signed"
RESTORE_INTENT = ".restore-intent.json"
KILL_ENV = "DASHBOARD_TEST_KILL_AT"  # tests only: die (SIGKILL) at a named step, to prove each step is safe
NO_EXCHANGE_ENV = "DASHBOARD_TEST_NO_EXCHANGE"  # tests only: take the two-rename path of systems without it
MIN_KEY_CHARS = 16
LOCK_NAME = ".writer.lock"
DEFAULT_WAIT_SECONDS = 30.0
_ENTRY = re.compile(r"^(?P<seq>\d{6})-(?P<vintage>[a-z0-9-]+)$")


class JournalError(Exception):
    """A journal entry that cannot be trusted (checksum, format): the build stops and names it."""


class WriterBusy(Exception):
    """Another load is being published and did not finish within the wait."""


def journal_dir(db_path: Path | str) -> Path:
    """The journal lives beside the database it rebuilds."""
    return Path(db_path).resolve().parent / "journal"


def kill_point(step: str) -> None:
    """Tests set DASHBOARD_TEST_KILL_AT to a step name to kill the process there, as a power cut would."""
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


# ---------------------------------------------------------------- the deployment's key


@dataclass(frozen=True)
class Key:
    secret: bytes
    where: str

    @property
    def id(self) -> str:
        """Names the key in messages and manifests without revealing it."""
        return hashlib.sha256(b"dashboard-journal-key:" + self.secret).hexdigest()[:16]

    def sign(self, data: bytes) -> str:
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest()


def parse_key(value: str, where: str) -> Key:
    value = value.strip()
    if len(value) < MIN_KEY_CHARS:
        raise JournalError(f"{where}: the journal key is shorter than {MIN_KEY_CHARS} characters; use a random one")
    return Key(value.encode("utf-8"), where)


def _served_secret() -> object:
    """`[journal] key` from the secrets the running app was given (--secrets.files), if this is the app."""
    st = sys.modules.get("streamlit")
    if st is None:
        return None
    try:
        section = st.secrets.get("journal")
        return section.get("key") if section is not None else None
    except Exception:  # no secrets file at all is normal for the demo
        return None


def _configured_key() -> Key | None:
    if os.environ.get(KEY_ENV):
        return parse_key(os.environ[KEY_ENV], f"${KEY_ENV}")
    served = _served_secret()
    if isinstance(served, str):
        return parse_key(served, "[journal] key in the app's secrets")
    path = Path(os.environ.get(SECRETS_ENV) or DEFAULT_SECRETS)
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise JournalError(f"{path}: not readable ({exc}); the journal key cannot be read from it") from None
    value = raw.get("journal", {}).get("key") if isinstance(raw.get("journal"), dict) else None
    if value is None:
        return None
    if not isinstance(value, str):
        raise JournalError(f"{path}: [journal] key must be text")
    return parse_key(value, f"{path} [journal] key")


def key_for(data_dir: Path | str) -> Key | None:
    """The configured key, else the data directory's own (made once, readable only by its owner).
    None only when there is none and the directory is read-only."""
    key = _configured_key()
    if key:
        return key
    if _shared() is not None:  # every host must check every other host's entries: one key, configured
        raise JournalError(
            f"with a shared state the journal key must be configured, the same on every host: set {KEY_ENV} "
            f"(or [journal] key in the secrets), e.g. to the contents of the old {KEY_FILE}"
        )
    path = Path(data_dir) / KEY_FILE
    with contextlib.suppress(FileNotFoundError):
        return parse_key(path.read_text("utf-8"), str(path))
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        tmp = Path(data_dir) / f"{KEY_FILE}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # atomic and never overwrites: two processes starting at once agree on one key
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    except OSError:
        return None
    return parse_key(path.read_text("utf-8"), str(path))


def _canonical(manifest: dict) -> bytes:
    body = {k: v for k, v in manifest.items() if k not in ("entry_sha256", "hmac")}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed(manifest: dict, key: Key) -> dict:
    """The manifest with its checksum over every field and the HMAC of the same bytes."""
    out = {k: v for k, v in manifest.items() if k not in ("entry_sha256", "hmac")}
    out["format"], out["key_id"] = FORMAT, key.id
    body = _canonical(out)
    out["entry_sha256"], out["hmac"] = sha256(body), key.sign(body)
    return out


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _replace_file(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    _fsync_write(tmp, data)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _signing_state(data_dir: Path) -> dict | None:
    """None before the journal was signed; else {"state": "signing"|"signed", "legacy": [names being signed]}."""
    try:
        return json.loads((Path(data_dir) / SIGNED_MARK).read_text("utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return {"state": "signed", "legacy": []}  # damaged: the strict reading, never a reason to accept more


def sign_on_upgrade(db_path: Path | str) -> int:
    """Once per deployment, under the writer lock: sign every entry written before signing existed, and record
    that in the audit trail. A damaged entry is never signed (verify raises first)."""
    folder = journal_dir(db_path)
    data_dir = folder.parent
    if _shared() is not None:
        return 0  # the shared journal only ever holds signed entries (migrate-state copies a signed one)
    state = _signing_state(data_dir)
    if state and state.get("state") == "signed":
        return 0
    key = key_for(data_dir)
    if key is None:
        return 0  # a read-only data directory: nothing can be written, so nothing new is accepted either
    found = entries(folder, key)
    legacy = [e for e in found if not e.signed]
    if not state:  # recorded once, before any manifest changes: a signing killed half-way is finished silently
        mark = {"state": "signing", "legacy": [e.name for e in legacy], "key_id": key.id}
        _replace_file(data_dir / SIGNED_MARK, (json.dumps(mark) + "\n").encode())
        if legacy:
            from . import audit  # audit reads the journal: imported here, not at the top

            names = legacy[0].name if len(legacy) == 1 else f"{legacy[0].name} to {legacy[-1].name}"
            audit.record(
                db_path,
                "journal signed on upgrade",
                "dashboard",
                f"{len(legacy)} entries written before signing ({names}) signed with key {key.id}",
                outcome="done",
            )
    for entry in legacy:
        _replace_file(entry.path / "manifest.json", manifest_bytes(signed(entry.manifest, key)))
    when = dt.datetime.now().isoformat(timespec="seconds")
    done = {"state": "signed", "legacy": [], "key_id": key.id, "since": when, "signed_on_upgrade": len(legacy)}
    _replace_file(data_dir / SIGNED_MARK, (json.dumps(done) + "\n").encode())
    return len(legacy)


# ---------------------------------------------------------------- a restore in one step


def exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (renameat2 RENAME_EXCHANGE), so there is never a moment with no
    journal. False where the system cannot (the caller then falls back to two renames, which the restore
    intent makes safe)."""
    if os.environ.get(NO_EXCHANGE_ENV):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def apply_restore(db_path: Path | str) -> bool:
    """Finish a restore whose intent was written (its commit point): every step is idempotent, so a restore killed
    anywhere after the intent is completed by the next writer, and one killed before it leaves only staged copies
    that _clean_stale removes. True if there was one to finish."""
    db_path = Path(db_path).resolve()
    data_dir = db_path.parent
    intent_path = data_dir / RESTORE_INTENT
    try:
        intent = json.loads(intent_path.read_text("utf-8"))
    except FileNotFoundError:
        return False
    folder = journal_dir(db_path)
    staged, kept = data_dir / intent["staged"], data_dir / intent["kept"]
    swapped = folder.exists() and os.stat(folder).st_ino == intent["staged_ino"]
    if not swapped:
        if folder.exists() and staged.exists():
            if not exchange(staged, folder):
                os.rename(folder, kept)
                kill_point("restore-between-renames")
                os.rename(staged, folder)
        elif staged.exists():
            os.rename(staged, folder)  # no journal before (or the fallback killed between its renames)
        fsync_dir(data_dir)
        kill_point("restore-swapped")
    if staged.exists():  # after an exchange the staged name holds the journal it replaced
        os.rename(staged, kept)
        fsync_dir(data_dir)
        kill_point("restore-kept")
    staged_db = data_dir / intent["db_staged"]
    if staged_db.exists():
        os.replace(staged_db, db_path)
        fsync_dir(data_dir)
        kill_point("restore-db-replaced")
    events = data_dir / intent["events_staged"]
    if events.exists():
        from . import audit

        audit.merge(db_path, events.read_bytes())
        events.unlink()
        kill_point("restore-events-merged")
    intent_path.unlink()
    fsync_dir(data_dir)
    return True


# ---------------------------------------------------------------- one writer at a time


def wait_seconds() -> float:
    try:
        return float(os.environ.get("DASHBOARD_WRITE_WAIT", DEFAULT_WAIT_SECONDS))
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def _shared():
    """The PostgreSQL state when one is configured, else None (the files)."""
    from . import state  # state builds on this module

    return state.shared()


def _is_shared(folder: Path) -> bool:
    """The live journal (never a restore's staged copy or a kept one) when the state is shared."""
    return Path(folder).name == "journal" and _shared() is not None


@contextlib.contextmanager
def writer_lock(db_path: Path | str, what: str, wait: float | None = None):
    """Exclusive across processes (flock) and, with a shared state, across hosts (one PostgreSQL transaction
    holding its advisory lock, committed when the block ends). Waits up to `wait` seconds, then raises
    WriterBusy naming the holder."""
    wait = wait_seconds() if wait is None else wait
    started = time.monotonic()
    with file_lock(db_path, what, wait):
        pg = _shared()
        if pg is None:
            yield
        else:
            with pg.writer(what, max(0.0, wait - (time.monotonic() - started)), db_path):
                yield


@contextlib.contextmanager
def file_lock(db_path: Path | str, what: str, wait: float | None = None):
    """This data directory's lock (flock): the whole writer lock with files, this host's part of it when shared."""
    folder = journal_dir(db_path).parent
    folder.mkdir(parents=True, exist_ok=True)
    wait = wait_seconds() if wait is None else wait
    fh = open(folder / LOCK_NAME, "a+")  # noqa: SIM115 (held open for the lock's lifetime)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "another process"
                    raise WriterBusy(
                        f"another load is being published ({holder}); nothing was written. "
                        "Try again when it has finished."
                    ) from None
                time.sleep(0.05)
        fh.seek(0)
        fh.truncate()
        fh.write(f"{what}, process {os.getpid()}, since {dt.datetime.now():%H:%M:%S}")
        fh.flush()
        apply_restore(db_path)  # a restore past its commit point is finished before anything else
        _clean_stale(db_path)  # safe only while holding the lock: no other writer is mid-way
        with contextlib.suppress(JournalError):
            sign_on_upgrade(db_path)  # a damaged entry is never signed: the build names it; a restore replaces it
        yield
    finally:
        fh.close()  # closing releases the flock


def _clean_stale(db_path: Path | str) -> None:
    """A killed writer can leave a database temp copy or a half-written entry: neither was ever published."""
    db_path = Path(db_path).resolve()
    for p in db_path.parent.glob(db_path.name + ".*.tmp*"):
        p.unlink(missing_ok=True)
    folder = journal_dir(db_path)
    if (folder.parent / RESTORE_INTENT).exists():
        return  # apply_restore could not finish: its staged copies are the restore, never rubbish
    for p in [*folder.glob(".incoming-*"), *folder.parent.glob(".incoming-restore-*")]:
        shutil.rmtree(p, ignore_errors=True)
    stale = [*folder.parent.glob(".restore-*.duckdb*"), *folder.parent.glob(".restore-*.events")]
    for p in [*stale, folder.parent / (RESTORE_INTENT + ".tmp")]:
        p.unlink(missing_ok=True)
    for p in folder.glob("*/manifest.json.tmp"):
        p.unlink(missing_ok=True)


# ---------------------------------------------------------------- canonical rows


def _plain(value: object) -> object:
    """One JSON form per value, so the same rows always give the same bytes (and checksum)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.isoformat() if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    if isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _rows_bytes(frames: dict[str, pd.DataFrame]) -> tuple[bytes, dict[str, int]]:
    lines, counts = [], {}
    for table in sorted(frames):
        frame = frames[table]
        counts[table] = len(frame)
        for record in frame.to_dict("records"):
            row = {k: _plain(v) for k, v in record.items()}
            lines.append(
                json.dumps({"table": table, "row": row}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            )
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"), counts


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- entries


@dataclass(frozen=True)
class Entry:
    path: Path
    manifest: dict
    signed: bool = True
    held: tuple[bytes, bytes] | None = None  # (manifest, rows) bytes of an entry in the shared state

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def vintage(self) -> dict:
        return self.manifest["vintage"]

    def files(self) -> dict[str, bytes]:
        """The entry's two files as stored (a backup copies these bytes)."""
        if self.held is not None:
            return {"manifest.json": self.held[0], "rows.jsonl": self.held[1]}
        return {part: (self.path / part).read_bytes() for part in ("manifest.json", "rows.jsonl")}

    def rows(self) -> dict[str, list[dict]]:
        """The rows per table as plain JSON values (dates as ISO text): the models type them on replay."""
        raw = self.held[1] if self.held is not None else (self.path / "rows.jsonl").read_bytes()
        grouped: dict[str, list[dict]] = {t: [] for t in self.manifest["row_counts"]}
        for line in raw.decode("utf-8").splitlines():
            item = json.loads(line)
            grouped.setdefault(item["table"], []).append(item["row"])
        return grouped


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def record(
    db_path: Path | str,
    kind: str,
    vintage: dict,
    frames: dict[str, pd.DataFrame],
    user: str,
    source_file: str,
    source_sha256: str,
) -> Entry:
    """Write one immutable entry (call under writer_lock). The directory (or, shared, the row in the writer's
    transaction) appears whole or not at all."""
    folder = journal_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    pg = _shared()
    if pg is not None:
        seq = pg.next_seq()
    else:
        seq = max((int(m.group("seq")) for p in folder.iterdir() if (m := _ENTRY.match(p.name))), default=0) + 1
    rows, counts = _rows_bytes(frames)
    key = key_for(folder.parent)
    if key is None:
        raise JournalError(f"no journal key: set {KEY_ENV}, or let the dashboard write {folder.parent / KEY_FILE}")
    manifest = {
        "format": FORMAT,
        "seq": seq,
        "kind": kind,
        "vintage": {k: _plain(v) for k, v in vintage.items()},
        "created": _plain(vintage["loaded_at"]),
        "user": user or "unknown",
        "source_file": source_file,
        "source_sha256": source_sha256,
        "row_counts": counts,
        "rows_sha256": sha256(rows),
    }
    councils = sorted({str(a) for f in frames.values() if "authority" in f for a in f["authority"].dropna()})
    if councils:  # which council's record this is (README, Several councils); national figures name none
        manifest["councils"] = councils
    manifest = signed(manifest, key)
    final = folder / f"{seq:06d}-{vintage['vintage']}"
    if pg is not None:
        held = (manifest_bytes(manifest), rows)
        pg.insert(seq, final.name, *held)
        kill_point("state-recorded")
        return Entry(final, manifest, held=held)
    incoming = folder / f".incoming-{seq:06d}-{os.getpid()}"
    incoming.mkdir()
    _fsync_write(incoming / "rows.jsonl", rows)
    _fsync_write(incoming / "manifest.json", manifest_bytes(manifest))
    os.rename(incoming, final)
    fsync_dir(folder)  # the rename itself survives a power cut
    return Entry(final, manifest)


def withdraw(entry: Entry) -> None:
    """Undo record() when the publish that follows it failed: the write was refused, not kept half-done."""
    if entry.held is not None:
        _shared().delete(entry.name)  # in the writer's transaction, which then rolls back anyway
        return
    shutil.rmtree(entry.path, ignore_errors=True)


def verify(path: Path, key: Key | None) -> Entry:
    """Read an entry and check it: rows against rows_sha256, every manifest field against entry_sha256, and the
    HMAC against this deployment's key. JournalError names the entry and what is wrong. An entry from before
    signing comes back with signed=False; entries() decides whether that is still acceptable."""
    try:
        raw = (path / "manifest.json").read_bytes()
    except FileNotFoundError:
        raise JournalError(f"journal entry {path.name}: manifest.json is missing") from None
    try:
        rows = (path / "rows.jsonl").read_bytes()
    except FileNotFoundError:
        rows = None
    return _verified(path, raw, rows, key)


def verify_bytes(name: str, raw: bytes, rows: bytes, key: Key | None, require_signed: bool = True) -> Entry:
    """An entry held in the shared state, checked exactly as verify() checks one on disk."""
    entry = _verified(Path("journal") / name, raw, rows, key, held=(raw, rows))
    if require_signed and not entry.signed:
        raise JournalError(f"journal entry {name}: not signed, and the shared journal holds only signed entries")
    return entry


def _verified(path: Path, raw: bytes, rows: bytes | None, key: Key | None, held=None) -> Entry:
    name = path.name
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise JournalError(f"journal entry {name}: manifest.json is not readable JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") not in (FORMAT, LEGACY_FORMAT):
        raise JournalError(f"journal entry {name}: not a {FORMAT} manifest")
    if rows is None:
        raise JournalError(f"journal entry {name}: rows.jsonl is missing")
    if sha256(rows) != manifest.get("rows_sha256"):
        raise JournalError(
            f"journal entry {name}: rows.jsonl fails its checksum (the file was changed or damaged "
            "after it was written); restore it from a backup"
        )
    legacy = manifest["format"] == LEGACY_FORMAT and not ({"entry_sha256", "hmac", "key_id"} & set(manifest))
    if not legacy:
        body = _canonical(manifest)
        if sha256(body) != manifest.get("entry_sha256"):
            raise JournalError(
                f"journal entry {name}: manifest.json fails its checksum (its user, label, kind, dates or row "
                "counts were changed after it was written); restore it from a backup"
            )
        if key is None:
            raise JournalError(f"journal entry {name}: no journal key to check its signature ({KEY_ENV} is not set)")
        if manifest.get("key_id") != key.id:
            raise JournalError(
                f"journal entry {name}: signed with another key (key id {manifest.get('key_id')}, this deployment's "
                f"is {key.id}, from {key.where}): not written here, or the key was changed; restore a backup "
                "of this deployment, or restore with --trust-key"
            )
        if not hmac.compare_digest(str(manifest.get("hmac", "")), key.sign(body)):
            raise JournalError(
                f"journal entry {name}: its signature does not match (edited by hand with its checksums "
                "recomputed, or forged); restore it from a backup"
            )
    m = _ENTRY.match(name)
    vintage = manifest.get("vintage")
    if (
        not m
        or not isinstance(vintage, dict)
        or int(m.group("seq")) != manifest.get("seq")
        or m.group("vintage") != vintage.get("vintage")
    ):
        raise JournalError(f"journal entry {name}: its name does not match its manifest")
    return Entry(path, manifest, signed=not legacy, held=held)


def entries(
    folder: Path, key: Key | None = None, require_signed: bool = False, allow_unsigned: bool = False
) -> list[Entry]:
    """Every entry in order, each verified (with the data directory's key unless one is given). An unsigned
    entry passes only before the one-time signing on upgrade, and only if it was there when that began.
    Half-written (.incoming-*) directories are not entries."""
    if _is_shared(folder):
        from . import state

        return state.entries_of(_shared().snapshot(), key or key_for(Path(folder).parent))
    if not folder.is_dir():
        return []
    found = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if key is None and found:
        key = key_for(folder.parent)
    state = None if require_signed else _signing_state(folder.parent)
    out = []
    for p in found:
        if not _ENTRY.match(p.name):
            raise JournalError(f"journal entry {p.name}: not a journal entry name (NNNNNN-vintage)")
        entry = verify(p, key)
        if not entry.signed:
            pending = (
                allow_unsigned
                or state is None
                or (state.get("state") == "signing" and p.name in state.get("legacy", []))
            )
            if require_signed or not pending:
                raise JournalError(
                    f"journal entry {p.name}: not signed, and this journal is signed (an unsigned entry is "
                    "never accepted after the upgrade): written by hand? restore it from a backup"
                )
        out.append(entry)
    return out


def vintages_in(folder: Path) -> set[str]:
    return {e.vintage["vintage"] for e in entries(folder)}
