#!/usr/bin/env bash
# `just bench`: release build, then the database server, maildev, this backend and the seed
# Flask server (gunicorn, one worker a core) on their own ports, measured side by side by the
# closed-loop driver in bench/. Writes bench/results.json and prints a Markdown table.
# Knobs: BENCH_SECS (seconds a run, default 4), BENCH_SKIP_FRONTEND=1, BENCH_ONLY=endpoint (one
# endpoint of this backend, printed, no report: nick, login or email_auth), BENCH_*_PORT, and
# BENCH_BACKEND_BIN=path to measure an already built backend (e.g. a commit's, built in a
# `git worktree`) instead of building this tree's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_all EXIT
trap 'exit 130' INT TERM

DB_PORT="${BENCH_DB_PORT:-27030}"
SMTP_PORT="${BENCH_SMTP_PORT:-1030}"
MAIL_WEB_PORT="${BENCH_MAIL_WEB_PORT:-1031}"
API_PORT="${BENCH_API_PORT:-8090}"
# A second instance on the same database, for the revocation latency across instances.
API2_PORT="${BENCH_API2_PORT:-8091}"
# The first instance's metrics: its own account of the CPU time its password hashes take.
METRICS_PORT="${BENCH_METRICS_PORT:-9190}"
SEED_PORT="${BENCH_SEED_PORT:-5090}"
SEED_DIR="${SEED_DIR:-$ROOT/../shared/baselines/seed_flask}"
SEED_VENV="$TOOLS_DIR/venv-seed"
CORES="$(nproc)"

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# wait_first URL PID: poll every 5 ms until the URL answers (any status with -f unset).
wait_first() {
  local url=$1 pid=$2 flags=$3 i
  for ((i = 0; i < 6000; i++)); do
    curl $flags -s -o /dev/null "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "process $pid exited before $url answered" >&2; return 1; }
    sleep 0.005
  done
  echo "timed out waiting for $url" >&2
  return 1
}

# The seed's Python environment, once.
if [ ! -x "$SEED_VENV/bin/gunicorn" ]; then
  log "seed venv  $SEED_VENV (flask, pymongo, PyJWT, gunicorn)"
  python3 -m venv "$SEED_VENV"
  "$SEED_VENV/bin/pip" install -q -r "$SEED_DIR/requirements.txt"
fi

log "release build (backend, then the bench driver: separate builds keep the backend's features as in \`just run\`)"
BACKEND_BIN="${BENCH_BACKEND_BIN:-}"
if [ -z "$BACKEND_BIN" ]; then
  cargo build --release -p backend
  BACKEND_BIN=./target/release/backend
fi
cargo build --release -p bench

# The WASM bundle, as `just run` serves it. Extra figures for the report go into one JSON
# object, built with jq.
extra='{}'
if [ "${BENCH_SKIP_FRONTEND:-0}" != 1 ]; then
  bash scripts/build-frontend.sh || log "frontend build failed: bundle size not measured"
fi
wasm=(frontend/dist/*.wasm) js=(frontend/dist/*.js)
if [ -f "${wasm[0]}" ]; then
  size() { cat "$@" | wc -c; }
  gz() { cat "$@" | gzip -9 | wc -c; }
  extra=$(jq -n --argjson w "$(size "${wasm[@]}")" --argjson wg "$(gz "${wasm[@]}")" \
    --argjson j "$(size "${js[@]}")" --argjson jg "$(gz "${js[@]}")" \
    '{wasm_bundle_bytes: $w, wasm_bundle_gzip_bytes: $wg, js_glue_bytes: $j, js_glue_gzip_bytes: $jg}')
fi

rm -rf "$RUN_DIR/bench-db" "$RUN_DIR/maildev-$SMTP_PORT"
start_db "$DB_PORT" "$RUN_DIR/bench-db"
DB_PID=${PIDS[-1]}
start_maildev "$SMTP_PORT" "$MAIL_WEB_PORT"
MAIL_PID=${PIDS[-1]}

random_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# Limits out of the way of what is measured: all load comes from one address (the per-IP
# bucket would measure itself; email_auth names a client address of its own per request in
# X-Forwarded-For, which the backend trusts from the driver), the timing-gap run logs in as
# one user over and over (no account throttle), and 200 concurrent registrations hash at once
# (throughput, not the bounded hash queue's 503s).
JWT_SECRET="bench-jwt-secret-$(random_secret)" PEPPER="bench-code-pepper-$(random_secret)"
MFA_KEY="$(random_secret)$(random_secret | head -c 16)"
bench_backend() { # PORT LOG [VAR=value...]
  local port=$1 logfile=$2
  shift 2
  APP_BIN="$BACKEND_BIN" start_app "$port" "mongodb://127.0.0.1:$DB_PORT" bench \
    "$SMTP_PORT" "$logfile" "$@" \
    RUST_LOG=warn APP_LOG_FORMAT=json APP_STATIC_DIR="$ROOT/frontend/dist" \
    APP_RESEND_COOLDOWN_SECS=0 APP_CODES_PER_IP_PER_HOUR=1000000 APP_CODES_PER_EMAIL_PER_HOUR=1000 \
    APP_RATE_LIMIT_PER_SECOND=1000000 APP_RATE_LIMIT_BURST=1000000 APP_LOGIN_MAX_FAILURES=1000000 \
    APP_HASH_QUEUE=1024 APP_TRUSTED_PROXIES=127.0.0.1 \
    APP_JWT_SECRET="$JWT_SECRET" APP_CODE_PEPPER="$PEPPER" \
    APP_MFA_ENCRYPTION_KEY="$MFA_KEY"
}
t0=$(date +%s%N)
bench_backend "$API_PORT" "$RUN_DIR/bench-backend.log" APP_METRICS_PORT="$METRICS_PORT"
BACKEND_PID=$APP_PID
wait_first "http://127.0.0.1:$API_PORT/health/ready" "$BACKEND_PID" -f
backend_cold=$(ms_since "$t0")
log "backend    http://127.0.0.1:$API_PORT ready in $backend_cold ms"
bench_backend "$API2_PORT" "$RUN_DIR/bench-backend2.log"
wait_first "http://127.0.0.1:$API2_PORT/health/ready" "$APP_PID" -f
log "backend #2 http://127.0.0.1:$API2_PORT (same database: revocation across instances)"

t0=$(date +%s%N)
MONGO_URI="mongodb://127.0.0.1:$DB_PORT" MONGO_DB=seedbench SMTP_PORT="$SMTP_PORT" \
  SECRET_KEY=seed-bench-secret "$SEED_VENV/bin/gunicorn" --chdir "$SEED_DIR" -w "$CORES" \
  -b "127.0.0.1:$SEED_PORT" --header-map dangerous app:app >"$RUN_DIR/bench-seed.log" 2>&1 &
SEED_PID=$!
PIDS+=("$SEED_PID")
wait_first "http://127.0.0.1:$SEED_PORT/" "$SEED_PID" ""
seed_cold=$(ms_since "$t0")
for ((i = 0; i < 100; i++)); do
  [ "$(pgrep -P "$SEED_PID" | wc -l)" -ge "$CORES" ] && break
  sleep 0.1
done
seed_pids=$(echo "$SEED_PID" $(pgrep -P "$SEED_PID") | tr ' ' '+')
log "seed       http://127.0.0.1:$SEED_PORT first answer in $seed_cold ms ($CORES workers)"

extra=$(jq -c --argjson b "$backend_cold" --argjson s "$seed_cold" \
  '. + {backend_cold_start_ms: $b, seed_cold_start_ms: $s}' <<<"$extra")

mkdir -p bench
log "driving load (${BENCH_SECS:-4} s a run; progress on stderr)"
timeout 540 ./target/release/bench \
  --api "http://127.0.0.1:$API_PORT" --api2 "http://127.0.0.1:$API2_PORT" \
  --metrics "http://127.0.0.1:$METRICS_PORT" \
  --seed "http://127.0.0.1:$SEED_PORT" \
  --maildev "http://127.0.0.1:$MAIL_WEB_PORT" --smtp-port "$SMTP_PORT" \
  --pids "backend=$BACKEND_PID,db=$DB_PID,mail=$MAIL_PID,seed=$seed_pids" \
  --secs "${BENCH_SECS:-4}" --out bench/results.json --extra "$extra" --only "${BENCH_ONLY:-}"
if [ -n "${BENCH_ONLY:-}" ]; then exit 0; fi
log "wrote bench/results.json"
