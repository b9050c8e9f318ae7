#!/usr/bin/env bash
# Start the deployment's Dagster services from the shipped files: the same commands run in
# docker-compose (one service each) and under `make serve` (all three on one machine).
#
#   deploy/serve.sh code-server | webserver | webserver-read-only | daemon | all
#
# Needs DAGSTER_HOME (the instance folder; the shipped dagster.yaml is copied there when it has
# none), the DAGSTER_POSTGRES_* variables of Dagster's storage and DAGSTER_CODE_SERVER_HOST/PORT
# (read by workspace.yaml). The code server also needs the pipeline's own settings
# (.env.example); with SUPPLIER_PIPELINE_ENV=production it refuses to start without them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Settings from the checkout's .env (as docker compose reads it); the environment wins.
if [ -f "$ROOT/.env" ]; then
  while IFS='=' read -r key value; do
    [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    [ -n "${!key+x}" ] || export "$key=$value"
  done < "$ROOT/.env"
fi
BIN="${SUPPLIER_PIPELINE_BIN:-$(dirname "$(command -v python3)")}"
: "${DAGSTER_HOME:?set DAGSTER_HOME to the Dagster instance folder}"
: "${DAGSTER_CODE_SERVER_HOST:=127.0.0.1}"
: "${DAGSTER_CODE_SERVER_PORT:=4000}"
: "${DAGSTER_WEBSERVER_HOST:=127.0.0.1}"
: "${DAGSTER_WEBSERVER_PORT:=3000}"
export DAGSTER_HOME DAGSTER_CODE_SERVER_HOST DAGSTER_CODE_SERVER_PORT
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
# dagster-dbt runs the dbt next to this Python
export PATH="$BIN:$PATH"

mkdir -p "$DAGSTER_HOME"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp "$ROOT/dagster.yaml" "$DAGSTER_HOME/dagster.yaml"

code_server() {
  exec "$BIN/dagster" code-server start -h "${DAGSTER_CODE_SERVER_BIND:-$DAGSTER_CODE_SERVER_HOST}" \
    -p "$DAGSTER_CODE_SERVER_PORT" -m supplier_pipeline.definitions \
    --location-name supplier_pipeline --working-directory "$ROOT"
}
webserver() {
  exec "$BIN/dagster-webserver" -h "$DAGSTER_WEBSERVER_HOST" -p "$DAGSTER_WEBSERVER_PORT" \
    -w "$ROOT/workspace.yaml" "$@"
}
daemon() {
  exec "$BIN/dagster-daemon" run -w "$ROOT/workspace.yaml"
}

case "${1:-all}" in
  code-server) code_server ;;
  webserver) webserver ;;
  webserver-read-only) webserver --read-only ;;
  daemon) daemon ;;
  all)
    # storage and warehouse schemas first, so the three services never race to create them
    "$BIN/supplier-pipeline" setup
    # a DuckDB warehouse takes one writer at a time
    [ -n "${WAREHOUSE_DSN:-}" ] || "$BIN/dagster" instance concurrency set warehouse 1
    trap 'kill $(jobs -p) 2>/dev/null; wait' INT TERM EXIT
    ( code_server ) &
    # the webserver and daemon load the location at start: let the code server come up first
    until "$BIN/dagster" api grpc-health-check -h "$DAGSTER_CODE_SERVER_HOST" \
        -p "$DAGSTER_CODE_SERVER_PORT" >/dev/null 2>&1; do
      kill -0 "$!" 2>/dev/null || { echo "the code server did not start" >&2; exit 1; }
      sleep 1
    done
    ( webserver ) &
    ( daemon ) &
    wait -n
    echo "a service stopped; stopping the others" >&2
    exit 1
    ;;
  *) echo "usage: $0 code-server|webserver|webserver-read-only|daemon|all" >&2; exit 2 ;;
esac
