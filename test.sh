#!/usr/bin/env bash
# Runs the whole Rescind test suite: SQLite-backed and PostgreSQL-backed tests.
#
#   ./test.sh [extra dotnet test args...]
#
# PostgreSQL-backed test classes carry the xunit trait Category=Postgres and read
# their connection string from RESCIND_TEST_POSTGRES (Npgsql format). Unless that
# variable is already set, this script starts a private, throw-away PostgreSQL
# cluster for the duration of the run, so nothing on the machine is touched and
# parallel runs (other worktrees, CI jobs) cannot interfere with each other.
#
# Environment knobs:
#   RESCIND_TEST_POSTGRES=...     use this server instead of starting one
#   RESCIND_TEST_SQLITE_ONLY=1    skip PostgreSQL on purpose (runs Category!=Postgres)
#   CI=true                       a missing PostgreSQL is an error, not a warning
#   RESCIND_TEST_DRY=1            prove the cluster works with psql; don't run dotnet test
#   RESCIND_TEST_NO_COMPAT=1      skip the official npm clients' suites (tests/compat)
#   RESCIND_TEST_NO_BENCH=1       skip the cancel benchmark's smoke run (bench/)
#   RESCIND_TEST_NO_PACK=1        skip packing the packages and installing the rescind tool
#   RESCIND_TEST_PACK=1           pack and install them even when a --filter narrows the run
#   RESCIND_COVERAGE_UPDATE=1     rewrite the coverage tables (docs/coverage, README) from
#                                 this run instead of failing when they are stale
#   RESCIND_CHROMIUM=/path        the chromium the console's browser tests drive
#                                 (default: Debian's /usr/bin/chromium, installed
#                                 when run as root; missing under CI is an error)
#   RESCIND_PG_BINDIR_SEARCH=...  space-separated globs for PostgreSQL bin dirs
#                                 (default: Debian's /usr/lib/postgresql/*/bin, then PATH;
#                                 setting it also disables the PATH fallback)
#
# Once dotnet test has run, the last line of output is
# `tests: N passed, N failed, N skipped`, summed over all test projects.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

is_root() { [[ "$(id -u)" -eq 0 ]]; }
is_ci() { [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; }
log() { printf 'test.sh: %s\n' "$*" >&2; }

banner() {
  # Deliberately hard to overlook: a green run that silently skipped half the
  # suite is worse than a red one.
  local line='!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'
  {
    printf '\n%s\n' "$line"
    local msg
    for msg in "$@"; do printf '!!!  %s\n' "$msg"; done
    printf '%s\n\n' "$line"
  } >&2
}

# --------------------------------------------------------------------------
# Cleanup. Everything this script creates lives under RUN_TMP; the cluster is
# stopped before the directory goes away so no postgres process is orphaned.
# --------------------------------------------------------------------------
RUN_TMP=""
PG_BIN=""
PG_DATA=""
PG_USER=""

as_pg() {
  # PostgreSQL refuses to run as root. The subshell cd keeps the server tools
  # from tripping over a cwd the unprivileged user cannot read (e.g. /root).
  if is_root; then
    (cd "$RUN_TMP" && runuser -u "$PG_USER" -- "$@")
  else
    (cd "$RUN_TMP" && "$@")
  fi
}

# shellcheck disable=SC2317  # only reached through the EXIT trap
stop_cluster() {
  [[ -n "$PG_DATA" && -f "$PG_DATA/postmaster.pid" ]] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  # Last resort if pg_ctl could not do it: kill the postmaster we started, by pid.
  if [[ -f "$PG_DATA/postmaster.pid" ]]; then
    local pid
    pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]]; then kill -9 "$pid" 2>/dev/null || true; sleep 1; fi
  fi
}

# shellcheck disable=SC2317
cleanup() {
  stop_cluster
  if [[ -n "$RUN_TMP" ]]; then rm -rf -- "$RUN_TMP"; fi
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap (and thus cleanup) runs.
trap 'log "interrupted (SIGINT)"; exit 130' INT
trap 'log "terminated (SIGTERM) - e.g. a CI time limit"; exit 143' TERM
trap 'exit 129' HUP

if is_root; then
  # The unprivileged server user must be able to traverse the run directory,
  # and root's TMPDIR might not allow that, so use /tmp explicitly.
  RUN_TMP="$(mktemp -d /tmp/rescind-test.XXXXXX)"
  chmod 755 "$RUN_TMP"
else
  RUN_TMP="$(mktemp -d "${TMPDIR:-/tmp}/rescind-test.XXXXXX")"
fi

# --------------------------------------------------------------------------
# Locating PostgreSQL server binaries.
# --------------------------------------------------------------------------
find_pg_bindir() {
  local dir
  local -a found=()
  # Unquoted on purpose: the patterns are globs.
  # shellcheck disable=SC2086
  for dir in ${RESCIND_PG_BINDIR_SEARCH:-/usr/lib/postgresql/*/bin}; do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then found+=("$dir"); fi
  done
  if ((${#found[@]})); then
    # Several majors can be installed side by side on Debian; take the newest.
    printf '%s\n' "${found[@]}" | sort -V | tail -n 1
    return 0
  fi
  if [[ -z "${RESCIND_PG_BINDIR_SEARCH:-}" ]] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    # Resolve symlinks: pg_ctl locates the `postgres` binary next to its real path.
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  return 1
}

install_pg() {
  # Only package registries are reachable in CI, which is all this needs.
  # Failure is not fatal here: the caller decides what a missing server means.
  command -v apt-get >/dev/null || { log "apt-get not available; cannot install PostgreSQL"; return 1; }
  log "PostgreSQL server binaries not found; installing the Debian 'postgresql' package..."
  apt-get update -qq || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null || return 1
}

# --------------------------------------------------------------------------
# Choosing the mode: full suite (PostgreSQL available) or SQLite half only.
# --------------------------------------------------------------------------
SQLITE_ONLY=""
if [[ "${RESCIND_TEST_SQLITE_ONLY:-}" == "1" ]]; then
  SQLITE_ONLY="deliberately (RESCIND_TEST_SQLITE_ONLY=1)"
  # Make sure no test can reach a server by accident.
  unset RESCIND_TEST_POSTGRES
elif [[ -n "${RESCIND_TEST_POSTGRES:-}" ]]; then
  log "using the PostgreSQL server given in RESCIND_TEST_POSTGRES"
else
  if ! PG_BIN="$(find_pg_bindir)"; then
    if is_root; then install_pg || log "installing PostgreSQL failed"; fi
    PG_BIN="$(find_pg_bindir)" || PG_BIN=""
  fi
  if [[ -z "$PG_BIN" ]]; then
    if is_ci; then
      banner "ERROR: PostgreSQL server binaries (initdb, pg_ctl) not found." \
             "CI must run the PostgreSQL-backed tests; refusing to run half the suite." \
             "Install the Debian 'postgresql' package (or set RESCIND_TEST_POSTGRES)."
      exit 1
    fi
    SQLITE_ONLY="because no PostgreSQL server binaries were found"
  fi
fi

if [[ -n "$SQLITE_ONLY" ]]; then
  if [[ "${RESCIND_TEST_SQLITE_ONLY:-}" == "1" ]]; then what="PostgreSQL skipped"; else what="PostgreSQL not found"; fi
  banner "$what: running the SQLite half only ($SQLITE_ONLY)." \
         "Every test with Category=Postgres is SKIPPED in this run." \
         "Install PostgreSQL (apt-get install postgresql) or set RESCIND_TEST_POSTGRES" \
         "to run the whole suite. CI always runs the whole suite."
fi

# --------------------------------------------------------------------------
# Chromium for the console's browser tests (tests/Rescind.Console.Tests, which
# drive Debian's chromium through Playwright and never download a browser).
# --------------------------------------------------------------------------
find_chromium() {
  local c
  for c in "${RESCIND_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [[ -n "$c" && -x "$c" ]]; then printf '%s\n' "$c"; return 0; fi
  done
  return 1
}

CHROMIUM=""
if ! CHROMIUM="$(find_chromium)"; then
  if is_root && command -v apt-get >/dev/null; then
    log "chromium not found; installing the Debian 'chromium' package..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } ||
      log "installing chromium failed"
  fi
  CHROMIUM="$(find_chromium)" || CHROMIUM=""
fi
if [[ -z "$CHROMIUM" ]]; then
  if is_ci; then
    banner "ERROR: chromium not found: the console's browser tests cannot run." \
           "Install the Debian 'chromium' package (or set RESCIND_CHROMIUM)."
    exit 1
  fi
  banner "chromium not found: the console's browser tests are SKIPPED in this run." \
         "Install it (apt-get install chromium) or set RESCIND_CHROMIUM. CI always runs them."
else
  export RESCIND_CHROMIUM="$CHROMIUM"
  log "browser tests use $CHROMIUM"
fi

# --------------------------------------------------------------------------
# Starting the private cluster.
# --------------------------------------------------------------------------
port_in_use() {
  # Bash's /dev/tcp avoids depending on python3/ss, which a bare image may lack.
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

start_cluster() {
  local pg_root="$RUN_TMP/pg"
  PG_DATA="$pg_root/data"
  mkdir -p "$pg_root/sock"

  if is_root; then
    if getent passwd postgres >/dev/null; then
      PG_USER=postgres # created by the Debian package
    else
      PG_USER=rescindpg
      getent passwd "$PG_USER" >/dev/null ||
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
    fi
    chown -R "$PG_USER" "$pg_root"
  fi

  log "initialising a throw-away cluster with $PG_BIN"
  # trust auth is fine: the server only listens on loopback and lives for one run.
  # --no-sync: durability is irrelevant for data deleted minutes later.
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U rescind --encoding=UTF8 --no-locale --no-sync \
      >"$RUN_TMP/initdb.log" 2>&1; then
    cat "$RUN_TMP/initdb.log" >&2
    log "initdb failed"
    exit 1
  fi

  # fsync & co. off: crash safety is worthless here and costs a lot of test time.
  # max_connections: both test projects run in parallel, each with its own pools.
  cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- added by test.sh (throw-away test cluster) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pg_root/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
EOF

  # Find a free port by trying. Checking first and retrying on a bind failure
  # also covers the race with another run that picked the same port meanwhile.
  local port=55432 attempt server_log="$pg_root/server.log"
  for attempt in $(seq 1 20); do
    while port_in_use "$port"; do port=$((port + 1)); done
    as_pg truncate -s 0 "$server_log" 2>/dev/null || true
    if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$server_log" -w -t 60 -o "-p $port" start >/dev/null 2>&1; then
      PG_PORT="$port"
      break
    fi
    if grep -qiE 'could not (bind|create listen)|address already in use' "$server_log" 2>/dev/null; then
      log "port $port was taken meanwhile (attempt $attempt); trying the next one"
      port=$((port + 1))
      continue
    fi
    tail -n 30 "$server_log" >&2 || true
    log "PostgreSQL failed to start"
    exit 1
  done
  if [[ -z "${PG_PORT:-}" ]]; then
    log "could not find a free port for PostgreSQL"
    exit 1
  fi

  # pg_ctl -w may have checked readiness over the unix socket; the tests use TCP.
  if [[ -x "$PG_BIN/pg_isready" ]] &&
     ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U rescind -d postgres -t 30; then
    tail -n 30 "$server_log" >&2 || true
    log "PostgreSQL does not accept TCP connections on 127.0.0.1:$PG_PORT"
    exit 1
  fi

  export RESCIND_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=rescind;Database=postgres;Pooling=true;Maximum Pool Size=50;Timeout=15;Command Timeout=60"
  log "PostgreSQL $("$PG_BIN/pg_ctl" --version | awk '{print $3}') listening on 127.0.0.1:$PG_PORT"
}

PG_PORT=""
if [[ -z "$SQLITE_ONLY" && -n "$PG_BIN" ]]; then
  start_cluster
fi

# --------------------------------------------------------------------------
# Building the dotnet test command line.
# --------------------------------------------------------------------------
args=("$@")
if [[ -n "$SQLITE_ONLY" ]]; then
  # Merge with a caller's --filter rather than adding a second one, which
  # dotnet test would not combine.
  pg_excl='Category!=Postgres'
  merged=""
  for i in "${!args[@]}"; do
    case "${args[$i]}" in
      --filter)
        if ((i + 1 < ${#args[@]})); then
          args[i + 1]="(${args[i + 1]})&$pg_excl"
          merged=1
        fi
        ;;
      --filter=* | --filter:*)
        args[i]="--filter=(${args[$i]:9})&$pg_excl"
        merged=1
        ;;
    esac
  done
  [[ -n "$merged" ]] || args+=(--filter "$pg_excl")
fi
# -tl:off: the summary below parses the classic console output, which MSBuild's
# terminal logger would replace when it thinks it is talking to a terminal.
cmd=(dotnet test Rescind.slnx -c Release -tl:off "${args[@]}")

if [[ "${RESCIND_TEST_DRY:-}" == "1" ]]; then
  log "dry run; would run: ${cmd[*]}"
  if [[ -n "$PG_PORT" ]]; then
    psql_bin="$PG_BIN/psql"
    [[ -x "$psql_bin" ]] || psql_bin=psql
    conn="host=127.0.0.1 port=$PG_PORT user=rescind dbname=postgres"
    db="rescind_dry_$$"
    "$psql_bin" -X -v ON_ERROR_STOP=1 -qAt "$conn" -c 'select version()'
    "$psql_bin" -X -v ON_ERROR_STOP=1 -q "$conn" -c "create database $db"
    "$psql_bin" -X -v ON_ERROR_STOP=1 -qAt "host=127.0.0.1 port=$PG_PORT user=rescind dbname=$db" \
      -c 'create table t (x int); insert into t values (42); select x from t'
    "$psql_bin" -X -v ON_ERROR_STOP=1 -q "$conn" -c "drop database $db"
    log "dry run: cluster OK (RESCIND_TEST_POSTGRES=$RESCIND_TEST_POSTGRES)"
  fi
  exit 0
fi

command -v dotnet >/dev/null || { log "dotnet not found on PATH"; exit 1; }

# --------------------------------------------------------------------------
# Running the tests and summarising over all test projects.
# --------------------------------------------------------------------------
test_log="$RUN_TMP/dotnet-test.log"
rc=0
# The whole suite records which documented routes each test class and each official client calls; the coverage
# tables are made from those records at the end (see below).
full_run=""
if [[ $# -eq 0 && -z "$SQLITE_ONLY" && -z "${RESCIND_TEST_NO_COMPAT:-}" ]]; then
  full_run=1
  export RESCIND_COVERAGE_RECORDS="$RUN_TMP/coverage"
fi
"${cmd[@]}" 2>&1 | tee "$test_log" || rc=$?

# One line per test project, e.g.
#   Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, Duration: ...
read -r n_failed n_passed n_skipped < <(
  grep -E '^(Passed|Failed)! +- Failed: ' "$test_log" |
    sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/' |
    awk '{ f += $1; p += $2; s += $3 } END { printf "%d %d %d\n", f, p, s }'
)

if [[ "$rc" -ne 0 && "$n_failed" -eq 0 ]]; then
  # The counts only cover projects that got as far as running tests.
  log "dotnet test failed (exit $rc) without failing tests: look for build errors or an aborted test run above"
elif [[ "$rc" -eq 0 && $((n_passed + n_failed)) -eq 0 ]]; then
  log "dotnet test succeeded but no tests ran - treating that as a failure"
  rc=1
elif [[ "$rc" -eq 0 && "$n_failed" -gt 0 ]]; then
  rc=1
fi

# --------------------------------------------------------------------------
# The official clients' compatibility suites (tests/compat), against a real
# server on each database. Skipped when extra dotnet test arguments narrow the
# run (e.g. a --filter) or with RESCIND_TEST_NO_COMPAT=1.
# --------------------------------------------------------------------------
if [[ $# -eq 0 && -z "${RESCIND_TEST_NO_COMPAT:-}" ]]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if is_ci; then
      log "node/npm not found: the official-client compatibility suites cannot run"; rc=1
    else
      banner "node/npm not found: the official-client compatibility suites were NOT run."
    fi
  else
    compat_targets=("sqlite")
    [[ -n "${RESCIND_TEST_POSTGRES:-}" ]] && compat_targets+=("postgres")
    for target in "${compat_targets[@]}"; do
      compat_log="$RUN_TMP/compat-$target.log"
      compat_rc=0
      if [[ "$target" == "postgres" ]]; then
        tests/compat/run.sh --postgres "$RESCIND_TEST_POSTGRES" 2>&1 | tee "$compat_log" || compat_rc=$?
      else
        tests/compat/run.sh 2>&1 | tee "$compat_log" || compat_rc=$?
      fi
      # node --test (TAP) ends each suite with "# pass N" and "# fail N".
      read -r c_pass c_fail < <(awk '/^# pass /{p+=$3} /^# fail /{f+=$3} END{printf "%d %d\n", p, f}' "$compat_log")
      log "compat ($target): $c_pass passed, $c_fail failed (exit $compat_rc)"
      n_passed=$((n_passed + c_pass)); n_failed=$((n_failed + c_fail))
      if [[ "$compat_rc" -ne 0 || $((c_pass + c_fail)) -eq 0 ]]; then
        rc=1
      fi
    done
  fi
fi

# --------------------------------------------------------------------------
# The packages: `rescind` as a .NET tool (package Rescind) and Rescind.Testing,
# packed from this run's Release build into a local folder; the tool is then
# installed from that folder alone (a nuget.config that clears every other
# source: offline and fast) and run: --version, serve --help, and a demo on a
# database of its own that verify passes; and a copy of the Rescind.Testing
# sample is built against the package and run, as a project outside would. Skipped like the compat suites, or
# with RESCIND_TEST_NO_PACK=1; RESCIND_TEST_PACK=1 runs it with a --filter too.
# Counted as one test.
# --------------------------------------------------------------------------
PACK_PROJECTS=(src/Rescind.Client src/Rescind.Testing)
if [[ ( $# -eq 0 || "${RESCIND_TEST_PACK:-}" == "1" ) && -z "${RESCIND_TEST_NO_PACK:-}" ]]; then
  pack_rc=0 pack_start=$SECONDS
  (
    set -euo pipefail
    pkg="$RUN_TMP/packages" tool="$RUN_TMP/tool" data="$RUN_TMP/tool-data"
    dotnet pack src/Rescind.Server -c Release --no-build -o "$pkg" -v q -nologo
    for p in "${PACK_PROJECTS[@]}"; do dotnet pack "$p" -c Release --no-build -o "$pkg" -v q -nologo; done
    printf '<?xml version="1.0" encoding="utf-8"?>\n<configuration><packageSources><clear /><add key="local" value="%s" /></packageSources></configuration>\n' \
      "$pkg" >"$RUN_TMP/nuget.config"
    dotnet tool install --tool-path "$tool" --configfile "$RUN_TMP/nuget.config" Rescind
    "$tool/rescind" --version
    "$tool/rescind" serve --help >/dev/null
    "$tool/rescind" demo --data "$data" --json >/dev/null
    "$tool/rescind" verify --data "$data"
    # A copy of the sample outside the repository, on the Rescind.Testing package (its dependencies come from
    # the machine's package cache, which the suite's own restore filled).
    consumer="$RUN_TMP/consumer"
    mkdir -p "$consumer"
    cp Directory.Build.props Directory.Packages.props .editorconfig global.json "$consumer/"
    cp samples/Rescind.Testing.Sample/*.cs samples/Rescind.Testing.Sample/*.csproj "$consumer/"
    version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' src/Rescind.Testing/Rescind.Testing.csproj)"
    dotnet restore "$consumer" --configfile "$RUN_TMP/nuget.config" -p:RescindTestingPackage="$version" -v q -nologo
    dotnet test "$consumer" -c Release --no-restore -p:RescindTestingPackage="$version" -v q -nologo -tl:off
  ) >"$RUN_TMP/pack.log" 2>&1 || pack_rc=$?
  if [[ "$pack_rc" -eq 0 ]]; then
    log "packages: packed $(cd "$RUN_TMP/packages" && echo *.nupkg); the rescind tool installed and ran; the sample passed on the Rescind.Testing package ($((SECONDS - pack_start)) s)"
    n_passed=$((n_passed + 1))
  else
    cat "$RUN_TMP/pack.log" >&2
    log "packages: packing or the installed rescind tool failed (exit $pack_rc)"
    n_failed=$((n_failed + 1)); rc=1
  fi
fi

# --------------------------------------------------------------------------
# The cancel benchmark's smoke run (bench/README.md): every scenario for a few
# seconds on each database, failing on wrong answers (a non-2xx where 2xx was
# expected, a wrong final state, a replay that is not byte-identical), never on
# timings. Skipped like the compat suites, or with RESCIND_TEST_NO_BENCH=1.
# --------------------------------------------------------------------------
if [[ $# -eq 0 && -z "${RESCIND_TEST_NO_BENCH:-}" ]]; then
  bench_args=(cancel --quick)
  if [[ -n "${RESCIND_TEST_POSTGRES:-}" ]]; then
    bench_args+=(--postgres "$RESCIND_TEST_POSTGRES")
  else
    bench_args+=(--sqlite-only)
  fi
  bench_rc=0
  dotnet run -c Release --project bench/Rescind.Bench -- "${bench_args[@]}" || bench_rc=$?
  log "bench smoke (cancel --quick): exit $bench_rc"
  [[ "$bench_rc" -eq 0 ]] || rc=1
fi

# --------------------------------------------------------------------------
# The vendors' coverage tables (docs/coverage/*.md, coverage.json, the README's
# summary) are generated from the run's records: a stale table fails the run
# (RESCIND_COVERAGE_UPDATE=1 rewrites them instead). Only a full run has every
# record, so narrower runs skip this.
# --------------------------------------------------------------------------
if [[ -n "$full_run" ]]; then
  # Absolute paths: dotnet run starts the program in the project's folder.
  coverage_args=(coverage --records "$RESCIND_COVERAGE_RECORDS" --out "$PWD/docs/coverage" --readme "$PWD/README.md")
  [[ "${RESCIND_COVERAGE_UPDATE:-}" == "1" ]] || coverage_args+=(--check)
  coverage_rc=0
  dotnet run -c Release --no-build --project src/Rescind.Server -- "${coverage_args[@]}" || coverage_rc=$?
  log "coverage tables: exit $coverage_rc"
  [[ "$coverage_rc" -eq 0 ]] || rc=1
fi

echo
if [[ -n "$SQLITE_ONLY" ]]; then
  banner "SQLite half only ($SQLITE_ONLY): Category=Postgres tests were NOT run."
fi
if [[ -z "$CHROMIUM" ]]; then
  banner "chromium not found: the console's browser tests were SKIPPED."
fi
echo "tests: $n_passed passed, $n_failed failed, $n_skipped skipped"
exit "$rc"
