"""What can be checked of the container without a Docker daemon: every file the Dockerfile copies exists and
is not excluded by .dockerignore, and the entrypoint's build step makes a working database."""

import fnmatch
import os
import subprocess
import sys
from pathlib import Path

from dashboard import store

ROOT = Path(__file__).resolve().parent.parent


def test_every_file_the_dockerfile_copies_is_in_the_build_context():
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()]
    copied = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            parts = [p for p in line.split()[1:] if not p.startswith("--")]
            copied += parts[:-1]
    assert copied, "the Dockerfile copies nothing"
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source


def test_the_entrypoint_build_step_makes_the_database(tmp_path):
    env = {
        **os.environ,
        "DASHBOARD_DB": str(tmp_path / "dashboard.duckdb"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    subprocess.run(["sh", "-n", str(ROOT / "deploy" / "entrypoint.sh")], check=True)
    subprocess.run(["sh", str(ROOT / "deploy" / "entrypoint.sh"), "build"], env=env, check=True, capture_output=True)
    reader = store.ReadOnlyStore(tmp_path / "dashboard.duckdb")
    try:
        assert len(reader.table("vintages")) >= 3 and store.schema_current(tmp_path / "dashboard.duckdb")
    finally:
        store.ReadOnlyStore.close_all()
