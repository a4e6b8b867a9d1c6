#!/usr/bin/env bash
# Builds the single-page app into frontend/dist with Trunk, when it is missing or older than
# its sources (frontend/ and the shared DTO crate).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT/frontend"
stamp=dist/index.html
if [ -f "$stamp" ] && [ -z "$(find . ../shared ../Cargo.lock -type f -newer "$stamp" \
      -not -path './dist/*' -not -path './node_modules/*' -not -path '*/target/*' -print -quit)" ]; then
  log "frontend   up to date (frontend/dist)"
  exit 0
fi
log "building the frontend (trunk build --release)"
export PATH="$ROOT/frontend/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
trunk build --release
