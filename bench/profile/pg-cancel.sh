#!/usr/bin/env bash
# Where the CPU goes during a steady Numeral cancel load on PostgreSQL, with the load generator in its own process.
#
#   sudo bench/profile/pg-cancel.sh [SECONDS] [CLIENTS]      (root: perf -a, and the cluster runs as postgres)
#
# Starts a private PostgreSQL cluster (fsync on) on a free port, publishes Rescind in Release and serves it with perf
# maps on (DOTNET_PerfMapEnabled=1, W^X off so JIT'd frames resolve), creates certificate requests through the API
# with wrk, warms up, then cancels them with wrk (-t1, its own process) while `perf record -a -g` samples the whole
# machine. It prints the throughput, the CPU split by process and, inside Rescind, by module and .NET assembly, then
# runs pgbench's limit script on the same cluster for comparison. Needs: dotnet, postgresql, wrk, linux-perf.
# Everything lives in a temp folder that is removed at the end; the perf data is kept (its path is printed).
set -euo pipefail
SECONDS_RUN=${1:-12}
CLIENTS=${2:-32}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/rescind-profile-XXXX)
chmod 755 "$WORK"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55791)
HTTP_PORT=$((PORT + 1))
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

mkdir "$WORK/pg" && chown postgres "$WORK/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" -A trust -U rescind --no-sync >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w -o \
  "-p $PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on -c shared_buffers=256MB" start >/dev/null
psql -h 127.0.0.1 -p "$PORT" -U rescind -d postgres -qc "CREATE DATABASE prof" -c "CREATE DATABASE lim"

dotnet publish "$ROOT/src/Rescind.Server" -c Release -o "$WORK/app" >/dev/null
export Rescind__Database="Host=127.0.0.1;Port=$PORT;Username=rescind;Database=prof"
export Rescind__Jobs__Enabled=false Rescind__RateLimit__PermitsPerSecond=0 Rescind__OperatorToken="op_profile_$(date +%s%N)"
export Logging__LogLevel__Default=Warning DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
(cd "$WORK" && exec "$WORK/app/rescind" serve --urls "http://127.0.0.1:$HTTP_PORT" > "$WORK/server.log" 2>&1) &
SERVER=$!
URL="http://127.0.0.1:$HTTP_PORT"
for _ in $(seq 50); do curl -sf "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

ACCOUNT=$(curl -sf -XPOST -H "Authorization: Bearer $Rescind__OperatorToken" -H 'content-type: application/json' -d '{"name":"profile"}' "$URL/operator/accounts")
KEY=$(echo "$ACCOUNT" | grep -o '"api":"numeral","mode":"live","secret":"[^"]*"' | sed 's/.*"secret":"//; s/"$//')
CUSTOMER=$(curl -sf -XPOST -H "Authorization: Bearer $KEY" -H 'X-API-Version: 2026-03-01' -H 'content-type: application/json' \
  -d '{"name":"Buyer","email":"buyer@example.com"}' "$URL/tax/customers" | grep -o '"id":"cust_[^"]*"' | head -1 | sed 's/"id":"//; s/"$//')

cat > "$WORK/create.lua" <<EOF
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.headers["X-API-Version"] = "2026-03-01"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"customer_id":"$CUSTOMER","certificate_type_id":"US-CA-CDTFA-230","jurisdictions":["US-CA"]}'
local f, n = nil, 0
setup = function(thread) n = n + 1; thread:set("idx", n) end
init = function(args) f = io.open("$WORK/ids-" .. idx .. ".txt", "w") end
response = function(status, headers, body)
  local id = string.match(body, '"id":"(cert_req_[^"]+)"')
  if status == 201 and id then f:write(id, "\n"); f:flush() end
end
EOF
cancel_script() { # $1 = ids file
  cat <<EOF
local ids, pos = {}, 0
init = function(args) for line in io.lines("$1") do ids[#ids + 1] = line end end
request = function()
  pos = pos + 1
  if pos > #ids then wrk.thread:stop() end
  return wrk.format("DELETE", "/tax/certificate-requests/" .. (ids[pos] or ids[1]), {["Authorization"] = "Bearer $KEY", ["X-API-Version"] = "2026-03-01"})
end
done = function(summary, latency, requests)
  io.write(string.format("cancel: %d requests, %.0f/s, p50 %.2f ms, p99 %.2f ms, non-2xx %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
EOF
}
NEED=$(( (SECONDS_RUN + 8) * 2500 ))
echo "creating up to $NEED certificate requests…"
wrk -t2 -c32 -d$(( NEED / 600 + 5 ))s -s "$WORK/create.lua" "$URL/tax/certificate-requests" >/dev/null
cat "$WORK"/ids-*.txt > "$WORK/ids.txt"
head -6000 "$WORK/ids.txt" > "$WORK/warm.txt"; tail -n +6001 "$WORK/ids.txt" > "$WORK/run.txt"
cancel_script "$WORK/warm.txt" > "$WORK/warm.lua"; cancel_script "$WORK/run.txt" > "$WORK/run.lua"
wrk -t1 -c"$CLIENTS" -d30s -s "$WORK/warm.lua" "$URL" >/dev/null

echo "cancel load: wrk -t1 -c$CLIENTS for $SECONDS_RUN s, perf record -a -g at 999 Hz for $((SECONDS_RUN - 2)) s"
wrk -t1 -c"$CLIENTS" -d"${SECONDS_RUN}s" -s "$WORK/run.lua" "$URL" > "$WORK/wrk.txt" &
LOAD=$!
sleep 1
perf record -a -g -F 999 -o "$WORK/perf.data" -- sleep $((SECONDS_RUN - 2)) 2>/dev/null
wait "$LOAD"
grep cancel: "$WORK/wrk.txt"
set +o pipefail # the report pipes below end in head

echo; echo "CPU by process (share of all cores):"
perf report -i "$WORK/perf.data" --sort comm --stdio --no-children -g none 2>/dev/null | grep '%' | head -8
echo; echo "Inside Rescind, by module / .NET assembly (share of all cores):"
perf report -i "$WORK/perf.data" --comm ".NET TP Worker,.NET Sockets,.NET Server GC,.NET File Watch" --sort dso,sym --stdio --no-children -g none 2>/dev/null \
  | grep '%' | awk '
    { pct = $1; sub("%", "", pct); kind = ""; for (i = 2; i <= NF; i++) if ($i ~ /^\[[.k]\]$/) { kind = $i; break } }
    kind == "[k]" { t["kernel"] += pct; next }
    /\[JIT\]/ { sym = substr($0, index($0, "[.] ") + 4)
                if (match(sym, /\[[A-Za-z][A-Za-z0-9_.]*\]/)) { a = substr(sym, RSTART, RLENGTH) } else { a = "[jitted stubs]" } t[a] += pct; next }
    { t[$2] += pct }
    END { for (k in t) printf "%7.2f%%  %s\n", t[k], k }' | sort -rn | head -14
echo; echo "Top symbols inside Rescind:"
perf report -i "$WORK/perf.data" --comm ".NET TP Worker" --sort sym --stdio --no-children -g none 2>/dev/null | grep '%' | head -12 | cut -c1-200

echo; echo "pgbench, the limit's script, same cluster, $CLIENTS clients:"
Rescind__Database="Host=127.0.0.1;Port=$PORT;Username=rescind;Database=lim" "$WORK/app/rescind" migrate >/dev/null
psql -h 127.0.0.1 -p "$PORT" -U rescind -d lim -qc "CREATE SEQUENCE bench_limit_seq;
  INSERT INTO numeral_requests (id, account_id, customer_id, certificate_type_id, jurisdictions, status, created_at, updated_at, expires_at, version)
  SELECT 'cert_req_limit_' || n, 'acct_limit', 'cust_limit', 'US-CA-CDTFA-230', '[\"US-CA\"]', 'pending', 1, 1, NULL, 1 FROM generate_series(1, 200000) n; ANALYZE;"
PAD=$(printf 'x%.0s' $(seq 350))
PAYLOAD="{\"id\":\"cert_req_limit\",\"object\":\"tax.certificate_request\",\"status\":\"canceled\",\"pad\":\"$PAD\"}"
cat > "$WORK/limit.sql" <<EOF
BEGIN;
SELECT nextval('bench_limit_seq') AS k \gset
UPDATE numeral_requests SET status = 'canceled', version = version + 1, updated_at = 1790000000000 WHERE id = 'cert_req_limit_' || :k AND status = 'pending' AND version = 1;
INSERT INTO audit_log (account_id, api, resource_type, resource_id, action, from_state, to_state, actor_kind, actor_id, request_id, idempotency_key, reason, at) VALUES ('acct_limit', 'numeral', 'tax.certificate_request', 'cert_req_limit_' || :k, 'cancel', 'pending', 'canceled', 'credential', 'cred_limit', 'req_' || :k, 'key_' || :k, NULL, 1790000000000);
INSERT INTO outbox (event_id, account_id, api, event_type, resource_type, resource_id, payload, created_at) VALUES ('evt_' || :k, 'acct_limit', 'numeral', 'tax.certificate_request.canceled', 'tax.certificate_request', 'cert_req_limit_' || :k, '$PAYLOAD', 1790000000000);
INSERT INTO idempotency (account_id, api, key, fingerprint, response_status, response_body, resource_id, created_at, expires_at) VALUES ('acct_limit', 'numeral', 'key_' || :k, 'fingerprint', 200, '$PAYLOAD', 'cert_req_limit_' || :k, 1790000000000, 1790000000000 + 86400000);
END;
EOF
"$PGBIN/pgbench" -n -M prepared -f "$WORK/limit.sql" -c "$CLIENTS" -j 2 -T 3 -h 127.0.0.1 -p "$PORT" -U rescind lim >/dev/null 2>&1
"$PGBIN/pgbench" -n -M prepared -f "$WORK/limit.sql" -c "$CLIENTS" -j 2 -T "$SECONDS_RUN" -h 127.0.0.1 -p "$PORT" -U rescind lim > "$WORK/pgbench.txt" 2>&1 &
LOAD=$!
sleep 1
perf record -a -g -F 999 -o "$WORK/perf-pgbench.data" -- sleep $((SECONDS_RUN - 2)) 2>/dev/null
wait "$LOAD"
grep -E "^tps" "$WORK/pgbench.txt"
perf report -i "$WORK/perf-pgbench.data" --sort comm --stdio --no-children -g none 2>/dev/null | grep '%' | head -4
echo; echo "perf data kept: $WORK/perf.data, $WORK/perf-pgbench.data (perf report -i FILE)"
trap - EXIT
cleanup
