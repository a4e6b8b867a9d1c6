#!/usr/bin/env bash
# Builds the admin console into console/dist with Trunk (release, as `just console` does), when
# it is missing or older than its sources (console/, the shared DTO crate, Cargo.lock).
# Pass the SPA's CARGO_TARGET_DIR to share its compiled wasm32 release dependencies.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT/console"
stamp=dist/index.html
if [ -f "$stamp" ] && [ -z "$(find . ../shared ../Cargo.lock -type f -newer "$stamp" \
      -not -path './dist/*' -not -path '*/target/*' -print -quit)" ]; then
  log "console    up to date (console/dist)"
  exit 0
fi
log "building the admin console (trunk build --release)"
export PATH="$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
# Trunk runs wasm-bindgen into one folder per target folder and copies its snippets/ into
# dist: clear what the SPA's build left there, or it is served (and preloaded) here too.
rm -rf "${CARGO_TARGET_DIR:-$ROOT/target}/wasm-bindgen/release/snippets"
trunk build --release
