#!/usr/bin/env bash
# `just run`: the database server, the mail catcher and the API (serving the SPA), in the
# foreground. Ctrl-C stops everything this started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_all EXIT
trap 'exit 130' INT TERM

bash scripts/build-frontend.sh
cargo build --release -p backend
start_db "${DB_PORT:-27017}" "$RUN_DIR/db"
start_maildev "${SMTP_PORT:-1025}" "${MAIL_WEB_PORT:-1080}"

export APP_MONGODB_URI="${APP_MONGODB_URI:-mongodb://127.0.0.1:${DB_PORT:-27017}}"
export APP_SMTP_PORT="${APP_SMTP_PORT:-${SMTP_PORT:-1025}}"
export APP_STATIC_DIR="${APP_STATIC_DIR:-$ROOT/frontend/dist}"
./target/release/backend &
PIDS+=($!)
wait_http "http://127.0.0.1:${APP_PORT:-8080}/health/ready" 30
log "app        http://localhost:${APP_PORT:-8080}/   (API under /api, spec at /api/openapi.json; passkeys need the name localhost, not 127.0.0.1)"
log "Ctrl-C stops everything."
wait "${PIDS[-1]}"
