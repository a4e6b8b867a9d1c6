#!/usr/bin/env bash
# `just test`: lints, unit/property/integration tests against a real database server and
# real SMTP servers, the WASM client's tests in headless Chromium, and the browser end-to-end
# suite. Uses its own ports, so it runs beside `just run`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_all EXIT

TEST_DB_PORT="${TEST_DB_PORT:-27018}"

log "cargo fmt --check"
cargo fmt --all --check
log "cargo clippy (host and wasm)"
cargo clippy --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

rm -rf "$RUN_DIR/test-db"
start_db "$TEST_DB_PORT" "$RUN_DIR/test-db"
export TEST_MONGODB_URI="mongodb://127.0.0.1:$TEST_DB_PORT"
# The reliability tests start, stop and kill database servers of their own.
export SECANTUS_BIN="$SECANTUS"

log "cargo test (shared, backend)"
cargo test --workspace --exclude frontend

if [ -x scripts/test-frontend.sh ] || [ -f scripts/test-frontend.sh ]; then
  log "frontend tests (wasm-bindgen-test in headless Chromium)"
  bash scripts/test-frontend.sh
fi

log "fuzzing (request bodies, input rules; bounded)"
FUZZ_SECS="${FUZZ_SECS:-20}" bash scripts/fuzz.sh

log "contract tests (schemathesis against the running server)"
start_maildev 1027 1082
cargo build -q -p backend
APP_PORT=18080 APP_MONGODB_URI="$TEST_MONGODB_URI" APP_MONGODB_DB="contract_$(date +%s)" \
  APP_SMTP_PORT=1027 APP_STATIC_DIR=/nonexistent \
  APP_JWT_SECRET=contract-jwt-secret-0123456789abcdef0123 \
  APP_CODE_PEPPER=contract-pepper-0123456789abcdef01234567 \
  APP_CODES_PER_IP_PER_HOUR=1000000 APP_RATE_LIMIT_PER_SECOND=100000 APP_RATE_LIMIT_BURST=100000 APP_LOGIN_MAX_FAILURES=1000000 \
  target/debug/backend >"$RUN_DIR/contract-app.log" 2>&1 &
PIDS+=($!)
BASE_URL=http://127.0.0.1:18080 MAILDEV_URL=http://127.0.0.1:1082 bash scripts/contract.sh

log "contract tests with the default limits (paced, fewer examples)"
# Every limit left at its default, so the per-IP bucket, the mail caps and the failed-login
# and wrong-code ceilings answer for real: each of those answers must be documented.
APP_PORT=18081 APP_MONGODB_URI="$TEST_MONGODB_URI" APP_MONGODB_DB="contract_defaults_$(date +%s)" \
  APP_SMTP_PORT=1027 APP_STATIC_DIR=/nonexistent \
  APP_JWT_SECRET=contract-jwt-secret-0123456789abcdef0123 \
  APP_CODE_PEPPER=contract-pepper-0123456789abcdef01234567 \
  target/debug/backend >"$RUN_DIR/contract-defaults-app.log" 2>&1 &
PIDS+=($!)
BASE_URL=http://127.0.0.1:18081 MAILDEV_URL=http://127.0.0.1:1082 \
  CONTRACT_CONFIG="$ROOT/openapi/schemathesis-default-limits.toml" \
  CONTRACT_MAX_EXAMPLES="${CONTRACT_DEFAULTS_MAX_EXAMPLES:-25}" CONTRACT_RATE_LIMIT=4/s \
  bash scripts/contract.sh

if [ -f scripts/e2e.sh ]; then
  log "end-to-end tests (Playwright + Chromium)"
  bash scripts/e2e.sh
fi
