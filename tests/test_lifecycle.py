"""Month after month without losing anything: the write journal, rebuilds that keep every write,
backup and restore, targets and comparators with history, and one writer at a time."""

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from dashboard import cli, store
from dashboard.engine import scorecard
from dashboard.engine.targets import in_force
from dashboard.input import ingest
from dashboard.writes import commentary, journal

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def run(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", str(db), *args])
    store.ReadOnlyStore.close_all()
    return code, out.getvalue(), err.getvalue()


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture()
def db(tmp_path) -> Path:
    path = tmp_path / "data" / "dashboard.duckdb"
    assert run(path, "build")[0] == 0
    return path


def every_kind_of_write(db: Path, tmp_path: Path) -> None:
    """Figures, weekly figures, commentary, plan BRAG, targets, comparators and national statistics: one of each."""
    assert (
        run(db, "load", str(write(tmp_path, "feb24.csv", 'ref,period,value\nCIN1,2024-02,301\nFD1,2024-02,"1,402"\n')))[
            0
        ]
        == 0
    )
    assert run(db, "load", str(write(tmp_path, "week.csv", "ref,period,value\nCW1,2024-02-02,17\n")))[0] == 0
    assert (
        run(db, "load-plan", str(write(tmp_path, "brag.csv", "action_ref,action_brag,impact_brag\n1.1,Green,Amber\n")))[
            0
        ]
        == 0
    )
    assert (
        run(db, "load-targets", str(write(tmp_path, "targets.csv", "ref,target,tolerance,from\nCIN8,90%,3,2024/25\n")))[
            0
        ]
        == 0
    )
    assert (
        run(
            db,
            "load-comparators",
            str(
                write(
                    tmp_path,
                    "cmp.csv",
                    "ref,comparator,value,year,source\nCIN2,england,560,2023/24,DfE Children in need 2024\n",
                )
            ),
        )[0]
        == 0
    )

    commentary.publish(
        db, "cin_cp", pd.Timestamp("2024-01-01").date(), "Referrals *rose* in January.", author="Head of CIN"
    )
    # A DfE release revising Tameside's 2022/23 looked-after figures (rows copied from the published file).
    release = tmp_path / "cla_number_and_rate_per_10k_children.csv"
    fixture = Path(__file__).parent / "fixtures" / "national" / release.name
    release.write_bytes(fixture.read_bytes().replace(b"51744,655,127", b"51744,660,128"))
    assert run(db, "load-national", str(release))[0] == 0
    store.ReadOnlyStore.close_all()


def dump_all(db: Path) -> str:
    code, out, err = run(db, "dump", "--all")
    assert code == 0, err
    return out


# ---------------------------------------------------------------- the journal and rebuilds


def test_the_scenario_from_the_issue_load_touch_a_sample_file_make_build(tmp_path):
    """dashboard load feb24.csv; touch a file in sample_data/ (then the tables' definitions); make build: the
    uploaded month is still there."""
    # In a copy of the project (the Makefile and sample_data/, the same virtualenv), so the repository's own
    # files are never touched by the test.
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "sample_data", project / "sample_data", copy_function=shutil.copy2)
    (project / "src" / "dashboard").mkdir(parents=True)  # the tables' definitions: a change to them rebuilds
    shutil.copy2(ROOT / "src" / "dashboard" / "store.py", project / "src" / "dashboard" / "store.py")
    (project / ".venv").symlink_to(sys.prefix)  # the virtualenv running the tests, already set up:
    installed = (project / ".venv" / ".installed").stat().st_mtime if (project / ".venv" / ".installed").exists() else 0
    for name in ("pyproject.toml", "constraints.txt"):  # so make does not install it again
        os.utime(project / name, (installed - 1, installed - 1))
    db = tmp_path / "data" / "dashboard.duckdb"
    env = {**os.environ, "DB": str(db)}
    make = ["make", "-s", "build", f"DB={db}"]
    subprocess.run(make, cwd=project, env=env, check=True, capture_output=True)
    feb = write(tmp_path, "feb24.csv", "ref,period,value\nCIN1,2024-02,301\n")
    assert run(db, "load", str(feb))[0] == 0
    newer = db.stat().st_mtime + 5  # a sample file newer than the database: make must rebuild
    os.utime(project / "sample_data" / "targets.csv", (newer, newer))
    done = subprocess.run(make, cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 from the journal" in done.stderr  # it really rebuilt
    newer = db.stat().st_mtime + 5  # an upgrade that changes the tables' definitions rebuilds too
    os.utime(project / "src" / "dashboard" / "store.py", (newer, newer))
    done = subprocess.run(make, cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "1 from the journal" in done.stderr, done.stderr
    rows = store.ReadOnlyStore(db).dump(False)
    store.ReadOnlyStore.close_all()
    feb_rows = rows[(rows["ref"] == "CIN1") & (pd.to_datetime(rows["period"]) == "2024-02-01")]
    assert list(feb_rows["value"]) == [301.0]


def test_every_kind_of_write_survives_a_rebuild(db, tmp_path):
    every_kind_of_write(db, tmp_path)
    before = dump_all(db)
    entries = journal.entries(journal.journal_dir(db))
    assert [e.manifest["kind"] for e in entries] == [
        "upload",
        "upload",
        "plan",
        "targets",
        "comparators",
        "commentary",
        "national",
    ]
    assert run(db, "build")[0] == 0
    assert dump_all(db) == before
    for table in ("observations", "weekly", "plan_actions", "targets", "comparators", "commentary", "national_values"):
        assert f"# {table} (" in before
    assert "Referrals *rose* in January." in before and "DfE Children in need 2024" in before
    assert "Tameside,E12000002,128,value,660,51744,national-" in before  # the revised figure, its own vintage


def test_a_journal_entry_records_who_what_and_checksums(db, tmp_path):
    f = write(tmp_path, "feb24.csv", "ref,period,value\nCIN1,2024-02,301\n")
    code, out, _ = run(db, "load", str(f))
    assert code == 0
    (entry,) = journal.entries(journal.journal_dir(db))
    m = entry.manifest
    assert m["kind"] == "upload" and m["user"].startswith("cli") and m["source_file"] == "feb24.csv"
    assert m["source_sha256"] == sha(f) and m["row_counts"] == {"observations": 1}
    assert m["rows_sha256"] == sha(entry.path / "rows.jsonl")
    assert m["vintage"]["vintage"] in out and entry.name.startswith("000001-upload-")


def test_a_damaged_entry_stops_the_build_and_names_it(db, tmp_path):
    assert run(db, "load", str(write(tmp_path, "feb24.csv", "ref,period,value\nCIN1,2024-02,301\n")))[0] == 0
    (entry,) = journal.entries(journal.journal_dir(db))
    rows = entry.path / "rows.jsonl"
    rows.write_text(rows.read_text().replace("301", "999"))
    before = sha(db)
    code, _, err = run(db, "build")
    assert code == 1
    assert entry.name in err and "fails its checksum" in err and "nothing was published" in err
    assert sha(db) == before


def test_an_entry_that_no_longer_fits_the_catalogue_stops_the_build(db, tmp_path):
    assert run(db, "load", str(write(tmp_path, "feb24.csv", "ref,period,value\nCIN1,2024-02,301\n")))[0] == 0
    sample = tmp_path / "sample"
    sample.mkdir()
    for f in ingest.SAMPLE_DIR.glob("*.csv"):
        (sample / f.name).write_bytes(f.read_bytes())
    ind = pd.read_csv(sample / "indicators.csv", dtype=str, keep_default_na=False)
    ind[ind["ref"] != "CIN1"].to_csv(sample / "indicators.csv", index=False)
    for name in (
        "observations",
        "targets",
        "comparators",
        "baselines",
        "printed_ratings",
        "indicator_names",
        "national_map",
    ):
        t = pd.read_csv(sample / f"{name}.csv", dtype=str, keep_default_na=False)
        t[t["ref"] != "CIN1"].to_csv(sample / f"{name}.csv", index=False)
    before = sha(db)
    code, _, err = run(db, "build", "--sample-dir", str(sample))
    assert code == 1 and "unknown ref CIN1" in err and "000001-upload" in err
    assert sha(db) == before


def test_a_crash_between_journal_and_publish_is_caught_up(db, tmp_path):
    """The entry is written first; if the process dies before publishing, the next write (or build) publishes it."""
    frames = {
        "observations": pd.DataFrame(
            [
                {
                    "authority": "tameside",
                    "ref": "CIN1",
                    "period": "2024-02-01",
                    "vintage": "upload-20240301-000000-000000",
                    "value": 301.0,
                    "status": "value",
                    "note": "",
                    "source_file": "lost.csv",
                    "source_line": 2,
                }
            ]
        )
    }
    vintage = {
        "vintage": "upload-20240301-000000-000000",
        "label": "Upload before a crash",
        "published": "2024-03-01",
        "source_file": "lost.csv",
        "kind": "upload",
        "as_of_note": "",
        "loaded_at": "2024-03-01T09:00:00",
    }
    with journal.writer_lock(db, "test"):
        journal.record(db, "upload", vintage, frames, "cli", "lost.csv", "")
    assert run(db, "load", str(write(tmp_path, "mar.csv", "ref,period,value\nCIN3,2024-02,12\n")))[0] == 0
    dumped = dump_all(db)
    assert "upload-20240301-000000-000000" in dumped and "mar.csv" in dumped


def _old_upload() -> tuple[dict, pd.DataFrame]:
    """An upload as a version before the journal wrote it: straight into the database file."""
    vintage = {
        "vintage": "upload-20240310-120000-000000",
        "label": "Old upload",
        "published": pd.Timestamp("2024-03-10").date(),
        "source_file": "old.csv",
        "kind": "upload",
        "as_of_note": "",
    }
    rows = pd.DataFrame(
        [
            {
                "authority": "tameside",
                "ref": "CIN1",
                "period": pd.Timestamp("2024-02-01").date(),
                "vintage": vintage["vintage"],
                "value": 288.0,
                "status": "value",
                "note": "",
                "source_file": "old.csv",
                "source_line": 2,
            }
        ]
    )
    return vintage, rows


def test_upgrade_adopts_uploads_that_exist_only_in_the_database(db):
    """A database written before the journal existed: its uploads are journaled before a rebuild, not lost."""
    vintage, rows = _old_upload()
    store.publish(db, vintage, {"observations": rows})  # the old way: straight into the file
    # A database from before the journal has no journal directory (every build since makes one); with one, a
    # vintage found only in the database was removed on purpose (a restore) and is not adopted.
    assert run(db, "build")[0] == 0 and journal.entries(journal.journal_dir(db)) == []
    store.publish(db, vintage, {"observations": rows})
    journal.journal_dir(db).rmdir()
    assert run(db, "build")[0] == 0
    (entry,) = journal.entries(journal.journal_dir(db))
    assert entry.manifest["user"] == "adopted from the database on upgrade"
    assert "upload-20240310-120000-000000" in dump_all(db)


def test_a_first_write_to_a_database_from_before_the_journal_adopts_it_first(db, tmp_path):
    """Found on an adversarial pass: with no journal yet, a load started the journal without adopting what only
    the database held, and the next rebuild dropped it. The write now adopts first."""
    vintage, rows = _old_upload()
    store.publish(db, vintage, {"observations": rows})
    shutil.rmtree(journal.journal_dir(db))  # as a database written before the journal existed
    assert run(db, "load", str(write(tmp_path, "mar.csv", "ref,period,value\nCIN3,2024-02,12\n")))[0] == 0
    assert run(db, "build")[0] == 0
    dumped = dump_all(db)
    assert "upload-20240310-120000-000000" in dumped and "mar.csv" in dumped
    users = [e.manifest["user"] for e in journal.entries(journal.journal_dir(db))]
    assert users[0] == "adopted from the database on upgrade" and len(users) == 2


def test_make_clean_keeps_the_journal():
    text = (ROOT / "Makefile").read_text()
    clean = text[text.index("clean:") :].split("\n\n")[0]
    assert "rm -rf data" not in clean and "journal" not in clean.split("clean:")[1].replace("# ", "")


# ---------------------------------------------------------------- backup and restore


def test_dump_backup_restore_into_an_empty_directory_dump_is_identical(db, tmp_path):
    every_kind_of_write(db, tmp_path)
    before = dump_all(db)
    archive = tmp_path / "backup.tar.gz"
    assert run(db, "backup", str(archive))[0] == 0
    elsewhere = tmp_path / "elsewhere" / "dashboard.duckdb"
    code, _, err = run(elsewhere, "restore", str(archive))  # another deployment's key: refused without trust
    assert code == 1 and "made by another deployment" in err and "--trust-key" in err
    code, _, err = run(elsewhere, "restore", str(archive), "--trust-key", str(db.parent / journal.KEY_FILE))
    assert code == 0, err
    assert dump_all(elsewhere) == before


def _archive_with(tmp_path: Path, files: dict[str, bytes], name: str) -> Path:
    out = tmp_path / name
    with tarfile.open(out, "w:gz") as tar:
        for member, data in files.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


@pytest.mark.parametrize(
    "damage, message",
    [
        ("truncated", "not a complete dashboard backup"),
        ("tampered", "fails its checksum"),
        ("foreign", "which a dashboard backup never does"),
        ("unlisted", "do not match the checksum list"),
        ("no_marker", "not a dashboard backup"),
    ],
)
def test_a_bad_archive_is_refused_and_nothing_changes(db, tmp_path, damage, message):
    assert run(db, "load", str(write(tmp_path, "feb24.csv", "ref,period,value\nCIN1,2024-02,301\n")))[0] == 0
    good = tmp_path / "good.tar.gz"
    assert run(db, "backup", str(good))[0] == 0
    with tarfile.open(good) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar}
    rows_member = next(n for n in files if n.endswith("rows.jsonl"))
    if damage == "truncated":
        bad = tmp_path / "bad.tar.gz"
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif damage == "tampered":
        files[rows_member] = files[rows_member].replace(b"301", b"999")
        bad = _archive_with(tmp_path, files, "bad.tar.gz")
    elif damage == "foreign":
        bad = _archive_with(tmp_path, {"../../etc/cron.d/x": b"* * * * * root true\n"}, "bad.tar.gz")
    elif damage == "unlisted":
        files["dashboard-backup/journal/extra.txt"] = b"x"
        bad = _archive_with(tmp_path, files, "bad.tar.gz")
    else:
        del files["dashboard-backup/FORMAT"]
        bad = _archive_with(tmp_path, files, "bad.tar.gz")
    before_db, before_journal = sha(db), [p.name for p in journal.journal_dir(db).iterdir()]
    code, _, err = run(db, "restore", str(bad))
    assert code == 1 and message in err
    assert sha(db) == before_db
    assert [p.name for p in journal.journal_dir(db).iterdir()] == before_journal


def test_restore_keeps_the_journal_it_replaces(db, tmp_path):
    empty_backup = tmp_path / "empty.tar.gz"
    assert run(db, "backup", str(empty_backup))[0] == 0
    assert run(db, "load", str(write(tmp_path, "feb24.csv", "ref,period,value\nCIN1,2024-02,301\n")))[0] == 0
    code, _, err = run(db, "restore", str(empty_backup))
    assert code == 0 and "kept in" in err
    kept = list(db.parent.glob("journal-before-restore-*"))
    assert len(kept) == 1 and len(journal.entries(kept[0])) == 1


# ---------------------------------------------------------------- targets with history


def test_a_new_years_target_rates_from_april_and_earlier_months_keep_theirs(db, tmp_path):
    code, out, err = run(db, "load-targets", str(write(tmp_path, "t.csv", "ref,target,from\nCIN2,600,2024/25\n")))
    assert code == 0, err
    assert "CIN2" in out and "612" in out and "600" in out  # the preview: target now, new target
    reader = store.ReadOnlyStore(db)
    targets = reader.targets_as_of("latest", "tameside")
    store.ReadOnlyStore.close_all()
    jan = in_force(targets, pd.Timestamp("2024-01-01").date())
    apr = in_force(targets, pd.Timestamp("2024-04-01").date())
    assert jan.set_index("ref").at["CIN2", "target_text"] == "612"
    assert apr.set_index("ref").at["CIN2", "target_text"] == "600"
    code, out, _ = run(db, "scorecard", "--month", "2024-01", "--area", "cin_cp")
    assert "against a target of 612" in out


def test_a_target_from_april_rates_april_in_the_engine(built_db):
    reader = store.ReadOnlyStore(built_db)
    from dashboard import service

    inputs = service.inputs(reader, "latest", "tameside")
    store.ReadOnlyStore.close_all()
    extra = pd.DataFrame(
        [
            {
                "authority": "tameside",
                "ref": "CIN8",
                "vintage": "x",
                "target_text": "95%",
                "source_file": "t.csv",
                "source_line": 2,
                "applies_from": pd.Timestamp("2024-02-01").date(),
                "tolerance": 1.0,
                "seq": 99,
            }
        ]
    )
    inputs.targets = pd.concat([inputs.targets, extra], ignore_index=True)
    jan = scorecard.build(inputs, pd.Timestamp("2024-01-01").date(), ["cin_cp"]).set_index("ref").loc["CIN8"]
    feb = scorecard.build(inputs, pd.Timestamp("2024-02-01").date(), ["cin_cp"]).set_index("ref").loc["CIN8"]
    assert jan["target_text"] == "85%"
    assert feb["target_text"] == "95%" and feb["amber_tolerance"] == 1.0


def test_the_detail_page_lists_the_target_history(db, tmp_path):
    assert run(db, "load-targets", str(write(tmp_path, "t.csv", "ref,target,from\nCIN2,600,2024/25\n")))[0] == 0
    hist = store.ReadOnlyStore(db).target_history("tameside", "CIN2")
    store.ReadOnlyStore.close_all()
    assert list(hist["target_text"]) == ["612", "600"]
    assert pd.isna(hist["applies_from"].iloc[0]) and str(hist["applies_from"].iloc[1])[:10] == "2024-04-01"


@pytest.mark.parametrize(
    "text, where",
    [
        ("ref,target,from\nCIN2,six hundred,2024/25\n", "row 2, column 'target'"),
        ("ref,target,from\nZZ9,600,2024/25\n", "row 2, column 'ref': unknown ref 'ZZ9'"),
        ("ref,target,from\nCIN2,600,2024/25\nCIN2,590,Apr-24\n", "row 3, column 'from': overlapping periods"),
        ("ref,target,from\nCIN2,600,2024/26\n", "row 2, column 'from'"),
        (
            "ref,target,from\nCIN8,120%,2024/25\n",
            "row 2, column 'target': CIN8 is a percentage; target '120%' is above 100%",
        ),
        ("ref,target,tolerance\nCIN8,85%,-2\n", "row 2, column 'tolerance'"),
        ("ref,target,when\nCIN8,85%,2024/25\n", "row 1, column 'when': unknown column"),
        ("ref,target\nCIN4,22%\n", "row 2, column 'target': target '22%' has no direction"),
    ],
)
def test_a_bad_targets_file_is_refused_with_file_row_column(db, tmp_path, text, where):
    before = sha(db)
    code, _, err = run(db, "load-targets", str(write(tmp_path, "targets.csv", text)))
    assert code == 1 and f"targets.csv, {where}" in err
    assert sha(db) == before and not journal.entries(journal.journal_dir(db))


# ---------------------------------------------------------------- comparators with their year


def test_a_newer_comparator_year_supersedes_from_now_and_old_vintages_keep_what_the_panel_saw(db, tmp_path):
    code, out, err = run(
        db,
        "load-comparators",
        str(write(tmp_path, "c.csv", "ref,comparator,value,year,source\nCIN2,england,560,2023/24,DfE CIN 2024\n")),
    )
    assert code == 0, err
    reader = store.ReadOnlyStore(db)
    latest = reader.comparators_as_of("latest", "tameside").set_index(["ref", "comparator"])
    printed = reader.comparators_as_of("pack-2024-03", "tameside").set_index(["ref", "comparator"])
    store.ReadOnlyStore.close_all()
    assert (latest.at[("CIN2", "england"), "value"], latest.at[("CIN2", "england"), "year"]) == (560.0, "2023/24")
    assert printed.at[("CIN2", "england"), "year"] == "2022/23"
    _, out, _ = run(db, "scorecard", "--month", "2024-01", "--area", "cin_cp")
    assert ",560," in next(line for line in out.splitlines() if line.startswith("CIN2,"))


def test_an_older_comparator_year_does_not_replace_a_newer_one(db, tmp_path):
    code, out, _ = run(
        db, "load-comparators", str(write(tmp_path, "c.csv", "ref,comparator,value,year\nCIN2,england,500,2019/20\n"))
    )
    assert code == 0 and "kept as history" in out
    latest = store.ReadOnlyStore(db).comparators_as_of("latest", "tameside").set_index(["ref", "comparator"])
    store.ReadOnlyStore.close_all()
    assert latest.at[("CIN2", "england"), "year"] == "2022/23"


@pytest.mark.parametrize(
    "text, where",
    [
        ("ref,comparator,value,year\nCIN2,wales,560,2023/24\n", "row 2, column 'comparator'"),
        ("ref,comparator,value,year\nCIN8,england,104%,2023/24\n", "row 2, column 'value'"),
        ("ref,comparator,value,year\nCIN2,england,560,last year\n", "row 2, column 'year'"),
        ("ref,comparator,value,year\nCIN2,england,,2023/24\n", "row 2, column 'value'"),
        ("ref,comparator,value,year\nCIN2,england,560,2023/24\nCIN2,England,561,2023/24\n", "row 3, column 'year'"),
    ],
)
def test_a_bad_comparators_file_is_refused_with_file_row_column(db, tmp_path, text, where):
    before = sha(db)
    code, _, err = run(db, "load-comparators", str(write(tmp_path, "cmp.csv", text)))
    assert code == 1 and f"cmp.csv, {where}" in err
    assert sha(db) == before


# ---------------------------------------------------------------- one writer at a time

# Holds the writer lock until the test says to let go (a file appears), so the test never depends on how long the
# second writer takes to start on a busy machine; bounded all the same.
HOLD = """
import sys, time
from pathlib import Path
from dashboard.writes import journal
with journal.writer_lock(Path(sys.argv[1]), "a test holding the lock"):
    Path(sys.argv[2]).touch()
    deadline = time.monotonic() + float(sys.argv[4])
    while not Path(sys.argv[3]).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
"""


def test_a_second_writer_waits_a_bounded_time_then_is_refused(db, tmp_path):
    ready, release = tmp_path / "ready", tmp_path / "release"
    holder = subprocess.Popen([PYTHON, "-c", HOLD, str(db), str(ready), str(release), "120"])
    try:
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        before = sha(db)
        f = write(tmp_path, "feb24.csv", "ref,period,value\nCIN1,2024-02,301\n")
        done = subprocess.run(
            [str(Path(PYTHON).parent / "dashboard"), "--db", str(db), "load", str(f)],
            env={**os.environ, "DASHBOARD_WRITE_WAIT": "0.5"},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1
        assert "another load is being published (a test holding the lock" in done.stderr
        assert sha(db) == before
    finally:
        release.touch()
        holder.wait(timeout=30)
    assert run(db, "load", str(f))[0] == 0  # once the first has finished, the same load goes through


def test_two_loads_at_the_same_moment_both_land(db, tmp_path):
    files = [write(tmp_path, f"load{i}.csv", f"ref,period,value\nCIN{i},2024-02,{300 + i}\n") for i in (1, 6)]
    procs = [
        subprocess.Popen(
            [str(Path(PYTHON).parent / "dashboard"), "--db", str(db), "load", str(f)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0, 0], results
    dumped = store.ReadOnlyStore(db).dump(True)
    store.ReadOnlyStore.close_all()
    feb = dumped[pd.to_datetime(dumped["period"]) == "2024-02-01"].set_index("ref")["value"]
    assert feb["CIN1"] == 301 and feb["CIN6"] == 306
    assert len(journal.entries(journal.journal_dir(db))) == 2
