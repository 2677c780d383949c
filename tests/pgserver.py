"""A throwaway PostgreSQL from Debian's package, for tests/test_pgstate.py and `make bench`: initdb + pg_ctl in a
temporary directory, as `nobody` when run as root (PostgreSQL refuses root), on a free port of 127.0.0.1."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class NoPostgres(RuntimeError):
    """PostgreSQL is not installed or would not start: the message says why."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server():
    """Yields postgresql://dashboard@127.0.0.1:PORT (the superuser, trusted, local only); stopped and removed after."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise NoPostgres(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): `make test` installs Debian's "
            "postgresql when run as root; otherwise run `sudo apt-get install postgresql`"
        )
    bindir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="pgstate-", dir="/tmp"))  # not under a root-only pytest directory
    as_user: list[str] = []
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
        as_user = ["runuser", "-u", "nobody", "--"]
    port = _free_port()
    data, log = f"{root}/data", f"{root}/log"
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    steps = [
        [*as_user, str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", "dashboard", "--no-sync", "-E", "UTF8"],
        [*as_user, str(bindir / "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"],
    ]
    try:
        for cmd in steps:
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                logged = Path(log).read_text(errors="replace") if Path(log).exists() else ""
                raise NoPostgres(
                    f"PostgreSQL could not be started ({Path(cmd[len(as_user)]).name}): "
                    f"{(done.stderr or done.stdout).strip()} {logged.strip()}"
                )
        yield f"postgresql://dashboard@127.0.0.1:{port}"
    finally:
        if Path(data, "postmaster.pid").exists():
            subprocess.run(
                [*as_user, str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "stop"], capture_output=True
            )
        shutil.rmtree(root, ignore_errors=True)
