#!/usr/bin/env bash
# Installs what `just run` and `just test` need and the machine lacks. Idempotent: every step
# is skipped when its tool is already there at the right version.
#   apt:   cmake (to build the database server), pkg-config + libssl-dev (webauthn-rs), chromium + chromedriver + fonts (browser tests),
#          jq (curl examples, contract tests), python3-venv (schemathesis, the seed server)
#   cargo: secantus-mdb (the MongoDB-wire server) into $TOOLS_DIR
#   npm:   maildev (package.json / package-lock.json)
#   frontend: wasm target, trunk, wasm-bindgen-cli, wasm-opt (scripts/setup-frontend.sh)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

want_apt=(cmake pkg-config libssl-dev chromium chromium-driver fonts-liberation fonts-noto-cjk curl jq python3-venv)
missing=()
for pkg in "${want_apt[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The tools are build tools: a release build without link-time optimisation and with parallel
# codegen compiles in roughly half the time (trunk and secantus-mdb ask for LTO and one codegen
# unit) and runs nearly as fast. (setup-frontend.sh passes its own, lighter settings.)
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16

# The database server is the longest build and mostly C (WiredTiger) with serial stretches, so
# it builds in the background while the frontend tools build beside it.
secantus_pid=""
if ! [ -x "$SECANTUS" ]; then
  log "building the database server secantus-mdb $SECANTUS_VERSION into $TOOLS_DIR (background)"
  mkdir -p "$RUN_DIR"
  # The crate declares rust-version 1.98 but builds with 1.95.
  (cargo install secantus-mdb --version "$SECANTUS_VERSION" --ignore-rust-version --locked \
    --root "$TOOLS_DIR" --quiet || cargo install secantus-mdb --version "$SECANTUS_VERSION" \
    --ignore-rust-version --root "$TOOLS_DIR" --quiet) >"$RUN_DIR/secantus-build.log" 2>&1 &
  secantus_pid=$!
fi

if ! [ -x "$MAILDEV" ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (maildev)"
  npm ci --no-audit --no-fund --loglevel=error
fi

bash "$ROOT/scripts/setup-frontend.sh"

if [ -n "$secantus_pid" ]; then
  log "waiting for the database server build"
  if ! wait "$secantus_pid"; then
    tail -n 40 "$RUN_DIR/secantus-build.log" >&2
    echo "building secantus-mdb failed (log: $RUN_DIR/secantus-build.log)" >&2
    exit 1
  fi
fi
