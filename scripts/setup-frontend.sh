#!/usr/bin/env bash
# Installs what `trunk build --release` in frontend/ needs, skipping whatever is already in
# place at the right version (tools are cached in ~/.cargo/bin). Safe to run on every build.
#
#   - the wasm32-unknown-unknown Rust target
#   - trunk 0.21.14 (0.22 needs a newer rustc)
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock
#   - wasm-opt 132 from npm binaryen (frontend/node_modules/.bin; Debian's binaryen 108
#     produces a broken app) — the build needs that directory on PATH, see the end
#   - the crates of the frontend in the local cargo cache (Trunk runs cargo --offline)
#
# Afterwards:
#   cd frontend && PATH="$PWD/node_modules/.bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true trunk build --release
set -euo pipefail

TRUNK_VERSION=0.21.14
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRONTEND="$ROOT/frontend"

log() { printf '==> %s\n' "$*" >&2; }

# `just test` lints its own builds through clippy-driver (scripts/test.sh); tools installed
# from here are someone else's code and are compiled by plain rustc.
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS

# `tool --version` prints "<name> <version>"; empty when the tool is missing.
installed_version() {
    "$1" --version 2>/dev/null | awk 'NR == 1 { print $2 }' || true
}

# The version of a package in Cargo.lock.
locked_version() {
    awk -v name="$1" '
        $0 == "[[package]]" { in_pkg = 1; found = 0; next }
        in_pkg && $0 == "name = \"" name "\"" { found = 1; next }
        in_pkg && found && /^version = / { gsub(/"/, "", $3); print $3; exit }
    ' "$ROOT/Cargo.lock"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

WASM_BINDGEN_VERSION="$(locked_version wasm-bindgen)"
if [[ -z "$WASM_BINDGEN_VERSION" ]]; then
    echo "wasm-bindgen is not in $ROOT/Cargo.lock" >&2
    exit 1
fi

# Both are build tools, built for build speed: no LTO, parallel codegen (trunk spends its time
# waiting for cargo and wasm-opt, so it is not optimised at all; wasm-bindgen rewrites the whole
# wasm file, so it keeps opt-level 1), and without their TLS and update-check features: they
# download nothing here (Trunk.toml has offline = true; wasm-bindgen-test-runner talks to the
# local chromedriver over plain HTTP). They build at the same time, so that the serial
# stretches of each (its last crates, its link) leave a core to the other.
tool_flags=(--no-default-features
    --config profile.release.lto=false --config profile.release.codegen-units=16
    --config profile.release.debug=false)
bindgen_pid=""
if [[ "$(installed_version wasm-bindgen)" != "$WASM_BINDGEN_VERSION" ]]; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (in the background)"
    # Without --locked: its lockfile pins a webpki-roots release that is no longer on crates.io.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" "${tool_flags[@]}" \
        --config profile.release.opt-level=1 --quiet &
    bindgen_pid=$!
fi

if [[ "$(installed_version trunk)" != "$TRUNK_VERSION" ]]; then
    log "installing trunk $TRUNK_VERSION (a few minutes on 2 cores)"
    cargo install trunk --locked --version "$TRUNK_VERSION" "${tool_flags[@]}" \
        --config profile.release.opt-level=0 --quiet
fi

if [[ -n "$bindgen_pid" ]] && ! wait "$bindgen_pid"; then
    echo "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION failed" >&2
    exit 1
fi

WASM_OPT="$FRONTEND/node_modules/.bin/wasm-opt"
if [[ "$("$WASM_OPT" --version 2>/dev/null || true)" != "wasm-opt version 132"* ]]; then
    log "installing wasm-opt (npm binaryen, frontend/package-lock.json)"
    (cd "$FRONTEND" && npm ci --no-audit --no-fund)
fi

# Trunk builds with --offline --locked; make sure every crate of the frontend is cached.
cargo fetch --locked --manifest-path "$ROOT/Cargo.toml" --target wasm32-unknown-unknown

log "frontend tools ready: trunk $(installed_version trunk), wasm-bindgen $(installed_version wasm-bindgen), $("$WASM_OPT" --version)"
