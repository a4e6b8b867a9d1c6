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

# The fuzz targets' properties ran above over their seeds and random inputs (tests/api/
# fuzz_replay.rs). The coverage-guided search needs its own instrumented build of every
# dependency (about 15 minutes on a fresh machine), so it runs when asked: `just fuzz`, or
# FUZZ_SECS=<seconds per target> here.
if [ -n "${FUZZ_SECS:-}" ]; then
  log "fuzzing (request bodies, input rules; ${FUZZ_SECS}s each)"
  bash scripts/fuzz.sh
fi

log "contract tests (schemathesis against the running server)"
start_maildev 1027 1082
cargo build -q -p backend
# Every generated email_auth, login and wrong code counts against a limit: raise them all.
# Introspection is enabled, so that its answers (401 without the secret) are checked too.
start_app 18080 "$TEST_MONGODB_URI" "contract_$(date +%s)" 1027 "$RUN_DIR/contract-app.log" \
  APP_INTROSPECTION_SECRET=contract-introspection-secret-0123456789 \
  APP_CODES_PER_IP_PER_HOUR=1000000 APP_RATE_LIMIT_PER_SECOND=100000 APP_RATE_LIMIT_BURST=100000 \
  APP_LOGIN_MAX_FAILURES=1000000
wait_app 18080 "$RUN_DIR/contract-app.log"
# 150 examples per operation and phase keep the run to a few minutes as operations are added;
# `CONTRACT_MAX_EXAMPLES=500 just test` is the deep run.
BASE_URL=http://127.0.0.1:18080 MAILDEV_URL=http://127.0.0.1:1082 \
  CONTRACT_MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-150}" bash scripts/contract.sh

log "contract tests with the default limits (paced, fewer examples)"
# Every limit left at its default, so the per-IP bucket, the mail caps and the failed-login
# and wrong-code ceilings answer for real: each of those answers must be documented.
start_app 18081 "$TEST_MONGODB_URI" "contract_defaults_$(date +%s)" 1027 \
  "$RUN_DIR/contract-defaults-app.log" \
  APP_INTROSPECTION_SECRET=contract-introspection-secret-0123456789
wait_app 18081 "$RUN_DIR/contract-defaults-app.log"
BASE_URL=http://127.0.0.1:18081 MAILDEV_URL=http://127.0.0.1:1082 \
  CONTRACT_CONFIG="$ROOT/openapi/schemathesis-default-limits.toml" \
  CONTRACT_MAX_EXAMPLES="${CONTRACT_DEFAULTS_MAX_EXAMPLES:-10}" CONTRACT_RATE_LIMIT=4/s \
  bash scripts/contract.sh

if [ -f scripts/e2e.sh ]; then
  log "end-to-end tests (Playwright + Chromium)"
  bash scripts/e2e.sh
fi
