"""The journal signs what it keeps (issue 28 item 5) and the backup keeps the audit trail (issue 26 item 8):
a hand edit of any part of an entry stops the build naming it; another deployment's backup is refused unless
its key is trusted; a restore killed at any step is either fully before or fully after; a gzip bomb is refused
with bounded memory; backup -> wipe -> restore keeps every refused write and sign-in."""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from dashboard import cli, store
from dashboard.writes import audit, journal

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


def run(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", str(db), *args])
    store.ReadOnlyStore.close_all()
    return code, out.getvalue(), err.getvalue()


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def load(db: Path, name: str, text: str) -> None:
    f = db.parent.parent / name
    f.write_text(text, encoding="utf-8")
    code, _, err = run(db, "load", str(f))
    assert code == 0, err


def dump(db: Path) -> str:
    code, out, err = run(db, "dump", "--all")
    assert code == 0, err
    return out


def names(db: Path) -> list[str]:
    return [e.name for e in journal.entries(journal.journal_dir(db))]


@pytest.fixture(autouse=True)
def _no_configured_key(monkeypatch, tmp_path):
    """Each data directory's own key unless a test configures one (and no secrets.toml from the checkout)."""
    monkeypatch.delenv(journal.KEY_ENV, raising=False)
    monkeypatch.setenv(journal.SECRETS_ENV, str(tmp_path / "no-secrets.toml"))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """Built once: upload A, a backup, then upload B. `before` is the data directory, `after` the same after
    restoring the backup (A only; the journal with B kept beside it)."""
    root = tmp_path_factory.mktemp("base")
    env = {journal.KEY_ENV: os.environ.pop(journal.KEY_ENV, None)}
    os.environ[journal.SECRETS_ENV] = str(root / "no-secrets.toml")
    try:
        db = root / "before" / "data" / "dashboard.duckdb"
        assert run(db, "build")[0] == 0
        load(db, "feb24.csv", "ref,period,value\nCIN1,2024-02,301\n")
        audit.record(db, "write refused", "pub@example.test", "feb24.csv: not a number")
        archive = root / "backup.tar.gz"
        assert run(db, "backup", str(archive))[0] == 0
        load(db, "mar24.csv", "ref,period,value\nCIN1,2024-03,305\n")
        after = root / "after" / "data" / "dashboard.duckdb"
        shutil.copytree(db.parent, after.parent)
        code, _, err = run(after, "restore", str(archive))
        assert code == 0, err
        return {
            "db": db,
            "archive": archive,
            "before_dump": dump(db),
            "before_names": names(db),
            "after_dump": dump(after),
            "after_names": names(after),
        }
    finally:
        os.environ.pop(journal.SECRETS_ENV, None)
        if env[journal.KEY_ENV]:
            os.environ[journal.KEY_ENV] = env[journal.KEY_ENV]


@pytest.fixture()
def db(base, tmp_path) -> Path:
    """A copy of the `before` data directory (its key too: the same deployment)."""
    target = tmp_path / "data"
    shutil.copytree(base["db"].parent, target)
    return target / "dashboard.duckdb"


def test_the_base_differs_before_and_after(base):
    assert len(base["before_names"]) == 2 and base["after_names"] == base["before_names"][:1]
    assert base["before_dump"] != base["after_dump"]


# ---------------------------------------------------------------- each forgery stops the build naming the entry


def _manifest(entry: Path) -> dict:
    return json.loads((entry / "manifest.json").read_text())


def _put(entry: Path, manifest: dict) -> None:
    (entry / "manifest.json").write_text(json.dumps(manifest, indent=1))


def _recompute(entry: Path, manifest: dict) -> dict:
    """What a forger who knows the format (but not the key) does: every checksum made right again."""
    manifest["rows_sha256"] = sha(entry / "rows.jsonl")
    body = {k: v for k, v in manifest.items() if k not in ("entry_sha256", "hmac")}
    manifest["entry_sha256"] = hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    return manifest


def forge(entry: Path, how: str) -> None:
    m = _manifest(entry)
    if how == "user":
        m["user"] = "someone-else@example.test"
    elif how == "label":
        m["vintage"]["label"] = "Printed pack, 8 November 2023"
    elif how == "row count":
        m["row_counts"]["observations"] = 40
    elif how == "kind":  # an upload turned into a printed pack dated 2023
        m["kind"] = m["vintage"]["kind"] = "pack"
        m["vintage"]["published"] = "2023-11-08"
        m["created"] = m["vintage"]["loaded_at"] = "2023-11-08T09:00:00"
    elif how == "rows and rows checksum":
        rows = entry / "rows.jsonl"
        rows.write_text(rows.read_text().replace("301", "999"))
        m["rows_sha256"] = sha(rows)
    elif how == "every checksum recomputed":
        rows = entry / "rows.jsonl"
        rows.write_text(rows.read_text().replace("301", "999"))
        m["user"] = "someone-else@example.test"
        m = _recompute(entry, m)
    elif how == "signature removed":  # made to look like an entry from before signing
        m = {k: v for k, v in m.items() if k not in ("entry_sha256", "hmac", "key_id")}
        m["format"] = journal.LEGACY_FORMAT
    elif how == "another deployment's key":
        other = journal.parse_key("another-deployments-key-0123456789", "test")
        m = journal.signed({**m, "user": "someone-else@example.test"}, other)
    _put(entry, m)


@pytest.mark.parametrize(
    "how, message",
    [
        ("user", "manifest.json fails its checksum"),
        ("label", "manifest.json fails its checksum"),
        ("row count", "manifest.json fails its checksum"),
        ("kind", "manifest.json fails its checksum"),
        ("rows and rows checksum", "manifest.json fails its checksum"),
        ("every checksum recomputed", "signature does not match"),
        ("signature removed", "not signed, and this journal is signed"),
        ("another deployment's key", "signed with another key"),
    ],
)
def test_a_hand_edit_stops_the_build_naming_the_entry(db, how, message):
    entry = journal.journal_dir(db) / names(db)[0]
    forge(entry, how)
    before = sha(db)
    code, _, err = run(db, "build")
    assert code == 1 and entry.name in err and message in err, err
    assert sha(db) == before
    upload = db.parent.parent / "apr24.csv"
    upload.write_text("ref,period,value\nCIN1,2024-04,310\n")
    code, _, err = run(db, "load", str(upload))
    assert code == 1 and entry.name in err  # a write refuses too: it never builds on a forged journal
    assert sha(db) == before


def test_an_entry_copied_in_from_elsewhere_stops_the_build(db):
    first = journal.journal_dir(db) / names(db)[0]
    fake = journal.journal_dir(db) / "000003-upload-20991231-000000-000000"
    shutil.copytree(first, fake)
    m = _manifest(fake)
    m["seq"], m["vintage"]["vintage"] = 3, "upload-20991231-000000-000000"
    _put(fake, _recompute(fake, m))
    code, _, err = run(db, "build")
    assert code == 1 and fake.name in err and "signature does not match" in err


def test_a_forged_journal_is_put_right_by_restoring_a_backup(db, base):
    entry = journal.journal_dir(db) / names(db)[0]
    forge(entry, "every checksum recomputed")
    code, _, err = run(db, "restore", str(base["archive"]))
    assert code == 0, err
    assert names(db) == base["after_names"] and dump(db) == base["after_dump"]
    (kept,) = db.parent.glob("journal-before-restore-*")
    assert (kept / entry.name).is_dir()  # the forged journal is kept for whoever investigates, never replayed


# ---------------------------------------------------------------- entries from before signing


def _unsign(entry: Path) -> None:
    forge(entry, "signature removed")


def test_entries_from_before_signing_are_signed_once_and_the_trail_says_so(db):
    for name in names(db):
        _unsign(journal.journal_dir(db) / name)
    (db.parent / journal.SIGNED_MARK).unlink()
    before = dump(db)
    code, _, err = run(db, "build")
    assert code == 0, err
    assert all(_manifest(journal.journal_dir(db) / n)["format"] == journal.FORMAT for n in names(db))
    state = json.loads((db.parent / journal.SIGNED_MARK).read_text())
    assert state["state"] == "signed" and state["signed_on_upgrade"] == 2
    code, trail, _ = run(db, "audit")
    assert "journal signed on upgrade" in trail and "2 entries written before signing" in trail
    assert dump(db) == before
    # once signed, an unsigned entry is never accepted again
    second = names(db)[1]
    _unsign(journal.journal_dir(db) / second)
    code, _, err = run(db, "build")
    assert code == 1 and second in err and "not signed" in err


def test_a_signing_killed_half_way_finishes_and_signs_nothing_new(db, tmp_path):
    for name in names(db):
        _unsign(journal.journal_dir(db) / name)
    mark = db.parent / journal.SIGNED_MARK
    first = names_on_disk(db)[0]
    mark.write_text(json.dumps({"state": "signing", "legacy": [first]}))  # killed after listing one entry only
    code, _, err = run(db, "build")
    second = names_on_disk(db)[1]
    assert code == 1 and second in err and "not signed" in err  # not listed when signing began: refused
    mark.write_text(json.dumps({"state": "signing", "legacy": names_on_disk(db)}))
    assert run(db, "build")[0] == 0


# ---------------------------------------------------------------- another deployment's backup


def test_another_deployments_backup_is_refused_unless_its_key_is_trusted(base, tmp_path):
    elsewhere = tmp_path / "other" / "dashboard.duckdb"
    assert run(elsewhere, "build")[0] == 0
    before = sha(elsewhere)
    code, _, err = run(elsewhere, "restore", str(base["archive"]))
    assert code == 1 and "made by another deployment" in err and "--trust-key" in err
    wrong = "not-the-right-key-0123456789abcdef"
    code, _, err = run(elsewhere, "restore", str(base["archive"]), "--trust-key", wrong)
    assert code == 1 and "made by another deployment" in err
    assert sha(elsewhere) == before and names(elsewhere) == []
    key = (base["db"].parent / journal.KEY_FILE).read_text().strip()
    code, _, err = run(elsewhere, "restore", str(base["archive"]), "--trust-key", key)
    assert code == 0, err
    assert dump(elsewhere) == base["after_dump"]
    # from now on the entries are this deployment's: signed with its own key, built without any trust
    own = journal.key_for(elsewhere.parent)
    assert all(_manifest(journal.journal_dir(elsewhere) / n)["key_id"] == own.id for n in names(elsewhere))
    assert run(elsewhere, "build")[0] == 0
    code, trail, _ = run(elsewhere, "audit")
    assert "trusting key" in trail


def test_an_archive_edited_with_every_checksum_recomputed_is_refused(db, base, tmp_path):
    with tarfile.open(base["archive"]) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar}
    root = "dashboard-backup/"
    rows_name = next(n for n in files if n.endswith("rows.jsonl"))
    files[rows_name] = files[rows_name].replace(b"301", b"999")
    man_name = rows_name.replace("rows.jsonl", "manifest.json")
    m = json.loads(files[man_name])
    m["rows_sha256"] = hashlib.sha256(files[rows_name]).hexdigest()
    files[man_name] = json.dumps(m).encode()
    listed = {n: d for n, d in files.items() if n not in (root + "SHA256SUMS", root + "SIGNATURE")}
    files[root + "SHA256SUMS"] = "".join(
        f"{hashlib.sha256(d).hexdigest()}  {n.removeprefix(root)}\n" for n, d in sorted(listed.items())
    ).encode()
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        for n, d in files.items():
            info = tarfile.TarInfo(n)
            info.size = len(d)
            tar.addfile(info, io.BytesIO(d))
    before, before_names = sha(db), names(db)
    code, _, err = run(db, "restore", str(bad))
    assert code == 1 and "signature does not match" in err
    assert sha(db) == before and names(db) == before_names


def test_a_backup_from_before_signing_needs_trust_unsigned(db, base, tmp_path):
    """What the previous release wrote: dashboard-backup/1, unsigned entries, no audit events, no SIGNATURE."""
    root = "dashboard-backup/"
    with tarfile.open(base["archive"]) as tar:
        files = {m.name.removeprefix(root): tar.extractfile(m).read() for m in tar}
    old = {"FORMAT": b"dashboard-backup/1\n"}
    for name, data in files.items():
        if name.endswith("manifest.json"):
            m = {k: v for k, v in json.loads(data).items() if k not in ("entry_sha256", "hmac", "key_id")}
            data = json.dumps({**m, "format": journal.LEGACY_FORMAT}, indent=1, sort_keys=True).encode()
        if name.startswith("journal/"):
            old[name] = data
    old["SHA256SUMS"] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(old.items())).encode()
    legacy = tmp_path / "old.tar.gz"
    with tarfile.open(legacy, "w:gz") as tar:
        for n, d in old.items():
            info = tarfile.TarInfo(root + n)
            info.size = len(d)
            tar.addfile(info, io.BytesIO(d))
    before = sha(db)
    code, _, err = run(db, "restore", str(legacy))
    assert code == 1 and "before backups were signed" in err and "--trust-unsigned" in err
    assert sha(db) == before
    code, _, err = run(db, "restore", str(legacy), "--trust-unsigned")
    assert code == 0, err
    assert names(db) == base["after_names"] and dump(db) == base["after_dump"]
    own = journal.key_for(db.parent)
    assert all(_manifest(journal.journal_dir(db) / n)["key_id"] == own.id for n in names(db))
    code, trail, _ = run(db, "audit")
    assert "trusted (--trust-unsigned)" in trail


# ---------------------------------------------------------------- a restore killed at each step


STEPS_BEFORE = ["restore-staged-journal", "restore-staged-database", "restore-staged-events"]
STEPS_AFTER = [
    "restore-committed",
    "restore-swapped",
    "restore-kept",
    "restore-db-replaced",
    "restore-events-merged",
]


def _restore_killed(db: Path, archive: Path, step: str, exchange: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC), journal.KILL_ENV: step}
    if not exchange:
        env[journal.NO_EXCHANGE_ENV] = "1"
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "--db", str(db), "restore", str(archive)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    "step, exchange",
    [(s, True) for s in STEPS_BEFORE + STEPS_AFTER] + [("restore-between-renames", False)],
)
def test_a_restore_killed_at_each_step_is_fully_before_or_fully_after(db, base, step, exchange):
    done = _restore_killed(db, base["archive"], step, exchange)
    assert done.returncode == -9, done.stderr  # killed where asked
    if exchange:
        assert journal.journal_dir(db).is_dir()  # one exchange: never a moment with no journal
    code, _, err = run(db, "build")  # the next writer: finishes a committed restore, or clears a staged one
    assert code == 0, err
    expected = "after" if step in STEPS_AFTER or step == "restore-between-renames" else "before"
    assert names(db) == base[f"{expected}_names"]
    assert dump(db) == base[f"{expected}_dump"]
    kept = list(db.parent.glob("journal-before-restore-*"))
    leftovers = [p.name for p in db.parent.iterdir() if p.name.startswith((".incoming-restore", ".restore-"))]
    assert leftovers == []
    code, trail, _ = run(db, "audit")
    assert trail.count(",restore,") == (1 if expected == "after" else 0)
    if expected == "after":
        assert len(kept) == 1 and [e.name for e in journal.entries(kept[0])] == base["before_names"]
    else:
        assert kept == []
    # a later load keeps it: nothing restored is deleted, nothing removed is adopted back
    load(db, "apr24.csv", "ref,period,value\nCIN1,2024-04,310\n")
    assert names(db)[:-1] == base[f"{expected}_names"] and len(names(db)) == len(base[f"{expected}_names"]) + 1
    loaded_files = " ".join(store.ReadOnlyStore(db).table("vintages")["source_file"].astype(str))
    store.ReadOnlyStore.close_all()
    assert ("mar24.csv" in loaded_files) == (expected == "before")  # a read of the vintages, not a second dump


# ---------------------------------------------------------------- bounded decompression


def _gzip_bomb(path: Path, size: int, kind: bytes = tarfile.REGTYPE) -> None:
    """A tar.gz whose one member is `size` bytes of zeros, in about size/1000 bytes: one gzip member per MB of
    zeros, concatenated (gzip readers treat them as one stream), so it is made in a moment. With kind "x" the
    zeros are a pax extended header, which tarfile reads whole before showing any member."""
    info = tarfile.TarInfo("dashboard-backup/journal/000001-upload-x/rows.jsonl")
    info.size, info.type = size, kind
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    mb = gzip.compress(bytes(1024 * 1024), compresslevel=9)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(header))
        for _ in range(size // (1024 * 1024)):
            fh.write(mb)


@pytest.mark.parametrize(
    "kind, bound_mb, message",
    [
        (tarfile.REGTYPE, 64, "refused before unpacking it"),  # refused on the declared size: nothing inflated
        (tarfile.XHDTYPE, 300, "refused before unpacking further"),  # stopped by the stream's bound (200 MB)
    ],
)
def test_a_gzip_bomb_is_refused_with_bounded_memory(db, tmp_path, kind, bound_mb, message):
    bomb = tmp_path / "bomb.tar.gz"
    _gzip_bomb(bomb, 6 * 1024**3, kind)
    assert bomb.stat().st_size < 8 * 1024**2  # a 6 MB file that would inflate to 6 GB
    probe = textwrap.dedent(
        f"""
        import resource
        from dashboard import cli
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        code = cli.main(["--db", {str(db)!r}, "restore", {str(bomb)!r}])
        print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """
    )
    before = sha(db)
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    code, grown_kb = map(int, done.stdout.split())
    assert code == 1 and message in done.stderr, done.stderr
    assert grown_kb < bound_mb * 1024, f"restore grew by {grown_kb} KB refusing a gzip bomb"
    assert sha(db) == before


def test_a_stream_that_unpacks_past_the_bound_is_refused_while_streaming(db, tmp_path, monkeypatch):
    """Members each under the per-file bound but together past the total: refused on the declared sizes."""
    from dashboard.writes import lifecycle

    monkeypatch.setattr(lifecycle, "MAX_UNPACKED_BYTES", 3 * 1024**2)
    bomb = tmp_path / "many.tar.gz"
    with tarfile.open(bomb, "w:gz") as tar:
        for n in range(5):
            info = tarfile.TarInfo(f"dashboard-backup/journal/00000{n}-x/rows.jsonl")
            info.size = 1024**2
            tar.addfile(info, io.BytesIO(bytes(info.size)))
    code, _, err = run(db, "restore", str(bomb))
    assert code == 1 and "refused before unpacking" in err


# ---------------------------------------------------------------- the audit trail survives backup -> wipe -> restore


def test_a_changed_key_stops_the_build_naming_the_entry(db, monkeypatch):
    monkeypatch.setenv(journal.KEY_ENV, "a-council-key-kept-in-secrets-0123456789")
    before = sha(db)
    code, _, err = run(db, "build")
    assert code == 1 and names_on_disk(db)[0] in err and "signed with another key" in err
    assert sha(db) == before


def names_on_disk(db: Path) -> list[str]:
    return sorted(p.name for p in journal.journal_dir(db).iterdir())


def test_backup_wipe_restore_keeps_every_refusal_and_the_dump(tmp_path, monkeypatch):
    monkeypatch.setenv(journal.KEY_ENV, "a-council-key-kept-in-secrets-0123456789")
    db = tmp_path / "data" / "dashboard.duckdb"
    assert run(db, "build")[0] == 0
    load(db, "feb24.csv", "ref,period,value\nCIN1,2024-02,301\n")
    audit.record(db, "write refused", "cin-editor@example.test", "area fd: not this editor's area")
    audit.record(db, "sign-in failed", "unknown", "state mismatch")
    audit.record(db, "sign-in without a role", "stranger@example.test", "shown the ask-for-access page")
    code, trail_before, _ = run(db, "audit")
    dump_before = dump(db)
    archive = tmp_path / "backup.tar.gz"
    assert run(db, "backup", str(archive))[0] == 0
    shutil.rmtree(db.parent)  # the whole data directory: database, journal, audit, key file
    code, _, err = run(db, "restore", str(archive))
    assert code == 0, err
    assert dump(db) == dump_before
    code, trail_after, _ = run(db, "audit")
    assert trail_after.startswith(trail_before.rstrip("\n").split("\n")[0])  # same header
    for line in trail_before.splitlines()[1:]:
        assert line in trail_after
    assert ",restore," in trail_after
    # restoring again adds the restore's own line and nothing twice
    assert run(db, "restore", str(archive))[0] == 0
    code, again, _ = run(db, "audit")
    assert again.count("area fd: not this editor's area") == 1 and again.count(",restore,") == 2


# ---------------------------------------------------------------- where the key comes from


def test_the_key_comes_from_the_environment_then_secrets_then_a_file_made_once(tmp_path, monkeypatch):
    data = tmp_path / "data"
    made = journal.key_for(data)
    assert made.where == str(data / journal.KEY_FILE)
    assert (data / journal.KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert journal.key_for(data).id == made.id  # made once, then read
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[journal]\nkey = "a-key-from-the-secrets-file-0123456789"\n')
    monkeypatch.setenv(journal.SECRETS_ENV, str(secrets))
    from_secrets = journal.key_for(data)
    assert from_secrets.id != made.id and "[journal] key" in from_secrets.where
    monkeypatch.setenv(journal.KEY_ENV, "a-key-from-the-environment-0123456789")
    assert journal.key_for(data).where == f"${journal.KEY_ENV}"
    monkeypatch.setenv(journal.KEY_ENV, "short")
    with pytest.raises(journal.JournalError, match="shorter than"):
        journal.key_for(data)
