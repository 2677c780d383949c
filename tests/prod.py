"""The app as a council serves it, for the production-mode browser suite (tests/test_prod_*.py).

Sign-in on through a local OpenID Connect provider (oidc-provider-mock), a roles file, the background warm-up of
every month's views on, error details off as in the served configuration. Every
`look` fails the test if Streamlit drew an exception anywhere on the page.

`prod_app` is one server per test module, so a module may write to its copy. A module that only reads sets
`PROD_SHARED = True` and gets the one session-wide server instead (no start-up of its own); when the module ends
its database and journal must be byte-identical, or the module fails, naming itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_browser import free_port, settle, start_server

EXCEPTION = '[data-testid="stException"]'

USERS = {
    "viewer@example.test": {},
    "cin-editor@example.test": {},
    "pub@example.test": {"groups": ["performance-team"]},
    "admin@example.test": {},
    "stranger@example.test": {},
}
ROLES = """
[[grant]]
email = "viewer@example.test"
role = "viewer"

[[grant]]
email = "cin-editor@example.test"
role = "area_editor"
areas = ["cin_cp"]
records = ["cin_cp"]

[[grant]]
group = "performance-team"
role = "publisher"

[[grant]]
email = "admin@example.test"
role = "admin"
"""


def start_provider() -> tuple[subprocess.Popen, str]:
    """oidc-provider-mock on a free loopback port, knowing the users above; returns once it answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)]
    for email, extra in USERS.items():
        cmd += ["--user-claims", json.dumps({"sub": email, "email": email, **extra})]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=2).read()
            return proc, url
        except OSError:
            if time.time() > deadline:
                proc.kill()
                pytest.fail("the test OpenID provider did not start")
            time.sleep(0.2)


@dataclass
class ProdApp:
    url: str
    db: Path
    home: Path
    log: Path
    proc: subprocess.Popen
    # Cookies left by the first walk through the provider, per user: later sign-ins on this server start from them.
    signed_in: dict = field(default_factory=dict, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.db.parent

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_prod_app(provider_url: str, built_db: Path, home: Path, **env: str) -> ProdApp:
    """One app server on a private copy of the sample database, configured as deployed."""
    home.mkdir(parents=True, exist_ok=True)
    data = home / "data"
    data.mkdir(exist_ok=True)
    db = data / "dashboard.duckdb"
    shutil.copyfile(built_db, db)
    port = free_port()
    (home / "roles.toml").write_text(ROLES)
    (home / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-used-only-here"\n'
        'client_id = "dashboard"\n'
        'client_secret = "a-test-client-secret"\n'
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n'
    )
    log = home / "server.log"
    old_log = os.environ.get("STREAMLIT_LOG")
    os.environ["STREAMLIT_LOG"] = str(log)
    try:
        proc, url = start_server(
            db,
            args=("--secrets.files", str(home / "secrets.toml"), "--client.showErrorDetails", "none"),
            port=port,
            DASHBOARD_ROLES=str(home / "roles.toml"),
            DASHBOARD_WARM_VIEWS="1",
            **env,
        )
    finally:
        if old_log is None:
            os.environ.pop("STREAMLIT_LOG", None)
        else:
            os.environ["STREAMLIT_LOG"] = old_log
    return ProdApp(url=url, db=db, home=home, log=log, proc=proc)


def stop(app: ProdApp) -> None:
    app.proc.terminate()
    try:
        app.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        app.proc.kill()
        app.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def provider():
    proc, url = start_provider()
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def written_state(app: ProdApp) -> tuple[str, list[tuple[str, str]]]:
    """What a write changes: the database's bytes and every journal file's (audit refusals are not a write)."""

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    journal = app.data_dir / "journal"
    files = sorted(p for p in journal.rglob("*") if p.is_file()) if journal.exists() else []
    return digest(app.db), [(str(p.relative_to(app.data_dir)), digest(p)) for p in files]


@pytest.fixture(scope="session")
def shared_prod_app(provider, built_db, tmp_path_factory):
    """One app as deployed for the whole session, for the modules that only read (PROD_SHARED = True)."""
    app = start_prod_app(provider, built_db, tmp_path_factory.mktemp("prod-shared"))
    yield app
    stop(app)


@pytest.fixture(scope="module")
def prod_app(request, provider, built_db, tmp_path_factory):
    """The app as deployed: one per test module (each module may write to its own copy), or the session's
    shared one for a module that says it only reads (PROD_SHARED = True), checked unchanged when it ends."""
    if getattr(request.module, "PROD_SHARED", False):
        app = request.getfixturevalue("shared_prod_app")
        before = written_state(app)
        yield app
        if written_state(app) != before:
            pytest.fail(f"{request.module.__name__} wrote to the shared app's database or journal: it needs its own")
        return
    app = start_prod_app(provider, built_db, tmp_path_factory.mktemp("prod"))
    yield app
    stop(app)


def no_exception(page) -> None:
    """Fail if Streamlit drew a traceback anywhere on the page."""
    shown = page.locator(EXCEPTION)
    if shown.count():
        pytest.fail(f"a traceback reached the viewer at {page.url}: {shown.first.inner_text()[:500]}")


def look(page) -> None:
    """Wait until the script has finished, then check nothing on the page is a traceback."""
    settle(page)  # finished, and still finished two frames later with nothing stale: by events, no fixed sleep
    no_exception(page)


def sign_in(browser, app: ProdApp, who: str, path: str = "/", viewport=(1440, 900), fresh: bool = False):
    """A new browser context signed in as `who`, landing on `path`. The first sign-in per server and user (and
    every one with `fresh=True`) starts with no cookies and walks the provider's pages; later ones start from
    the cookies that walk left, as a returning browser would, and open `path` directly."""
    saved = None if fresh else app.signed_in.get(who)
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, storage_state=saved)
    page = context.new_page()
    page.goto(app.url + path)
    look(page)
    if saved is not None:
        return page
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    page.get_by_role("button", name=who, exact=True).click()
    page.wait_for_url(app.url + "/**", timeout=30_000)
    look(page)
    app.signed_in[who] = context.storage_state()
    return page
