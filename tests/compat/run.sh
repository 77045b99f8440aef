#!/usr/bin/env bash
# Runs the official-client compatibility suites against a real Rescind.
#
#   tests/compat/run.sh                       SQLite (a fresh data folder)
#   tests/compat/run.sh --postgres CS         PostgreSQL: CS is an Npgsql connection string to a server where
#                                             the suite may CREATE and DROP a throw-away database
#                                             (e.g. "$RESCIND_TEST_POSTGRES"; needs psql on PATH)
#
# Builds the server, starts it on a free port, creates an account with the CLI on the same database, runs
# `npm ci` + `node --test` in each suite folder (today: gocardless, circle), and stops the server. Exit status is the
# suites'. Needs the .NET SDK, node >= 20 and npm (the registry must be reachable for `npm ci`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
postgres=""
if [[ "${1:-}" == "--postgres" ]]; then
  postgres="${2:?--postgres needs an Npgsql connection string}"
fi

log() { printf 'compat: %s\n' "$*" >&2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/rescind-compat-XXXXXX")"
server_pid=""
pg_db=""

# Npgsql "Key=Value;…" → libpq "key=value …" for psql.
libpq() {
  local out="" part key value
  IFS=';' read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    [[ "$part" == *=* ]] || continue
    key="${part%%=*}"; value="${part#*=}"
    case "${key,,}" in
      host|server) out+="host=$value " ;;
      port) out+="port=$value " ;;
      username|user\ id|userid|user) out+="user=$value " ;;
      password) out+="password=$value " ;;
      database) out+="dbname=$value " ;;
    esac
  done
  printf '%s' "$out"
}

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ -n "$pg_db" ]]; then
    psql "$(libpq "$postgres")" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

log "building the server"
dotnet build "$root/src/Rescind.Server" -c Release -o "$work/bin" -nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
rescind=(dotnet "$work/bin/rescind.dll")

storage=(--data "$work/data")
if [[ -n "$postgres" ]]; then
  pg_db="rescind_compat_$(date +%s)_$$"
  psql "$(libpq "$postgres")" -qc "CREATE DATABASE $pg_db" >/dev/null
  storage=(--database "${postgres%;};Database=$pg_db")
  log "PostgreSQL database $pg_db"
else
  log "SQLite in $work/data"
fi

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
url="http://127.0.0.1:$port"
# Background jobs off: the suites move the outside world themselves (operator mining, jobs/run), so a chain block
# landing mid-test can never change an outcome.
# The contract check on: an answer that breaks its API's served OpenAPI document is a 500 (the client raises) and a
# "Contract violation" line in the log, which fails the run below.
# Private networks allowed for outbound requests: the suites' webhook receivers listen on loopback.
"${rescind[@]}" serve "${storage[@]}" --urls "$url" --Rescind:Jobs:Enabled=false --Rescind:Contracts:Check=true \
  --Rescind:Outbound:AllowPrivateNetworks=true \
  ${RESCIND_COVERAGE_RECORDS:+--Rescind:Coverage:Records="$RESCIND_COVERAGE_RECORDS"} >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; log "server exited"; exit 1; }
  sleep 0.5
done
curl -fsS "$url/healthz" >/dev/null || { cat "$work/server.log"; log "server did not start"; exit 1; }
log "server on $url"

account="$("${rescind[@]}" accounts create --name compat --json "${storage[@]}")"
account_id="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0,"utf8")).account.id)' <<<"$account")"
operator="$("${rescind[@]}" operator token --json "${storage[@]}" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0,"utf8")).secret)')"
token() { node -e 'const a=JSON.parse(require("fs").readFileSync(0,"utf8"));process.stdout.write(a.credentials.find(c=>c.api===process.argv[1]&&c.mode===process.argv[2]).secret)' "$1" "$2" <<<"$account"; }

status=0
(
  cd "$here/gocardless"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  for mode in sandbox live; do
    log "gocardless-nodejs, $mode token"
    RESCIND_URL="$url" GOCARDLESS_TOKEN="$(token gocardless "$mode")" GOCARDLESS_MODE="$mode" \
      RESCIND_OPERATOR_TOKEN="$operator" RESCIND_ACCOUNT_ID="$account_id" node --test
  done
) || status=$?
(
  cd "$here/circle"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  # The vendor's console step: register a fresh entity secret for the account (operator API).
  secret="$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')"
  curl -fsS -X POST "$url/operator/circle/accounts/$account_id/entity-secret" -H "Authorization: Bearer $operator" \
    -H 'Content-Type: application/json' -d "{\"entitySecret\":\"$secret\"}" >/dev/null
  log "@circle-fin/developer-controlled-wallets, test key"
  RESCIND_URL="$url" CIRCLE_API_KEY="$(token circle test)" CIRCLE_ENTITY_SECRET="$secret" \
    RESCIND_OPERATOR_TOKEN="$operator" RESCIND_ACCOUNT_ID="$account_id" node --test
) || status=$?
if grep -q "Contract violation" "$work/server.log"; then
  log "answers broke their OpenAPI documents:"
  grep "Contract violation" "$work/server.log" | sort | uniq -c >&2
  status=1
fi
if [[ $status -ne 0 ]]; then
  log "FAILED; server log follows"
  tail -50 "$work/server.log" >&2
fi
exit $status
