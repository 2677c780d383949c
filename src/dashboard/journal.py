"""The write journal: the council's record of every accepted write.

The database is a build product (sample_data/ + this journal replayed in order); the journal is what
must never be lost. Each accepted write (figures, weekly figures, commentary, plan BRAG, targets,
comparators) becomes one immutable entry directory under <data dir>/journal/:

    000007-upload-20240301-101500-123456/
        rows.jsonl      one {"table": ..., "row": {...}} per line, canonical JSON
        manifest.json   kind, vintage, created, user, source file + sha256, row counts, rows sha256

and only then is published to DuckDB. A crash between the two leaves an entry the next build
replays; nothing a user entered lives only in the database file.

One writer at a time: every write, build and restore holds an exclusive lock on <data dir>/.writer.lock
(outside journal/, which a restore swaps), waiting a bounded time for another writer before refusing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

FORMAT = "dashboard-journal/1"
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


# ---------------------------------------------------------------- one writer at a time


def wait_seconds() -> float:
    try:
        return float(os.environ.get("DASHBOARD_WRITE_WAIT", DEFAULT_WAIT_SECONDS))
    except ValueError:
        return DEFAULT_WAIT_SECONDS


@contextlib.contextmanager
def writer_lock(db_path: Path | str, what: str, wait: float | None = None):
    """Exclusive across processes (flock). Waits up to `wait` seconds, then raises WriterBusy naming the holder."""
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
        _clean_stale(db_path)  # safe only while holding the lock: no other writer is mid-way
        yield
    finally:
        fh.close()  # closing releases the flock


def _clean_stale(db_path: Path | str) -> None:
    """A killed writer can leave a database temp copy or a half-written entry: neither was ever published."""
    db_path = Path(db_path).resolve()
    for p in db_path.parent.glob(db_path.name + ".*.tmp*"):
        p.unlink(missing_ok=True)
    folder = journal_dir(db_path)
    for p in [*folder.glob(".incoming-*"), *folder.parent.glob(".incoming-restore-*")]:
        shutil.rmtree(p, ignore_errors=True)


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

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def vintage(self) -> dict:
        return self.manifest["vintage"]

    def rows(self) -> dict[str, list[dict]]:
        """The rows per table as plain JSON values (dates as ISO text): the models type them on replay."""
        raw = (self.path / "rows.jsonl").read_bytes()
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
    """Write one immutable entry (call under writer_lock). The directory appears whole or not at all."""
    folder = journal_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    seq = max((int(m.group("seq")) for p in folder.iterdir() if (m := _ENTRY.match(p.name))), default=0) + 1
    rows, counts = _rows_bytes(frames)
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
    incoming = folder / f".incoming-{seq:06d}-{os.getpid()}"
    incoming.mkdir()
    _fsync_write(incoming / "rows.jsonl", rows)
    _fsync_write(incoming / "manifest.json", (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    final = folder / f"{seq:06d}-{vintage['vintage']}"
    os.rename(incoming, final)
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)  # the rename itself survives a power cut
    finally:
        os.close(dfd)
    return Entry(final, manifest)


def withdraw(entry: Entry) -> None:
    """Undo record() when the publish that follows it failed: the write was refused, not kept half-done."""
    shutil.rmtree(entry.path, ignore_errors=True)


def verify(path: Path) -> Entry:
    """Read an entry's manifest and check its rows against the checksum; JournalError names what is wrong."""
    name = path.name
    try:
        manifest = json.loads((path / "manifest.json").read_text("utf-8"))
    except FileNotFoundError:
        raise JournalError(f"journal entry {name}: manifest.json is missing") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise JournalError(f"journal entry {name}: manifest.json is not readable JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise JournalError(f"journal entry {name}: not a {FORMAT} manifest")
    try:
        rows = (path / "rows.jsonl").read_bytes()
    except FileNotFoundError:
        raise JournalError(f"journal entry {name}: rows.jsonl is missing") from None
    if sha256(rows) != manifest.get("rows_sha256"):
        raise JournalError(
            f"journal entry {name}: rows.jsonl fails its checksum (the file was changed or damaged "
            "after it was written); restore it from a backup"
        )
    m = _ENTRY.match(name)
    if not m or int(m.group("seq")) != manifest.get("seq") or m.group("vintage") != manifest["vintage"].get("vintage"):
        raise JournalError(f"journal entry {name}: its name does not match its manifest")
    return Entry(path, manifest)


def entries(folder: Path) -> list[Entry]:
    """Every entry in order, each verified. Half-written (.incoming-*) directories are not entries."""
    if not folder.is_dir():
        return []
    found = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    out = []
    for p in found:
        if not _ENTRY.match(p.name):
            raise JournalError(f"journal entry {p.name}: not a journal entry name (NNNNNN-vintage)")
        out.append(verify(p))
    return out


def vintages_in(folder: Path) -> set[str]:
    return {e.vintage["vintage"] for e in entries(folder)}
