#!/usr/bin/env bash
# `just bench`: release build, then the database server, maildev, this backend and its peers on
# their own ports, measured by the closed-loop driver in bench/. Four parts, each merged into
# bench/results.json (docs/benchmarks.md explains every figure):
#   flask        this backend against the seed Flask server (gunicorn, one worker a core)
#   better_auth  against Better Auth 1.7.25 (../shared/baselines/better_auth), same DB and mail
#   scale        1k -> 100k -> 1M seeded accounts and sessions, single-client latencies per size
#   page         the release WASM bundle's size: raw, gzip -9, brotli -q 11
# Knobs: BENCH_ONLY=part[,part...] (default: all four; or one endpoint of the Flask part, printed,
# no report: nick, login or email_auth), BENCH_SECS (seconds a run, default 4),
# BENCH_SCALE_SIZES (default 1000,100000,1000000), BENCH_SCALE_OP_SECS (time budget per operation
# and size, default 20), BENCH_SCALE_BUDGET (seconds for the whole scale part: a size whose
# seeding, extrapolated from the step before, would not fit is skipped and recorded),
# BENCH_SKIP_FRONTEND=1, BENCH_*_PORT, and BENCH_BACKEND_BIN=path to
# measure an already built backend (e.g. a commit's, built in a `git worktree`) instead of
# building this tree's (BENCH_DRIVER_BIN: the same for the load driver).
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
# Better Auth: two processes on one database, cookie cache off and on.
BA_SRC="${BA_SRC:-$ROOT/../shared/baselines/better_auth}"
BA_DIR="$TOOLS_DIR/better-auth-peer"
BA_PORT="${BENCH_BA_PORT:-3090}"
BA_CACHE_PORT="${BENCH_BA_CACHE_PORT:-3091}"
# The scale part: two more instances on their own database, session cache on and off.
SCALE_PORT="${BENCH_SCALE_PORT:-8092}"
SCALE_NOCACHE_PORT="${BENCH_SCALE_NOCACHE_PORT:-8093}"
CORES="$(nproc)"

ONLY="${BENCH_ONLY:-}"
ENDPOINT_ONLY=""
case "$ONLY" in nick | login | email_auth) ENDPOINT_ONLY=$ONLY ONLY=flask ;; esac
# want PART: whether this run includes PART.
want() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
for part in ${ONLY//,/ }; do
  case "$part" in flask | better_auth | scale | page) ;; *)
    echo "BENCH_ONLY: unknown part '$part' (flask, better_auth, scale, page, or nick/login/email_auth)" >&2
    exit 2
    ;;
  esac
done
rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
BENCH_START=$(date +%s)
# The load on the machine while this ran (a shared machine: the ratios within one run count).
load_now() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(load_now)
# Seconds each part took, for bench/results.json's last_run.
PART_SECS='{}'
part_done() { PART_SECS=$(jq -c --arg p "$1" --argjson s "$(($(date +%s) - $2))" '.[$p] = $s' <<<"$PART_SECS"); }

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
if want flask && [ ! -x "$SEED_VENV/bin/gunicorn" ]; then
  log "seed venv  $SEED_VENV (flask, pymongo, PyJWT, gunicorn)"
  python3 -m venv "$SEED_VENV"
  "$SEED_VENV/bin/pip" install -q -r "$SEED_DIR/requirements.txt"
fi

# The WASM bundle, as `just run` serves it. Extra figures for the report go into one JSON
# object, built with jq.
extra='{}'
page_t0=$(date +%s)
if { want flask || want page; } && [ "${BENCH_SKIP_FRONTEND:-0}" != 1 ]; then
  bash scripts/build-frontend.sh || log "frontend build failed: bundle size not measured"
fi
wasm=(frontend/dist/*.wasm) js=(frontend/dist/*.js)
if [ -f "${wasm[0]}" ]; then
  size() { cat "$@" | wc -c; }
  gz() { cat "$@" | gzip -9 | wc -c; }
  # brotli at its highest quality, from node's zlib (no brotli binary needed).
  br() { cat "$@" | node -e 'const z=require("zlib");const b=[];process.stdin.on("data",d=>b.push(d)).on("end",()=>console.log(z.brotliCompressSync(Buffer.concat(b),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))'; }
  extra=$(jq -n --argjson w "$(size "${wasm[@]}")" --argjson wg "$(gz "${wasm[@]}")" \
    --argjson j "$(size "${js[@]}")" --argjson jg "$(gz "${js[@]}")" \
    '{wasm_bundle_bytes: $w, wasm_bundle_gzip_bytes: $wg, js_glue_bytes: $j, js_glue_gzip_bytes: $jg}')
  if want page; then
    # The files the page is made of, without their precompressed .br/.gz siblings.
    files=()
    for f in frontend/dist/*; do case "$f" in *.br | *.gz) ;; *) [ -f "$f" ] && files+=("$f") ;; esac; done
    page=$(jq -n --argjson w "$(size "${wasm[@]}")" --argjson wg "$(gz "${wasm[@]}")" --argjson wb "$(br "${wasm[@]}")" \
      --argjson j "$(size "${js[@]}")" --argjson jg "$(gz "${js[@]}")" --argjson jb "$(br "${js[@]}")" \
      --argjson d "$(cat "${files[@]}" 2>/dev/null | wc -c)" --arg commit "$(git rev-parse --short HEAD)" \
      '{wasm: {raw_bytes: $w, gzip_bytes: $wg, brotli_bytes: $wb}, js_glue: {raw_bytes: $j, gzip_bytes: $jg, brotli_bytes: $jb},
        dist_files_raw_bytes: $d, built_from: $commit, measured_at: (now | todate), how: "frontend/dist of `scripts/build-frontend.sh` (release); gzip -9; brotli quality 11 (node zlib)"}')
    head_=$(jq -n --argjson p "$page" '{page_weight_wasm_gzip_kb: {value: (($p.wasm.gzip_bytes / 1024 * 10 | round) / 10),
      brotli_kb: (($p.wasm.brotli_bytes / 1024 * 10 | round) / 10), raw_kb: (($p.wasm.raw_bytes / 1024 * 10 | round) / 10),
      goal: "<= 400 KB gzipped (issue 28)", met: ($p.wasm.gzip_bytes <= 400 * 1024)}}')
    mkdir -p bench
    [ -s bench/results.json ] || echo '{}' >bench/results.json
    jq --argjson p "$page" --argjson h "$head_" '.page_weight = $p | .headline = ((.headline // {}) + $h)' \
      bench/results.json >bench/results.json.tmp && mv bench/results.json.tmp bench/results.json
    log "page weight: $(jq -c '.wasm' <<<"$page")"
    part_done page "$page_t0"
  fi
elif want page; then
  log "no frontend/dist/*.wasm: page weight not measured"
fi

finish() {
  jq --argjson s "$(($(date +%s) - BENCH_START))" --arg only "${ONLY:-all}" --argjson p "$PART_SECS" \
    --arg bin "${BACKEND_BIN:-}" --arg l0 "$LOAD_START" --arg l1 "$(load_now)" --argjson cores "$CORES" \
    '.last_run = {parts: $only, seconds: $s, seconds_per_part: $p, at: (now | todate), backend_bin: $bin,
      load_average_1_5_15: {at_start: $l0, at_end: $l1}, cores: $cores}' bench/results.json >bench/results.json.tmp &&
    mv bench/results.json.tmp bench/results.json
  log "wrote bench/results.json ($(($(date +%s) - BENCH_START)) s)"
}
# BENCH_ONLY=page: the bundle's weight alone (seconds, no backend build, no servers); the last
# full run's `last_run` stays as it was.
if [ "$ONLY" = page ]; then
  exit 0
fi

log "release build (backend, then the bench driver: separate builds keep the backend's features as in \`just run\`)"
BACKEND_BIN="${BENCH_BACKEND_BIN:-}"
if [ -z "$BACKEND_BIN" ]; then
  cargo build --release -p backend
  BACKEND_BIN=./target/release/backend
fi
DRIVER="${BENCH_DRIVER_BIN:-}"
if [ -z "$DRIVER" ]; then
  cargo build --release -p bench
  DRIVER=./target/release/bench
fi

# Better Auth's pinned packages, once, in a writable copy of the baseline.
if want better_auth; then
  mkdir -p "$BA_DIR"
  if ! cmp -s "$BA_SRC/package-lock.json" "$BA_DIR/package-lock.json" || [ ! -d "$BA_DIR/node_modules/better-auth" ]; then
    log "better-auth peer: npm ci in $BA_DIR"
    cp "$BA_SRC"/{package.json,package-lock.json,server.mjs} "$BA_DIR/"
    chmod u+w "$BA_DIR"/*
    (cd "$BA_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  cp -f "$BA_SRC/server.mjs" "$BA_DIR/server.mjs"
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
# one user over and over (no account throttle: neither its per-pool cap nor its backstop across
# pools, whose default of 50 failures refused the timing run's wrong passwords with 429), and
# 200 concurrent registrations hash at once (throughput, not the bounded hash queue's 503s).
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
    APP_LOGIN_MAX_FAILURES_TOTAL=1000000 \
    APP_HASH_QUEUE=1024 APP_TRUSTED_PROXIES=127.0.0.1 \
    APP_JWT_SECRET="$JWT_SECRET" APP_CODE_PEPPER="$PEPPER" \
    APP_MFA_ENCRYPTION_KEY="$MFA_KEY"
}
if want flask || want better_auth; then
  t0=$(date +%s%N)
  bench_backend "$API_PORT" "$RUN_DIR/bench-backend.log" APP_METRICS_PORT="$METRICS_PORT"
  BACKEND_PID=$APP_PID
  wait_first "http://127.0.0.1:$API_PORT/health/ready" "$BACKEND_PID" -f
  backend_cold=$(ms_since "$t0")
  backend_idle_rss=$(rss_mb "$BACKEND_PID")
  log "backend    http://127.0.0.1:$API_PORT ready in $backend_cold ms"
fi

mkdir -p bench
if want flask; then
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

  flask_t0=$(date +%s)
  log "flask part: driving load (${BENCH_SECS:-4} s a run; progress on stderr)"
  timeout 540 "$DRIVER" \
    --api "http://127.0.0.1:$API_PORT" --api2 "http://127.0.0.1:$API2_PORT" \
    --metrics "http://127.0.0.1:$METRICS_PORT" \
    --seed "http://127.0.0.1:$SEED_PORT" \
    --maildev "http://127.0.0.1:$MAIL_WEB_PORT" --smtp-port "$SMTP_PORT" \
    --pids "backend=$BACKEND_PID,db=$DB_PID,mail=$MAIL_PID,seed=$seed_pids" \
    --secs "${BENCH_SECS:-4}" --out bench/results.json --extra "$extra" --only "$ENDPOINT_ONLY"
  if [ -n "$ENDPOINT_ONLY" ]; then exit 0; fi
  # The seed's workers are done: stop them so they take no memory or CPU from the next parts.
  kill -TERM "$SEED_PID" 2>/dev/null || true
  wait "$SEED_PID" 2>/dev/null || true
  part_done flask "$flask_t0"
  log "flask part written to bench/results.json"
fi

if want better_auth; then
  ba_t0=$(date +%s)
  BA_SECRET="$(random_secret)$(random_secret)"
  # start_ba PORT LOG [VAR=value...]: one Better Auth process on the shared database and maildev,
  # its rate limiter off (ours runs with its limits out of the way too). Sets BA_PID.
  start_ba() {
    local port=$1 logfile=$2
    shift 2
    port_free "$port" || { echo "port $port is taken: stop whatever listens there" >&2; return 1; }
    (cd "$BA_DIR" && exec env NODE_ENV=production PORT="$port" HOST=127.0.0.1 \
      MONGO_URI="mongodb://127.0.0.1:$DB_PORT" MONGO_DB=better_auth \
      SMTP_HOST=127.0.0.1 SMTP_PORT="$SMTP_PORT" BETTER_AUTH_SECRET="$BA_SECRET" RATE_LIMIT=0 \
      "$@" node server.mjs) >"$logfile" 2>&1 &
    BA_PID=$!
    PIDS+=("$BA_PID")
  }
  t0=$(date +%s%N)
  start_ba "$BA_PORT" "$RUN_DIR/bench-ba.log"
  BA_OFF_PID=$BA_PID
  wait_first "http://127.0.0.1:$BA_PORT/health" "$BA_OFF_PID" -f
  ba_cold=$(ms_since "$t0")
  log "better-auth http://127.0.0.1:$BA_PORT (cookie cache off) first answer in $ba_cold ms"
  start_ba "$BA_CACHE_PORT" "$RUN_DIR/bench-ba-cache.log" COOKIE_CACHE=1
  BA_ON_PID=$BA_PID
  wait_first "http://127.0.0.1:$BA_CACHE_PORT/health" "$BA_ON_PID" -f
  log "better-auth http://127.0.0.1:$BA_CACHE_PORT (cookie cache on)"
  sleep 1
  ba_extra=$(jq -n --argjson oc "$backend_cold" --argjson bc "$ba_cold" --argjson oi "$backend_idle_rss" \
    --argjson bi "$(rss_mb "$BA_OFF_PID")" --argjson bci "$(rss_mb "$BA_ON_PID")" \
    '{ours_cold_start_ms: $oc, ba_cold_start_ms: $bc, ours_rss_idle_mb: $oi, ba_rss_idle_mb: $bi, ba_cache_rss_idle_mb: $bci}')
  log "better_auth part: driving load (${BENCH_SECS:-4} s a run)"
  timeout 900 "$DRIVER" peer \
    --api "http://127.0.0.1:$API_PORT" --metrics "http://127.0.0.1:$METRICS_PORT" \
    --ba "http://127.0.0.1:$BA_PORT" --ba-cache "http://127.0.0.1:$BA_CACHE_PORT" \
    --maildev "http://127.0.0.1:$MAIL_WEB_PORT" --scrypt-cost bench/scrypt-cost.mjs \
    --pids "backend=$BACKEND_PID,ba=$BA_OFF_PID,ba_cache=$BA_ON_PID,db=$DB_PID,mail=$MAIL_PID" \
    --secs "${BENCH_SECS:-4}" --extra "$ba_extra" --out bench/results.json
  for pid in "$BA_OFF_PID" "$BA_ON_PID"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  part_done better_auth "$ba_t0"
  log "better_auth part written to bench/results.json"
fi

if want scale; then
  scale_t0=$(date +%s)
  # Two instances of their own on a database of their own: session cache on and off.
  bench_backend "$SCALE_PORT" "$RUN_DIR/bench-scale.log" APP_MONGODB_DB=scale
  wait_first "http://127.0.0.1:$SCALE_PORT/health/ready" "$APP_PID" -f
  SCALE_PID=$APP_PID
  bench_backend "$SCALE_NOCACHE_PORT" "$RUN_DIR/bench-scale-nocache.log" APP_MONGODB_DB=scale \
    APP_SESSION_CACHE_CAPACITY=0
  wait_first "http://127.0.0.1:$SCALE_NOCACHE_PORT/health/ready" "$APP_PID" -f
  SCALE_NOCACHE_PID=$APP_PID
  log "scale part: sizes ${BENCH_SCALE_SIZES:-1000,100000,1000000}"
  timeout "${BENCH_SCALE_TIMEOUT:-5400}" "$DRIVER" scale \
    --api "http://127.0.0.1:$SCALE_PORT" --api-nocache "http://127.0.0.1:$SCALE_NOCACHE_PORT" \
    --maildev "http://127.0.0.1:$MAIL_WEB_PORT" --mongodb "mongodb://127.0.0.1:$DB_PORT" --db scale \
    --sizes "${BENCH_SCALE_SIZES:-1000,100000,1000000}" --op-secs "${BENCH_SCALE_OP_SECS:-20}" \
    --pids "db=$DB_PID,backend=$SCALE_PID+$SCALE_NOCACHE_PID" ${BENCH_SCALE_BUDGET:+--budget-secs "$BENCH_SCALE_BUDGET"} \
    --out bench/results.json
  part_done scale "$scale_t0"
  log "scale part written to bench/results.json"
fi

finish
