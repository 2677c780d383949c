import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis's default 200 ms deadline per example is a timing assertion: on a busy machine (or beside another
# xdist worker) it fails tests whose answers are right. Examples are judged by what they return, never by time.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

# The app works out every month's views in a background thread; the tests that need it turn it on, so no test
# run pays for it by accident.
os.environ.setdefault("DASHBOARD_WARM_VIEWS", "0")

from dashboard import store
from dashboard.input import ingest

# The production-mode browser suite's fixtures (provider, prod_app): tests/prod.py.
pytest_plugins = ["prod"]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """One database built from sample_data/ for read-only tests."""
    path = tmp_path_factory.mktemp("db") / "dashboard.duckdb"
    ingest.build_from_sample(path)
    return path


@pytest.fixture(scope="module")
def reader(built_db):
    """A read-only store on the sample build, for tests that only read."""
    r = store.ReadOnlyStore(built_db)
    yield r
    store.ReadOnlyStore.close_all()


@pytest.fixture()
def fresh_db(tmp_path, built_db) -> Path:
    """A private copy for tests that write."""
    store.ReadOnlyStore.close_all()
    path = tmp_path / "dashboard.duckdb"
    shutil.copyfile(built_db, path)
    yield path
    store.ReadOnlyStore.close_all()


@pytest.fixture(scope="session", autouse=True)
def app_db(built_db):
    os.environ["DASHBOARD_DB"] = str(built_db)
    yield


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module, for every browser test file."""
    from playwright.sync_api import sync_playwright
    from test_browser import ARGS, CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


# The longest modules first: `make test` hands whole modules to two workers in collection order
# (--no-loadscope-reorder), so a long browser module started last cannot leave one worker running it alone.
LONGEST_FIRST = (
    "test_bench.py",
    "test_prod_runtime.py",
    "test_journal_signing.py",
    "test_pgstate.py",
    "test_accessibility.py",
    "test_browser.py",
    "test_prod_breakdown.py",
    "test_replicas.py",
    "test_lifecycle.py",
    "test_app.py",
    "test_trust.py",
    "test_prod_layout.py",
    "test_prod_charts.py",
    "test_prod_routing.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    count: dict[str, int] = {}
    for item in items:
        count[item.path.name] = count.get(item.path.name, 0) + 1
    # then the rest by how many tests they hold, as xdist's own reordering would; stable within a module
    items.sort(key=lambda item: (rank.get(item.path.name, len(rank)), -count[item.path.name], item.path.name))
