import datetime as dt
import hashlib
import io
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from dashboard import cli, store
from dashboard.input import ingest


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_build_is_idempotent_and_atomic(tmp_path):
    db = tmp_path / "d.duckdb"
    ingest.build_from_sample(db)
    first = store.ReadOnlyStore(db).dump(True)
    store.ReadOnlyStore.close_all()
    ingest.build_from_sample(db)
    second = store.ReadOnlyStore(db).dump(True)
    pd.testing.assert_frame_equal(first, second)
    assert [p.name for p in tmp_path.iterdir()] == ["d.duckdb"]  # no temp file left behind
    store.ReadOnlyStore.close_all()


def test_failed_build_leaves_old_file(tmp_path, built_db, monkeypatch):
    db = tmp_path / "d.duckdb"
    db.write_bytes(built_db.read_bytes())
    before = sha(db)
    frames = ingest.read_sample()
    frames["observations"] = frames["observations"].drop(columns=["status"])
    with pytest.raises(Exception, match="status"):  # the missing column is named
        store.build(db, frames)
    assert sha(db) == before
    assert len(list(tmp_path.iterdir())) == 1


def test_dump_all_reproduces_published_cells_including_revisions(built_db):
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--db", str(built_db), "dump", "--vintage", "all"]) == 0
    dump = pd.read_csv(io.StringIO(out.getvalue()), dtype=str, keep_default_na=False)
    sample = pd.read_csv(Path(ingest.SAMPLE_DIR) / "observations.csv", dtype=str, keep_default_na=False)
    key = ["ref", "period", "vintage"]
    merged = sample.merge(dump, on=key, suffixes=("_pub", "_dump"))
    assert len(merged) == len(sample) == len(dump)
    assert (merged["status_pub"] == merged["status_dump"]).all()
    nums = merged[merged["status_pub"] == "value"]
    assert (nums["value_pub"].astype(float) == nums["value_dump"].astype(float)).all()
    fd1 = dump[(dump.ref == "FD1") & (dump.period == "2023-09")].set_index("vintage")["value"]
    assert fd1["pack-2023-11"] == "1265" and fd1["pack-2024-03"] == "1318"


def test_latest_and_as_of_views(built_db):
    r = store.ReadOnlyStore(built_db)
    latest = r.observations_as_of("latest", "tameside", ["FD1"]).set_index("period")["value"]
    nov = r.observations_as_of("pack-2023-11", "tameside", ["FD1"]).set_index("period")["value"]
    assert latest[dt.date(2023, 9, 1)] == 1318
    assert nov[dt.date(2023, 9, 1)] == 1265
    assert len(r.revisions("tameside")) == 70


def test_reader_follows_a_replaced_file(fresh_db, tmp_path):
    r = store.ReadOnlyStore(fresh_db)
    before = r.vintage_seq("latest")
    assert before == len(r.table("vintages"))
    import datetime as dt

    store.publish(
        fresh_db,
        {
            "vintage": "upload-x",
            "label": "x",
            "published": dt.date(2024, 4, 1),
            "source_file": "x",
            "kind": "upload",
            "as_of_note": "",
        },
        {},
    )
    assert store.ReadOnlyStore(fresh_db).vintage_seq("latest") == before + 1


def test_cli_build_command(tmp_path):
    db = tmp_path / "cli.duckdb"
    res = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "--db", str(db), "build"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert db.exists()


def test_the_store_returns_dates_once_whatever_the_column_holds(built_db):
    """DATE columns come back as datetime.date in object columns: also when every value is NULL (pandas would keep
    datetime64 there, which a date cannot be compared with) and when two columns share a name."""
    r = store.ReadOnlyStore(built_db)
    obs = r.observations_as_of("latest", "tameside", ["FD1"])
    assert obs["period"].dtype == object and all(type(p) is dt.date for p in obs["period"])
    blank = r.query("SELECT CAST(NULL AS DATE) AS applies_from, DATE '2024-01-01' AS period")
    assert blank["applies_from"].dtype == object and not (blank["applies_from"] <= dt.date(2024, 1, 1)).any()
    twice = r.query("SELECT DATE '2024-01-01' AS period, DATE '2024-02-01' AS period")
    assert [type(v) for v in twice.iloc[0]] == [dt.date, dt.date]
    assert list(twice.iloc[0]) == [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]
