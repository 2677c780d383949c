"""The data lifecycle: build, write, backup, restore. Every write in the product goes through commit().

build    = sample_data/ + every journal entry replayed in order (the database is derivable)
commit   = under the writer lock: journal entry first, then the atomic publish to DuckDB
backup   = one archive of the journal and the audit events, a checksum list, and its HMAC with the deployment key
restore  = read with bounded decompression, every checksum and signature checked, everything staged (journal,
           database, events), then one intent file commits it; the swap that follows finishes even if killed
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import getpass
import gzip
import hashlib
import hmac
import io
import json
import math
import os
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import duckdb
import pandas as pd
from pydantic import BaseModel, ValidationError

from .. import store
from ..input import ingest, models
from ..records import stored
from . import audit, journal
from .journal import Entry, JournalError, WriterBusy  # noqa: F401  (re-exported for callers)
from .writing import Write, new_vintage_id  # noqa: F401  (new_vintage_id: re-exported)

BACKUP_ROOT = "dashboard-backup"
BACKUP_FORMAT = "dashboard-backup/2"
LEGACY_BACKUP_FORMAT = "dashboard-backup/1"  # unsigned, without the audit events
MAX_BACKUP_BYTES = 2 * 1024**3
# Decompression is bounded while it streams, as uploads are: a gzip bomb is refused before it inflates past these.
MAX_UNPACKED_BYTES = 200 * 1024**2  # in all
MAX_MEMBER_BYTES = 200 * 1024**2  # any one file
MAX_MEMBERS = 200_000

# The table a journal row lands in -> the model that validates it on replay (as in the sample build).
MODELS: dict[str, type[BaseModel]] = {table: model for table, (_, model) in ingest.SAMPLE_FILES.items()}
MODELS.update(stored.MODELS)  # Annex A extracts: only ever written through the journal
MODELS["regional_sharing"] = models.RegionalSharing
# Tables a write may touch; reference tables (areas, indicators) come only from sample_data/. A council joins a
# deployment through the journal (kind "council": one authorities row, never one sample_data/ already has).
WRITABLE = (
    "authorities",
    "regional_sharing",
    "observations",
    "weekly",
    "commentary",
    "plan_actions",
    "plan_measures",
    "targets",
    "comparators",
    "national_values",
    *stored.MODELS,
)


FAULTS = (OSError, store.StoreUnavailable, duckdb.Error)


def explain(exc: BaseException) -> str:
    """One sentence for a fault a write or read can meet (what, which file, what to do); never a traceback."""
    if isinstance(exc, store.StoreUnavailable):
        return str(exc)
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        what = exc.strerror or str(exc)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            todo = "the data directory must be writable by the dashboard: check its permissions"
        elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
            todo = "the disk is full: free some space and try again"
        else:
            todo = "check the data directory and try again"
        return f"Nothing was written: {what}{where}; {todo}. The database in use is unchanged."
    # Said to whoever pressed the button (a head of service, in the app): what to do is theirs to do.
    return (
        f"Nothing was written: the database could not be read or written ({str(exc).splitlines()[0][:200]}); "
        "the database in use is unchanged: try again in a minute, and if it happens again tell the dashboard's "
        "administrator."
    )


class RestoreRefused(Exception):
    """The archive is truncated, tampered with or not ours: nothing was changed."""


def cli_user() -> str:
    try:
        return f"cli ({getpass.getuser()})"
    except Exception:  # no login name in some containers
        return "cli"


# ---------------------------------------------------------------- building


def _replay_frames(entry: Entry, known: dict[str, set]) -> tuple[dict, dict[str, pd.DataFrame], list[str]]:
    """An entry's vintage and rows, typed by the same models as sample_data/, checked against the catalogue."""
    problems: list[str] = []
    where = f"journal entry {entry.name}"
    vintage = dict(entry.vintage)
    stamp = vintage.pop("loaded_at", None)
    try:
        vintage = models.Vintage.model_validate(vintage).model_dump(mode="python")
    except ValidationError as exc:
        problems += [f"{where}, vintage: {e['msg']}" for e in exc.errors()]
    vintage["loaded_at"] = pd.Timestamp(stamp) if stamp else None
    vintage["loaded_by"] = vintage.get("loaded_by") or entry.manifest.get("user", "")  # entries before loaded_by
    frames = {}
    by_table = entry.rows()
    for record in by_table.get("authorities", []):  # a council added here: the rest of the journal may name it
        name = str(record.get("authority", ""))
        if name in known["authorities"]:
            problems.append(f"{where}: adds council {name!r}, which the deployment already has")
        known["authorities"].add(name)
    for table, raw in by_table.items():
        if table not in WRITABLE:
            problems.append(f"{where}: writes to table {table!r}, which only sample_data/ may fill")
            continue
        if table in stored.FAST:  # an extract's thousands of records: checked column-wise, to the same rules
            frames[table], found = stored.FAST[table](raw, where, table)
            problems += found
            continue
        rows = []
        for n, record in enumerate(raw, start=1):
            record = {
                k: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else v) for k, v in record.items()
            }
            try:
                rows.append(MODELS[table].model_validate(record).model_dump(mode="python"))
            except ValidationError as exc:
                for err in exc.errors():
                    col = ".".join(str(p) for p in err["loc"]) or "row"
                    problems.append(f"{where}, {table} row {n}, column {col!r}: {err['msg']}")
        frame = pd.DataFrame(rows)
        if table in stored.COUNCIL_TABLES and not frame.empty:  # an extract from before councils: the home council's
            frame["authority"] = frame["authority"].replace("", known["home"])
        for col, universe in (("ref", known["refs"]), ("area", known["areas"]), ("authority", known["authorities"])):
            if col in frame and not frame.empty:
                unknown = sorted(set(frame[col]) - universe)
                if unknown:
                    problems.append(
                        f"{where}, {table}: unknown {col} {', '.join(map(str, unknown))} (no longer in "
                        "sample_data/?); put it back, or restore a backup made for this catalogue"
                    )
        frames[table] = frame
    return vintage, frames, problems


def read_all(sample_dir: Path, folder: Path, found: list[Entry] | None = None) -> dict[str, pd.DataFrame]:
    """sample_data/ plus every journal entry in order, validated; raises SampleDataError or JournalError."""
    frames = ingest.read_sample(sample_dir)
    known = {
        "refs": set(frames["indicators"]["ref"]),
        "areas": set(frames["areas"]["area"]),
        "authorities": set(frames["authorities"]["authority"]),
        "home": str(frames["authorities"]["authority"].iloc[0]),  # as store.home_authority
    }
    seen = set(frames["vintages"]["vintage"])
    vintages, extra, problems = [], {t: [] for t in WRITABLE}, []
    for entry in journal.entries(folder) if found is None else found:
        vintage, tables, found = _replay_frames(entry, known)
        if vintage["vintage"] in seen:
            found.append(f"journal entry {entry.name}: vintage {vintage['vintage']} is already defined")
        seen.add(vintage["vintage"])
        problems += found
        vintages.append(vintage)
        for table, frame in tables.items():
            extra[table].append(frame)
    if problems:
        raise JournalError("\n".join(problems))
    if vintages:
        frames["vintages"] = pd.concat([frames["vintages"], pd.DataFrame(vintages)], ignore_index=True)
        for table, parts in extra.items():
            parts = [p for p in parts if not p.empty]
            if parts:
                base = frames.get(table, pd.DataFrame(columns=store.columns(table)))
                held = [base] if len(base) else []  # Annex A tables start empty: sample_data/ holds no records
                frames[table] = pd.concat(held + [p.reindex(columns=base.columns) for p in parts], ignore_index=True)
    return frames


def _sample_vintages(sample_dir: Path) -> set[str]:
    with open(Path(sample_dir) / ingest.SAMPLE_FILES["vintages"][0], newline="", encoding="utf-8") as fh:
        return {row["vintage"] for row in csv.DictReader(fh)}


def _adopt_unjournaled(db_path: Path, sample_dir: Path = ingest.SAMPLE_DIR) -> list[Entry]:
    """Upgrade path: a database written before the journal may hold uploads nowhere else. Copy each into the
    journal before anything rebuilds over it. Call under the writer lock.

    Only a database from before the journal: once a journal directory exists (every build makes one), a vintage
    missing from it was removed on purpose (a restore), and adopting it would undo that."""
    folder = journal.journal_dir(db_path)
    if not Path(db_path).exists() or folder.exists() or journal._shared() is not None:
        return []  # with a shared state a host's file is only ever a build of the shared journal
    reader = store.ReadOnlyStore(db_path)
    try:
        vintages = reader.table("vintages")
    except Exception:  # a damaged file: there is nothing readable to adopt, and build replaces it
        store.ReadOnlyStore.close_all()
        return []
    journaled = journal.vintages_in(folder) | _sample_vintages(sample_dir)  # sample_data/ rebuilds the rest
    adopted = []
    for row in vintages.sort_values("seq").to_dict("records"):
        if row["kind"] == "pack" or row["vintage"] in journaled:
            continue
        frames = {t: reader.rows_of_vintage(t, row["vintage"]) for t in WRITABLE if "vintage" in store.columns(t)}
        frames = {t: f for t, f in frames.items() if not f.empty}
        vintage = {
            k: row[k] for k in ("vintage", "label", "published", "source_file", "kind", "as_of_note", "loaded_at")
        }
        adopted.append(
            journal.record(
                db_path,
                row["kind"],
                vintage,
                frames,
                "adopted from the database on upgrade",
                str(row["source_file"] or ""),
                "",
            )
        )
    store.ReadOnlyStore.close_all()
    return adopted


def build(db_path: Path, sample_dir: Path = ingest.SAMPLE_DIR) -> dict[str, int]:
    """Rebuild the database from sample_data/ and the whole journal; never discards a journal entry."""
    db_path = Path(db_path)
    with journal.writer_lock(db_path, "a rebuild"):
        _adopt_unjournaled(db_path, Path(sample_dir))
        journal.journal_dir(db_path).mkdir(parents=True, exist_ok=True)  # from now on this is a journal's database
        found = journal.entries(journal.journal_dir(db_path))
        frames = read_all(Path(sample_dir), journal.journal_dir(db_path), found)
        store.ReadOnlyStore.close_all()
        store.build(db_path, frames)
    counts = {name: len(frame) for name, frame in frames.items()}
    counts["journal"] = len(found)
    return counts


# ---------------------------------------------------------------- writing


def commit(
    db_path: Path,
    kind: str,
    vintage: dict,
    frames: dict[str, pd.DataFrame],
    user: str,
    source_file: str,
    source_sha256: str,
) -> str:
    """The one way anything is written: journal entry, then publish, one writer at a time.
    If the publish fails the entry is withdrawn and the error raised: refused, never half-kept."""
    db_path = Path(db_path)
    bad = sorted(set(frames) - set(WRITABLE))
    if bad:
        raise ValueError(f"writes may not touch {bad}")
    frames = {t: f for t, f in frames.items() if not f.empty}
    with journal.writer_lock(db_path, f"{kind} by {user}"):
        # a database from before the journal: what only it holds is journaled before this write starts the journal
        # (found on an adversarial pass: a first write, then a rebuild, dropped it)
        _adopt_unjournaled(db_path)
        vintage = {**vintage, "kind": kind, "loaded_at": dt.datetime.now(), "loaded_by": user}
        folder = journal.journal_dir(db_path)
        behind = journal.vintages_in(folder) - _stored_vintages(db_path)
        entry = journal.record(db_path, kind, vintage, frames, user, source_file, source_sha256)
        try:
            # Readers in this process (pages, the warm-up) keep their connection to the old file until their query
            # ends, and then follow the stamp to the new one: nothing is closed under them.
            # An earlier write journaled but never published (a crash), or a file from an older release whose
            # tables lack a column: rebuild from the journal, which now holds this write too.
            # A withdrawal rebuilds: the withdrawn records leave no trace in the database file.
            if behind or not store.schema_current(db_path) or "extract_withdrawals" in frames:
                store.build(db_path, read_all(ingest.SAMPLE_DIR, folder))
            else:
                store.publish(db_path, vintage, frames)
        except BaseException:
            journal.withdraw(entry)
            raise
    return vintage["vintage"]


def commit_write(db_path: Path, write: Write) -> str:
    """Commit one write of the shape every write takes (writing.Write); by the CLI's user if it names none."""
    return commit(
        db_path,
        write.kind,
        write.vintage,
        write.frames,
        write.user or cli_user(),
        write.source_file,
        write.source_sha256,
    )


def _stored_vintages(db_path: Path) -> set[str]:
    if not Path(db_path).exists():
        return set()
    return set(store.ReadOnlyStore(db_path).table("vintages")["vintage"])


# ---------------------------------------------------------------- backup and restore


def backup(db_path: Path, out: Path) -> dict[str, int]:
    """One tar.gz: the journal, the audit events, a SHA256SUMS list and SIGNATURE (an HMAC of that list with the
    deployment key, so a restore can tell this deployment's backups from anyone else's). Written beside `out`
    then renamed."""
    out = Path(out)
    folder = journal.journal_dir(db_path)
    with journal.writer_lock(db_path, "a backup"):
        key = journal.key_for(folder.parent)
        if key is None:
            raise JournalError(f"no journal key: set {journal.KEY_ENV} (the data directory is read-only)")
        found = journal.entries(folder, key)  # verified: a damaged journal is not backed up as if it were fine
        files: dict[str, bytes] = {"FORMAT": (BACKUP_FORMAT + "\n").encode()}
        for entry in found:
            for part, data in entry.files().items():
                files[f"journal/{entry.name}/{part}"] = data
        files["audit/events.jsonl"] = audit.snapshot(db_path)
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items()))
    files["SHA256SUMS"] = sums.encode()
    files["SIGNATURE"] = (json.dumps({"key_id": key.id, "hmac": key.sign(files["SHA256SUMS"])}) + "\n").encode()
    tmp = out.with_name(out.name + ".part")
    with tarfile.open(tmp, "w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{BACKUP_ROOT}/{name}")
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    tmp.replace(out)
    return {"entries": len(found), "bytes": out.stat().st_size, "key_id": key.id}


class _Bounded(io.RawIOBase):
    """A decompressing reader that refuses once it has given out more than `limit` bytes, and never reads ahead
    more than one chunk: whatever the archive declares, memory stays bounded."""

    CHUNK = 1024 * 1024

    def __init__(self, raw, limit: int, name: str):
        self._raw, self._left, self._name = raw, limit, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        want = min(len(buffer), self.CHUNK)
        data = self._raw.read(want)
        self._left -= len(data)
        if self._left < 0:
            raise RestoreRefused(
                f"{self._name}: unpacks to more than {MAX_UNPACKED_BYTES // 1024**2} MB (a dashboard backup of "
                "years of monthly loads is a few MB); refused before unpacking further"
            )
        buffer[: len(data)] = data
        return len(data)


def read_backup(archive: Path, allow_unsigned: bool = False) -> dict[str, bytes]:
    """Every file of a backup, checked: readable whole within the size bounds, only our own layout, every
    checksum right. Whose key signed it is checked by check_signature."""
    archive = Path(archive)
    name = archive.name
    try:
        if archive.stat().st_size > MAX_BACKUP_BYTES:
            raise RestoreRefused(f"{name}: larger than {MAX_BACKUP_BYTES // 1024**3} GB; not a dashboard backup")
        files: dict[str, bytes] = {}
        total = 0
        with gzip.open(archive, "rb") as gz:
            stream = io.BufferedReader(_Bounded(gz, MAX_UNPACKED_BYTES + 64 * 1024, name), buffer_size=64 * 1024)
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for n, member in enumerate(tar, start=1):
                    path = PurePosixPath(member.name)
                    if n > MAX_MEMBERS:
                        raise RestoreRefused(f"{name}: more than {MAX_MEMBERS:,} files; not a dashboard backup")
                    if member.isdir() and not path.is_absolute() and ".." not in path.parts:
                        continue  # an archive re-packed by hand may list its folders
                    if not member.isfile() or path.is_absolute() or ".." in path.parts or path.parts[0] != BACKUP_ROOT:
                        raise RestoreRefused(
                            f"{name}: holds {member.name!r}, which a dashboard backup never does; not restored"
                        )
                    total += member.size  # declared in the header: refused before a byte of it is inflated
                    if member.size > MAX_MEMBER_BYTES or total > MAX_UNPACKED_BYTES:
                        raise RestoreRefused(
                            f"{name}: {member.name} would unpack past {MAX_UNPACKED_BYTES // 1024**2} MB (a dashboard "
                            "backup of years of monthly loads is a few MB); refused before unpacking it"
                        )
                    files["/".join(path.parts[1:])] = tar.extractfile(member).read()
    except FileNotFoundError:
        raise RestoreRefused(f"{name}: no such file") from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise RestoreRefused(f"{name}: not a complete dashboard backup (truncated or not a .tar.gz: {exc})") from None
    marker = files.get("FORMAT", b"").decode(errors="replace").strip()
    legacy = marker == LEGACY_BACKUP_FORMAT
    if legacy and not allow_unsigned:
        raise RestoreRefused(
            f"{name}: made by a version before backups were signed ({LEGACY_BACKUP_FORMAT}), so it cannot show "
            "which deployment made it; if you know it is yours, restore it with --trust-unsigned"
        )
    if not legacy and marker != BACKUP_FORMAT:
        raise RestoreRefused(f"{name}: not a dashboard backup (no {BACKUP_FORMAT} marker)")
    if "SHA256SUMS" not in files:
        raise RestoreRefused(f"{name}: the checksum list SHA256SUMS is missing")
    if "SIGNATURE" not in files and not legacy:
        raise RestoreRefused(f"{name}: its SIGNATURE is missing, so it cannot show which deployment made it")
    listed = {}
    for line in files["SHA256SUMS"].decode(errors="replace").splitlines():
        digest, _, member = line.partition("  ")
        listed[member] = digest
    held = set(files) - {"SHA256SUMS", "SIGNATURE"}
    if set(listed) != held:
        extra, lost = sorted(held - set(listed)), sorted(set(listed) - held)
        raise RestoreRefused(
            f"{name}: files do not match the checksum list (unlisted: {extra or 'none'}; missing: {lost or 'none'})"
        )
    for member, digest in sorted(listed.items()):
        if hashlib.sha256(files[member]).hexdigest() != digest:
            raise RestoreRefused(f"{name}: {member} fails its checksum (tampered or damaged); not restored")
    return files


def check_signature(name: str, files: dict[str, bytes], own: journal.Key, trusted: journal.Key | None) -> journal.Key:
    """The key the archive was signed with: this deployment's, or the one the admin said to trust. SHA256SUMS
    shows the files are whole; only the HMAC shows who made them."""
    try:
        signature = json.loads(files["SIGNATURE"])
        key_id, mac = str(signature["key_id"]), str(signature["hmac"])
    except (ValueError, KeyError, TypeError):
        raise RestoreRefused(f"{name}: its SIGNATURE is not readable; not restored") from None
    candidates = [k for k in (own, trusted) if k is not None and k.id == key_id]
    if not candidates:
        given = f"; the key given with --trust-key is {trusted.id}" if trusted else ""
        raise RestoreRefused(
            f"{name}: made by another deployment (signed with key {key_id}; this deployment's is {own.id}{given}); "
            "nothing was restored. If you trust it, pass that deployment's journal key with --trust-key (the file "
            f"{journal.KEY_FILE} in its data directory, or its {journal.KEY_ENV})"
        )
    key = candidates[0]
    if not hmac.compare_digest(mac.encode(), key.sign(files["SHA256SUMS"]).encode()):
        raise RestoreRefused(
            f"{name}: its signature does not match (changed after it was made, with its checksums recomputed); "
            "not restored"
        )
    return key


def trusted_key(value: str | None) -> journal.Key | None:
    """--trust-key: another deployment's key, as the path of its key file or the key itself."""
    if not value:
        return None
    path = Path(value)
    try:
        if path.is_file():
            return journal.parse_key(path.read_text("utf-8"), str(path))
    except OSError as exc:
        raise RestoreRefused(f"--trust-key {value}: cannot be read ({exc.strerror})") from None
    try:
        return journal.parse_key(value, "--trust-key")
    except JournalError as exc:
        raise RestoreRefused(str(exc)) from None


def restore(
    db_path: Path,
    archive: Path,
    sample_dir: Path = ingest.SAMPLE_DIR,
    trust_key: str | None = None,
    user: str | None = None,
    trust_unsigned: bool = False,
) -> dict[str, int]:
    """Check the archive, stage everything, then commit in one step (the intent file). Before that step the
    journal, database and audit trail are as they were; after it the restore is finished, by this process or, if
    it is killed, by the next writer. The journal it replaces is kept beside it, never deleted."""
    db_path = Path(db_path).resolve()
    archive = Path(archive)
    trusted = trusted_key(trust_key)
    files = read_backup(archive, allow_unsigned=trust_unsigned)
    unsigned = "SIGNATURE" not in files  # only a backup from before signing, and only with --trust-unsigned
    data_dir = db_path.parent
    folder = journal.journal_dir(db_path)
    with journal.writer_lock(db_path, "a restore"):
        own = journal.key_for(data_dir)
        if own is None:
            raise JournalError(f"no journal key: set {journal.KEY_ENV} (the data directory is read-only)")
        signer = own if unsigned else check_signature(archive.name, files, own, trusted)
        _adopt_unjournaled(db_path, Path(sample_dir))
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        staged = data_dir / f".incoming-restore-{stamp}"
        try:
            for member, data in files.items():
                if member.startswith("journal/"):
                    target = staged / member.removeprefix("journal/")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
            staged.mkdir(parents=True, exist_ok=True)
            # every entry verified with the key that signed the archive, and validated, before anything moves
            found = journal.entries(staged, signer, require_signed=not unsigned, allow_unsigned=unsigned)
            if signer.id != own.id or unsigned:  # trusted: from now on the entries are this deployment's
                for entry in found:
                    manifest = journal.signed(entry.manifest, own)
                    (entry.path / "manifest.json").write_bytes(journal.manifest_bytes(manifest))
                found = journal.entries(staged, own, require_signed=True)
            for entry in found:
                for part in ("manifest.json", "rows.jsonl"):
                    _fsync_file(entry.path / part)
            journal.kill_point("restore-staged-journal")
            frames = read_all(Path(sample_dir), staged, found)
            staged_db = data_dir / f".restore-{stamp}.duckdb"
            store.ReadOnlyStore.close_all()
            store.build(staged_db, frames)
            _fsync_file(staged_db)
            journal.kill_point("restore-staged-database")
            kept = f"journal-before-restore-{stamp}"
            shared = journal._shared()
            if shared is not None:
                kept = f"the shared state's dashboard_journal_replaced, restore {stamp}"
            trust = f", trusting key {signer.id} (--trust-key)" if signer.id != own.id else ""
            if unsigned:
                trust = ", an unsigned backup from before signing, trusted (--trust-unsigned)"
            event = audit.line(
                "restore",
                user or cli_user(),
                f"{len(found)} journal entries from {archive.name}{trust}; the journal it replaced is kept "
                f"in {kept if folder.exists() or shared else '(there was none)'} (restore {stamp})",
                outcome="done",
            )
            staged_events = data_dir / f".restore-{stamp}.events"
            staged_events.write_bytes(files.get("audit/events.jsonl", b"") + event)
            _fsync_file(staged_events)
            journal.kill_point("restore-staged-events")
            if shared is not None:  # one transaction (the writer's) replaces the journal and adds the events
                shared.replace_journal(found, stamp)
                audit.merge(db_path, staged_events.read_bytes())
                store.ReadOnlyStore.close_all()
                os.replace(staged_db, db_path)  # the marker stays "changing" until the transaction commits
                _remove_tree(staged)
                staged_events.unlink()
                return {"entries": len(found), "kept": kept}
            intent = {
                "staged": staged.name,
                "staged_ino": os.stat(staged).st_ino,
                "kept": kept,
                "db_staged": staged_db.name,
                "events_staged": staged_events.name,
            }
            tmp = data_dir / (journal.RESTORE_INTENT + ".tmp")
            tmp.write_bytes(json.dumps(intent).encode())
            _fsync_file(tmp)
        except BaseException:
            _remove_tree(staged)
            for p in data_dir.glob(f".restore-{stamp}.*"):
                p.unlink(missing_ok=True)
            raise
        os.replace(tmp, data_dir / journal.RESTORE_INTENT)  # the commit point
        journal.fsync_dir(data_dir)
        journal.kill_point("restore-committed")
        store.ReadOnlyStore.close_all()
        journal.apply_restore(db_path)
        had = (data_dir / kept).exists()
    return {"entries": len(journal.entries(folder)), "kept": str(data_dir / kept) if had else ""}


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
