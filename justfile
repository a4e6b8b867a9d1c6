# Email-verified signup, done right. `just run` serves the app; `just test` runs every test.
set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Install what is missing: database server, mail catcher, Chromium, WASM toolchain.
setup:
    bash scripts/install-tools.sh

# Database + mail catcher + API serving the SPA at http://localhost:8080 (Ctrl-C stops all).
run: setup
    bash scripts/run.sh

# Lints, unit, property, integration, WASM and browser end-to-end tests.
test: setup
    bash scripts/test.sh

# Build the single-page app (frontend/dist) if it is stale.
frontend: setup
    bash scripts/build-frontend.sh

# Build the admin console (console/dist), served at /admin on the admin listener.
console: setup
    bash scripts/build-console.sh

# Coverage-guided fuzzing of the request bodies and input rules (cargo-fuzz; SECS per target).
fuzz SECS="60":
    FUZZ_SECS={{SECS}} bash scripts/fuzz.sh

# Format and lint.
fmt:
    cargo fmt --all

# Regenerate the committed OpenAPI documents (openapi/openapi.json, openapi/admin.json).
openapi:
    cargo run -q -p backend --example openapi > openapi/openapi.json
    cargo run -q -p backend --example admin_openapi > openapi/admin.json

# Benchmarks against the original Flask server: bench/results.json and a Markdown table.
bench: setup
    bash scripts/bench.sh
