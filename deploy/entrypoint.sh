#!/bin/sh
# build: rebuild the database from sample_data/ and the journal on /data (never discards a journal entry).
# serve: run Streamlit; sign-in is on when /config/secrets.toml has an [auth] section.
set -eu
# The CLI reads [journal] key from the same secrets file the app is given, so both sign with one key.
export DASHBOARD_SECRETS_FILE="${DASHBOARD_SECRETS_FILE:-/config/secrets.toml}"
serve() {
  secrets=""
  [ -f /config/secrets.toml ] && secrets="--secrets.files /config/secrets.toml"
  # shellcheck disable=SC2086
  exec streamlit run /app/app.py --server.headless true --server.address 0.0.0.0 --server.port 8501 $secrets
}
case "${1:-build-and-serve}" in
  build) exec dashboard build --db "$DASHBOARD_DB" ;;
  serve) serve ;;
  build-and-serve) dashboard build --db "$DASHBOARD_DB"; serve ;;
  *) exec "$@" ;;
esac
