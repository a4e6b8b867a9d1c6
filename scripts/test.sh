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

log "cargo test (shared, backend)"
cargo test --workspace --exclude frontend

if [ -x scripts/test-frontend.sh ] || [ -f scripts/test-frontend.sh ]; then
  log "frontend tests (wasm-bindgen-test in headless Chromium)"
  bash scripts/test-frontend.sh
fi

if [ -f scripts/e2e.sh ]; then
  log "end-to-end tests (Playwright + Chromium)"
  bash scripts/e2e.sh
fi
