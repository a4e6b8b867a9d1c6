#!/usr/bin/env bash
# The frontend's wasm-bindgen tests (frontend/tests/*.rs) in headless Chromium, through
# Debian's chromedriver. Browser flags: frontend/webdriver.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# wasm-bindgen-test-runner ships with wasm-bindgen-cli.
bash scripts/setup-frontend.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
cargo test -p frontend --target wasm32-unknown-unknown
# The texts' own tests run natively (no browser; they read the snapshot file): every language
# has exactly the Korean ids, every message resolves, every text is what the snapshot says.
cargo test -p frontend --test texts --test locales
