# Two commands: `make run` and `make test`. Everything else is set up by them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/dashboard.duckdb
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: run run-councils signin-demo test bench build clean browser-deps postgres-deps image lint format

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c constraints.txt setuptools
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Rebuild the store when any sample CSV or journal entry is newer than it, or the tables' definitions (store.py)
# changed in an upgrade. A build replays every journal entry (what users loaded and edited), so it never discards one.
JOURNAL := $(dir $(DB))journal
$(DB): $(STAMP) src/dashboard/store.py $(wildcard sample_data/*.csv) $(wildcard $(JOURNAL)/*/manifest.json)
	$(BIN)/dashboard build --db $(DB)

build: $(DB)

# The demo's child-level records: a SYNTHETIC council's Annex A extracts (records/synth.py, calibrated to the
# published figures; no real child), the newest loaded through the journal with the public demo key, once. A council
# loads its own with `dashboard load-annex-a` and its records key (docs/annex-a.md).
DEMO_RECORDS := $(dir $(DB)).demo-records
$(DEMO_RECORDS): | $(DB)
	$(BIN)/dashboard synth-annex-a --as-at 2024-01-31 --months 25 --seed 1 --out $(dir $(DB))synthetic-annex-a >/dev/null
	$(BIN)/dashboard load-annex-a --db $(DB) $(dir $(DB))synthetic-annex-a/synthetic-annex-a-2024-01-31.xlsx \
	  --as-at 2024-01-31 --demo-key
	touch $@

run: $(DB) $(DEMO_RECORDS)
	DASHBOARD_DB=$(DB) $(BIN)/streamlit run app.py --server.headless true --server.address 127.0.0.1 --server.port $(PORT)

# Several councils in one deployment (README, Several councils): a SYNTHETIC second council (its figures invented
# from Tameside's by councils.py) added, loaded and sharing with GM through the journal, once; then `make run`.
# The journal keeps it: `make run` shows it from then on too.
DEMO_COUNCILS := $(dir $(DB)).demo-councils
$(DEMO_COUNCILS): | $(DB)
	$(BIN)/dashboard add-council synthetic-borough --db $(DB) --name "Synthetic Borough (SYNTHETIC figures, not a real council)" \
	  --population 40000 --region gm --note "SYNTHETIC: invented for the demo"
	$(BIN)/dashboard synth-council --db $(DB) --out $(dir $(DB))synthetic-borough.csv
	$(BIN)/dashboard load --db $(DB) $(dir $(DB))synthetic-borough.csv --label "SYNTHETIC figures for Synthetic Borough"
	$(BIN)/dashboard share-region --db $(DB) --council synthetic-borough
	touch $@

run-councils: $(DB) $(DEMO_RECORDS) $(DEMO_COUNCILS)
	DASHBOARD_DB=$(DB) $(BIN)/streamlit run app.py --server.headless true --server.address 127.0.0.1 --server.port $(PORT)

# The app with sign-in on against a local OpenID Connect provider and an example roles file (one user per role),
# generated into signin-demo/ (git-ignored): try every role locally. Ctrl-C stops both servers.
signin-demo: $(DB)
	$(BIN)/python scripts/signin_demo.py --port $(PORT) --db $(DB)

browser-deps:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium poppler-utils >/dev/null; \
	  else echo "Browser tests need Debian's chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'" >&2; exit 1; fi; }
	@command -v pdftotext >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq poppler-utils >/dev/null || true; }

# tests/test_pgstate.py and the bench start a throwaway PostgreSQL from Debian's package (never a mock).
postgres-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
	  else echo "The shared-state tests need Debian's PostgreSQL server: run 'sudo apt-get install postgresql'" >&2; exit 1; fi; }

# The style gate runs first: ruff (configured in pyproject.toml) lints and checks formatting; `make format` fixes.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Two workers (pytest-xdist), each taking whole test modules so a module's server and browser start once; the
# browser tests spend much of their time waiting on the app, which the other worker fills.
test: $(STAMP) browser-deps postgres-deps lint
	$(BIN)/python -m pytest -q -n 2 --dist loadscope --no-loadscope-reorder

# Measurements in one run, each with the ratio to its reference (README, Performance). National-scale data is
# synthetic, generated on first use into bench-data/ (about 1 GB); results go to bench-results/.
bench: $(STAMP) browser-deps postgres-deps
	$(BIN)/python benchmarks/run.py

# The container a council's IT builds (Dockerfile; deploy/compose.yaml runs two replicas behind a proxy).
# Needs a Docker daemon, so it is not part of make test (README, Deploying for a council, says what was checked).
image:
	docker build -t childrens-dashboard .

# The journal under data/journal is the council's record, never a build product: clean leaves it alone.
clean:
	rm -f $(DB) $(DB).wal
	rm -rf test-artifacts bench-data bench-results signin-demo
