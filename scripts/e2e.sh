#!/usr/bin/env bash
# Browser end-to-end tests: Debian's Chromium driven by playwright-core (node --test) against
# the real backend serving the built SPA, a real database server and the maildev SMTP catcher.
# Screenshots of every step land in e2e/artifacts/<test>/.
#
# Uses its own ports (backend 8081, admin listener 8083, SMTP 1026, mail web 1081; database 27019 unless
# TEST_MONGODB_URI points at one already running), so it runs beside `just run`.
# Extra arguments go to `node --test` (e.g. --test-name-pattern=happy); `e2e.sh --install-only`
# installs the test driver and stops.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_all EXIT

E2E_APP_PORT="${E2E_APP_PORT:-8081}"
E2E_SMTP_PORT="${E2E_SMTP_PORT:-1026}"
E2E_MAIL_WEB_PORT="${E2E_MAIL_WEB_PORT:-1081}"
E2E_DB_PORT="${E2E_DB_PORT:-27019}"
E2E_ADMIN_PORT="${E2E_ADMIN_PORT:-8083}"

# The test driver: playwright-core only (no browser download; Chromium comes from Debian).
if [ ! -f e2e/node_modules/.package-lock.json ] ||
   [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  log "e2e        npm ci"
  (cd e2e && npm ci --no-audit --no-fund)
fi
if [ "${1:-}" = --install-only ]; then exit 0; fi
[ -x /usr/bin/chromium ] || { echo "e2e needs /usr/bin/chromium (just setup)" >&2; exit 1; }

bash scripts/build-frontend.sh
[ -f frontend/dist/index.html ] || { echo "frontend/dist/index.html is missing" >&2; exit 1; }
# The admin console (served at /admin on the admin listener), compiled in the target folder
# where `just test` builds the SPA (target/spa-release), which holds the same wasm32 release
# dependencies.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/spa-release}" bash scripts/build-console.sh
# `just test` has built the backend already and says which binary (APP_BIN, used by start_app).
if [ -z "${APP_BIN:-}" ]; then
  log "e2e        cargo build -p backend"
  cargo build -p backend
fi

if [ -z "${TEST_MONGODB_URI:-}" ]; then
  rm -rf "$RUN_DIR/e2e-db"
  start_db "$E2E_DB_PORT" "$RUN_DIR/e2e-db"
  TEST_MONGODB_URI="mongodb://127.0.0.1:$E2E_DB_PORT"
fi
start_maildev "$E2E_SMTP_PORT" "$E2E_MAIL_WEB_PORT"
# Start from an empty inbox (maildev keeps mails from earlier runs in its mail directory).
curl -fsS -X DELETE "http://127.0.0.1:$E2E_MAIL_WEB_PORT/api/email/all" >/dev/null

# A database of its own per run, fixed test secrets (40 chars), the code rules the tests
# assert (5 attempts, 10 min validity) pinned against a local .env, and a per-IP cap loose
# enough that the suite's signups from 127.0.0.1 never hit it. Short waits instead of the
# defaults, so tests wait for conditions, not minutes: a 15 s resend cooldown (the reset test
# waits it out) and 20 s access tokens (every test runs through scheduled refreshes, and one
# waits for a token to expire in a tab whose timers are stopped). The browser's own address is
# a trusted proxy, so a test can sign in "from another network" with `X-Forwarded-For`.
E2E_DB_NAME="e2e_$(date +%s)_$$"
E2E_LOG="$RUN_DIR/e2e-backend.log"
start_app "$E2E_APP_PORT" "$TEST_MONGODB_URI" "$E2E_DB_NAME" "$E2E_SMTP_PORT" "$E2E_LOG" \
  APP_STATIC_DIR="$ROOT/frontend/dist" \
  APP_CODE_TTL_SECS=600 APP_CODE_MAX_ATTEMPTS=5 \
  APP_RESEND_COOLDOWN_SECS=15 APP_JWT_TTL_SECS=20 \
  APP_CODES_PER_EMAIL_PER_HOUR=5 APP_CODES_PER_IP_PER_HOUR=1000 \
  APP_RATE_LIMIT_PER_SECOND=1000 APP_RATE_LIMIT_BURST=1000 \
  APP_WEBAUTHN_RP_ID=localhost APP_WEBAUTHN_RP_ORIGIN="http://localhost:$E2E_APP_PORT" \
  APP_TRUSTED_PROXIES=127.0.0.1/32,::1/128 \
  APP_ADMIN_PORT="$E2E_ADMIN_PORT" APP_ADMIN_CONSOLE_DIR="$ROOT/console/dist" \
  APP_LOG_FORMAT=pretty
wait_app "$E2E_APP_PORT" "$E2E_LOG"
# An admin API key for the console test (tests/console.test.js), made by the command line.
ADMIN_KEY="$(app_admin "$TEST_MONGODB_URI" "$E2E_DB_NAME" api-key create --name e2e \
  2>"$RUN_DIR/e2e-admin.log" | jq -r .key)" && [[ "$ADMIN_KEY" == adm_* ]] ||
  { echo "no admin API key; $RUN_DIR/e2e-admin.log:" >&2; cat "$RUN_DIR/e2e-admin.log" >&2; exit 1; }
export ADMIN_URL="http://127.0.0.1:$E2E_ADMIN_PORT" ADMIN_KEY
log "e2e        app http://localhost:$E2E_APP_PORT/ (db $E2E_DB_NAME), mail http://127.0.0.1:$E2E_MAIL_WEB_PORT/"

# Chromium's and node's scratch files stay in our own folder.
E2E_TMP="$RUN_DIR/e2e-tmp"
rm -rf "$E2E_TMP"
mkdir -p "$E2E_TMP"
export TMPDIR="$E2E_TMP" XDG_CONFIG_HOME="$E2E_TMP" XDG_CACHE_HOME="$E2E_TMP"
# localhost, not 127.0.0.1: WebAuthn refuses an IP address as relying party id, and the
# browser's origin must be the one the app was told (APP_WEBAUTHN_RP_ORIGIN above).
export BASE_URL="http://localhost:$E2E_APP_PORT"
export MAILDEV_URL="http://127.0.0.1:$E2E_MAIL_WEB_PORT"
export ARTIFACTS_DIR="$ROOT/e2e/artifacts"

log "e2e        node --test (screenshots in e2e/artifacts/)"
status=0
(cd e2e && E2E_JWT_TTL_SECS=20 node --test --test-concurrency=1 --test-timeout=120000 "$@" tests/*.test.js) || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- last backend log lines ($E2E_LOG) ---" >&2
  tail -n 30 "$E2E_LOG" >&2
fi
exit "$status"
