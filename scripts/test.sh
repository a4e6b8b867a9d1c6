#!/usr/bin/env bash
# `just test`: lints, unit/property/integration tests against a real database server and
# real SMTP servers, the WASM client's tests in headless Chromium, and the browser end-to-end
# suite. Uses its own ports, so it runs beside `just run`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_all EXIT

TEST_DB_PORT="${TEST_DB_PORT:-27018}"

# The steps below keep both cores busy; what mostly waits runs beside them (spawn/join in
# lib.sh, each with its log in .run/): installs from the network, the SPA's release build
# beside the backend's test build, and the paced contract run beside the frontend tests, the
# main contract run and the browser tests. Ports: database 27018, contract servers
# 18080/18081 with mail catchers 1027/1082 and 1028/1083, e2e 8081.
spawn schemathesis-install bash scripts/contract.sh --install-only
spawn e2e-install bash scripts/e2e.sh --install-only
# The release build of the SPA for the browser tests, in a target folder of its own so that it
# never waits for the other builds' lock on target/.
log "building the SPA for the browser tests in the background (.run/spa-build.log)"
spawn spa-build env CARGO_TARGET_DIR="$ROOT/target/spa-release" bash scripts/build-frontend.sh

log "cargo fmt --check"
cargo fmt --all --check

# Clippy rides along with the test builds. `cargo clippy` is `cargo check` with clippy-driver as
# the workspace's compiler (RUSTC_WORKSPACE_WRAPPER) and its arguments in CLIPPY_ARGS; setting
# the same two for every build below lints each workspace crate and target while compiling it
# (the native and the wasm32 test builds between them cover what `clippy --all-targets` on
# both targets did), so the dependencies are compiled once, not also checked once for clippy.
# Dependencies are compiled by rustc as before; any warning in our code fails the build.
# An empty wrapper would silently mean no lints: fail when clippy is missing.
clippy_driver="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)" ||
  { echo "clippy-driver not found: rustup component add clippy" >&2; exit 1; }
export RUSTC_WORKSPACE_WRAPPER="$clippy_driver" CLIPPY_ARGS="-Dwarnings"

rm -rf "$RUN_DIR/test-db"
start_db "$TEST_DB_PORT" "$RUN_DIR/test-db"
export TEST_MONGODB_URI="mongodb://127.0.0.1:$TEST_DB_PORT"
# The reliability tests start, stop and kill database servers of their own.
export SECANTUS_BIN="$SECANTUS"

log "cargo test (shared, backend), linted by clippy"
cargo test --workspace --exclude frontend --no-run
# The SPA's build must be done before the tests run: the reliability tests bound how long a
# shutdown under load takes, and a build beside them takes the CPU their hashes need.
join spa-build
cargo test --workspace --exclude frontend
# The servers below run the binary that build made for the integration tests (the same code;
# only its dependencies' features are unified with the dev-dependencies'), rather than
# building it again without them (a minute and a half on two cores).
export APP_BIN="$ROOT/target/debug/backend"
[ -x "$APP_BIN" ] || { echo "cargo test did not build $APP_BIN" >&2; exit 1; }

# Paced contract run with the limits at their defaults, so that the mail caps and the
# failed-login and wrong-code ceilings answer for real: each of those answers must be
# documented. Four requests a second, so it spends its minutes waiting: it runs in the
# background through the frontend tests, the main contract run and the browser tests. The
# per-IP bucket alone is narrowed (2/s, burst 10), or four requests a second would never reach
# it; the run fails unless the bucket and the per-address cooldown each answered.
join schemathesis-install
log "contract tests with the default limits (paced, in the background: .run/contract-paced.log)"
start_maildev 1028 1083
start_app 18081 "$TEST_MONGODB_URI" "contract_defaults_$(date +%s)" 1028 \
  "$RUN_DIR/contract-defaults-app.log" \
  APP_INTROSPECTION_SECRET=contract-introspection-secret-0123456789 \
  APP_RATE_LIMIT_PER_SECOND=2 APP_RATE_LIMIT_BURST=10
wait_app 18081 "$RUN_DIR/contract-defaults-app.log"
spawn contract-paced env BASE_URL=http://127.0.0.1:18081 MAILDEV_URL=http://127.0.0.1:1083 \
  CONTRACT_CONFIG="$ROOT/openapi/schemathesis-default-limits.toml" \
  CONTRACT_REPORTS="$RUN_DIR/schemathesis-paced" \
  CONTRACT_MAX_EXAMPLES="${CONTRACT_DEFAULTS_MAX_EXAMPLES:-10}" CONTRACT_RATE_LIMIT=4/s \
  CONTRACT_AUTH=0 CONTRACT_REAL_SHARE=0 CONTRACT_REQUIRE_2XX=0 \
  CONTRACT_REQUIRE_CODES="rate_limited resend_cooldown" \
  CONTRACT_EXCLUDE_CHECKS=missing_required_header \
  CONTRACT_INTROSPECTION_SECRET=contract-introspection-secret-0123456789 \
  bash scripts/contract.sh

# What no build above compiles: the fuzz targets' entry points (their properties are compiled
# into tests/api/fuzz_replay.rs) and the backend without its default features, which is how
# they use it. `cargo check` of the fuzz crate does both, on stable with plain rustc (the
# sanitizer flags are only for `just fuzz`). It is its own workspace; it shares target/ and, with
# fuzz/Cargo.lock at the workspace's versions and fuzz/Cargo.toml's dev profile the
# workspace's, whatever dependency checks are there already. Measured on two cores shared with
# six other sessions' builds (load average 23): cold 431 s (after a `cargo check -p backend
# --no-default-features` of 246 s had checked part of the dependencies), warm 1 s.
log "cargo check: the fuzz targets (and the backend without default features)"
env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS \
  cargo check --manifest-path fuzz/Cargo.toml --target-dir "$ROOT/target" --bins

# The fuzz targets' properties ran above over their seeds and random inputs (tests/api/
# fuzz_replay.rs). The coverage-guided search needs its own instrumented build of every
# dependency (about 15 minutes on a fresh machine), so it runs when asked: `just fuzz`, or
# FUZZ_SECS=<seconds per target> here.
if [ -n "${FUZZ_SECS:-}" ]; then
  log "fuzzing (request bodies, input rules; ${FUZZ_SECS}s each)"
  # Its own instrumented build, without the clippy wrapper.
  env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS bash scripts/fuzz.sh
fi

log "frontend tests (wasm-bindgen-test in headless Chromium), linted by clippy"
bash scripts/test-frontend.sh

log "contract tests (schemathesis against the running server)"
start_maildev 1027 1082
# Every generated email_auth, login and wrong code counts against a limit: raise them all.
# Introspection is enabled, so that its answers (401 without the secret) are checked too.
# Loopback is a trusted proxy, so that the hooks can sign in "from a new network" with
# `X-Forwarded-For` and read the new-sign-in alert's not-me link.
start_app 18080 "$TEST_MONGODB_URI" "contract_$(date +%s)" 1027 "$RUN_DIR/contract-app.log" \
  APP_INTROSPECTION_SECRET=contract-introspection-secret-0123456789 \
  APP_CODES_PER_IP_PER_HOUR=1000000 APP_RATE_LIMIT_PER_SECOND=100000 APP_RATE_LIMIT_BURST=100000 \
  APP_LOGIN_MAX_FAILURES=1000000 APP_RESEND_COOLDOWN_SECS=0 \
  APP_TRUSTED_PROXIES=127.0.0.1/32,::1/128
wait_app 18080 "$RUN_DIR/contract-app.log"
# 150 examples per operation and phase keep the run to a few minutes as operations are added;
# `CONTRACT_MAX_EXAMPLES=500 just test` is the deep run.
BASE_URL=http://127.0.0.1:18080 MAILDEV_URL=http://127.0.0.1:1082 \
  CONTRACT_INTROSPECTION_SECRET=contract-introspection-secret-0123456789 \
  CONTRACT_MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-150}" bash scripts/contract.sh

log "end-to-end tests (Playwright + Chromium)"
join e2e-install
bash scripts/e2e.sh

log "paced contract run (finished in the background?)"
join contract-paced
tail -n 25 "$RUN_DIR/contract-paced.log"

# A panic in a background task (the outbox worker, the cache watcher) fails no request, so no
# check above would see it: look for one in the logs of the servers the contract runs drove.
if grep -n "panicked at" "$RUN_DIR/contract-app.log" "$RUN_DIR/contract-defaults-app.log" >&2; then
  echo "the app panicked during the contract runs (lines above)" >&2
  exit 1
fi
