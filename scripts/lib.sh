# Shared helpers for the scripts: where tools live, starting and stopping the local services.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One per-user place for the built tools, shared by `just run`, `just test` and CI, so a second
# clone reuses the database server built by the first.
TOOLS_DIR="${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/emailauth-tools}"
RUN_DIR="${RUN_DIR:-$ROOT/.run}"
SECANTUS_VERSION="0.5.3-beta.193"
SECANTUS="$TOOLS_DIR/bin/secantusd-rs"
MAILDEV="$ROOT/node_modules/.bin/maildev"
PIDS=()

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# wait_http URL SECONDS: poll until the URL answers 2xx.
wait_http() {
  local url=$1 limit=$2 i
  for ((i = 0; i < limit * 10; i++)); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for $url" >&2
  return 1
}

# wait_port PORT SECONDS: poll until something listens on 127.0.0.1:PORT.
wait_port() {
  local port=$1 limit=$2 i
  for ((i = 0; i < limit * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for port $port" >&2
  return 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_db PORT DATA_DIR: the MongoDB-wire server (SecantusDB, GPL-2.0, a separate process).
start_db() {
  local port=$1 dir=$2
  port_free "$port" || { echo "port $port is taken: stop whatever listens there" >&2; return 1; }
  mkdir -p "$dir" "$RUN_DIR"
  # --sync-on-commit: without it a crash (kill -9, power loss) loses writes the server had
  # already acknowledged, j: true or not (backend/tests/reliability/durability.rs).
  "$SECANTUS" --host 127.0.0.1 --port "$port" --storage-path "$dir" --cache-size 256M --sync-on-commit \
    >"$RUN_DIR/db-$port.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port" 30
  log "database   mongodb://127.0.0.1:$port (data in $dir)"
}

# start_maildev SMTP_PORT WEB_PORT: the SMTP catcher with its web UI and REST API.
start_maildev() {
  local smtp=$1 web=$2 dir="$RUN_DIR/maildev-$1"
  port_free "$smtp" || { echo "port $smtp is taken: stop whatever listens there" >&2; return 1; }
  mkdir -p "$dir"
  TMPDIR="$dir" "$MAILDEV" --ip 127.0.0.1 --smtp "$smtp" --web "$web" --web-ip 127.0.0.1 \
    --mail-directory "$dir" --silent >"$RUN_DIR/maildev-$smtp.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$web/api/healthz" 30
  log "mail       smtp://127.0.0.1:$smtp, inbox at http://127.0.0.1:$web/"
}

# spawn NAME CMD...: CMD in the background, its output in $RUN_DIR/NAME.log, so that steps
# that mostly wait (installs from the network, paced requests, a browser) run beside the ones
# that keep both cores busy. join NAME waits for it; when it failed, the end of its log and
# a failure. stop_all ends the ones nobody joined.
declare -A SPAWNED=()
spawn() {
  local name=$1
  shift
  mkdir -p "$RUN_DIR"
  # Its own process group (setsid), so that stop_all can end it with its children. -w: when
  # the caller is already a group leader (job control, `set -m`), setsid forks and would
  # return 0 at once, so join would read a failed stage as success; -w waits and passes on
  # the command's status.
  setsid -w "$@" >"$RUN_DIR/$name.log" 2>&1 </dev/null &
  SPAWNED[$name]=$!
}
join() {
  local name=$1 status=0
  wait "${SPAWNED[$name]}" || status=$?
  unset "SPAWNED[$name]"
  if ((status)); then
    echo "--- $name failed (exit $status); the end of $RUN_DIR/$name.log: ---" >&2
    tail -n 100 "$RUN_DIR/$name.log" >&2
  fi
  return "$status"
}

# stop_all: SIGTERM everything this script started, then wait for it.
stop_all() {
  local pid
  # Background steps first, each with its children (a step is a script that starts others).
  for pid in "${SPAWNED[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  SPAWNED=()
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

# The environment every scripted run of this backend shares (start_app, app_admin).
APP_SHARED_ENV=(APP_ENV=development APP_HOST=127.0.0.1 APP_SMTP_HOST=127.0.0.1 APP_SMTP_TLS=none
  APP_STATIC_DIR=/nonexistent
  APP_JWT_SECRET=test-jwt-secret-0123456789abcdefghijklmn
  APP_CODE_PEPPER=test-code-pepper-0123456789abcdefghijklm)

# start_app PORT DB_URI DB_NAME SMTP_PORT LOG [APP_VAR=value ...]: this backend in the
# background on loopback, with the environment every scripted run shares (development mode,
# plain SMTP to the local catcher, fixed test secrets, no SPA) and the given overrides, which
# win. The binary is $APP_BIN (default target/debug/backend). Sets APP_PID; does not wait
# (see wait_app), so that the bench can time the cold start itself.
start_app() {
  local port=$1 db_uri=$2 db_name=$3 smtp=$4 logfile=$5
  shift 5
  port_free "$port" || { echo "port $port is taken: stop whatever listens there" >&2; return 1; }
  mkdir -p "$(dirname "$logfile")"
  env "${APP_SHARED_ENV[@]}" APP_PORT="$port" \
    APP_MONGODB_URI="$db_uri" APP_MONGODB_DB="$db_name" APP_SMTP_PORT="$smtp" \
    "$@" "${APP_BIN:-$ROOT/target/debug/backend}" >"$logfile" 2>&1 &
  APP_PID=$!
  PIDS+=("$APP_PID")
}

# app_admin DB_URI DB_NAME ARGS...: `backend admin ARGS` against that database, with the
# secrets start_app gives the servers (an admin key is stored as a hash under the pepper).
app_admin() {
  local db_uri=$1 db_name=$2
  shift 2
  env "${APP_SHARED_ENV[@]}" APP_MONGODB_URI="$db_uri" APP_MONGODB_DB="$db_name" \
    "${APP_BIN:-$ROOT/target/debug/backend}" admin "$@"
}

# wait_app PORT LOG: until the app on PORT is ready; on failure, the end of its log.
wait_app() {
  local port=$1 logfile=$2
  if ! wait_http "http://127.0.0.1:$port/health/ready" 60; then
    echo "--- app log ($logfile) ---" >&2
    tail -n 50 "$logfile" >&2
    return 1
  fi
}
