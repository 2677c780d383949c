"""The audit trail: who did what, when, and what was refused.

Accepted writes are already recorded by the journal (each manifest names its user and moment), so the trail
reads them from there rather than keeping a second copy that could disagree. What the journal cannot hold
(refused writes, failed or role-less sign-ins) goes to an append-only events file beside it:
<data dir>/audit/events.jsonl, one JSON object per line, appended under an exclusive lock and synced; with a
shared state (state.py) the same lines go to PostgreSQL instead.
"""

from __future__ import annotations

import collections
import datetime as dt
import fcntl
import json
import os
import sys
from pathlib import Path

import pandas as pd

from . import journal

COLUMNS = ["when", "who", "event", "what", "vintage", "outcome"]
MAX_FIELD = 500  # a crafted claim or file name cannot grow the log without bound


def events_path(db_path: Path | str) -> Path:
    return Path(db_path).resolve().parent / "audit" / "events.jsonl"


def _clip(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= MAX_FIELD else text[:MAX_FIELD] + "…"


def record(
    db_path: Path | str, event: str, who: str, what: str = "", outcome: str = "refused", when: dt.datetime | None = None
) -> None:
    """Append one event. Never raises into the caller's request: a full disk must not turn a refusal into a
    crash, so a failure to log is itself reported on stderr."""
    data = line(event, who, what, outcome, when)
    path = events_path(db_path)
    try:
        pg = journal._shared()
    except journal.JournalError as exc:
        pg, path = None, None
        print(f"audit: could not record {event} by {who}: {exc}", file=sys.stderr)
    if pg is not None:
        try:
            pg.append_event(data)
        except Exception as exc:  # the shared state down: said on stderr, never a crash of the request
            print(f"audit: could not record {event} by {who}: {exc}", file=sys.stderr)
        return
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        print(f"audit: could not record {event} by {who}: {exc}", file=sys.stderr)


def line(event: str, who: str, what: str = "", outcome: str = "refused", when: dt.datetime | None = None) -> bytes:
    """One event as the bytes record() appends (a restore stages its own event this way)."""
    item = {
        "when": (when or dt.datetime.now()).isoformat(timespec="seconds"),
        "who": _clip(who),
        "event": _clip(event),
        "what": _clip(what),
        "vintage": "",
        "outcome": _clip(outcome),
    }
    return (json.dumps(item, sort_keys=True) + "\n").encode("utf-8")


def snapshot(db_path: Path | str) -> bytes:
    """The events file as it stands, read under its lock so a line being appended is not cut in half."""
    pg = journal._shared()
    if pg is not None:
        return pg.events()
    path = events_path(db_path)
    try:
        with open(path, "rb") as fh:
            fcntl.flock(fh, fcntl.LOCK_SH)
            return fh.read()
    except FileNotFoundError:
        return b""


def merge(db_path: Path | str, restored: bytes) -> int:
    """Add a backup's events to this trail: every line it holds that the trail lacks (counted, so running it
    twice adds nothing). Appended, never rewritten, so an event logged meanwhile by the app is never lost."""
    pg = journal._shared()
    if pg is not None:
        return _merge_shared(pg, restored)
    path = events_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        current = fh.read()
        missing = _not_in(current, restored)
        if missing:
            lead = b"\n" if current and not current.endswith(b"\n") else b""
            fh.write(lead + b"".join(m + b"\n" for m in missing))
            fh.flush()
            os.fsync(fh.fileno())
    return len(missing)


def _not_in(current: bytes, restored: bytes) -> list[bytes]:
    """The restored event lines the current trail lacks, a repeated line counted as often as it stands."""
    have = collections.Counter(current.splitlines())
    missing = []
    for item in restored.splitlines():
        if not item.strip():
            continue
        if have[item] > 0:
            have[item] -= 1
        else:
            missing.append(item)
    return missing


def _merge_shared(pg, restored: bytes) -> int:
    """merge() into the shared events, counted the same way (inside the restore's transaction when there is one)."""
    missing = 0
    for item in _not_in(pg.events(), restored):
        pg.append_event(item + b"\n", with_write=True)
        missing += 1
    return missing


def _journal_rows(db_path: Path | str) -> list[dict]:
    rows = []
    for entry in journal.entries(journal.journal_dir(db_path)):
        m = entry.manifest
        counts = ", ".join(f"{n} {t}" for t, n in sorted(m.get("row_counts", {}).items()))
        given = str(m.get("source_file") or "")
        # a file it came from, or how it was made ("edited in the app by …", commentary's source phrase)
        source = "" if not given else f", {given}" if given.startswith(("edited ", "drafted ")) else f" from {given}"
        rows.append(
            {
                "when": str(m.get("created", ""))[:19],
                "who": m.get("user", ""),
                "event": f"write: {m['kind']}",
                "what": f"{entry.vintage.get('label', '')}{source} ({counts or 'no rows'})",
                "vintage": entry.vintage.get("vintage", ""),
                "outcome": "published",
            }
        )
    return rows


def _event_rows(db_path: Path | str) -> list[dict]:
    text = snapshot(db_path).decode("utf-8", errors="replace")
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        try:
            item = json.loads(line)
        except ValueError:  # a line cut short by a crash: shown, not hidden
            item = {"when": "", "who": "", "event": "unreadable audit line", "what": f"line {n}", "outcome": ""}
        rows.append({c: _clip(item.get(c, "")) for c in COLUMNS})
    return rows


def trail(db_path: Path | str) -> pd.DataFrame:
    """Every write (from the journal) and every refusal (from the events file), oldest first."""
    rows = _journal_rows(db_path) + _event_rows(db_path)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values("when", kind="stable").reset_index(drop=True)
