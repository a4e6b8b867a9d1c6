#!/usr/bin/env bash
# Contract tests: schemathesis (PyPI) checks the running server against openapi/openapi.json
# with every check on: examples, coverage, fuzzing (positive and negative data) and stateful
# sequences through the spec's links (register -> login -> nick).
#
#   BASE_URL      the server under test (required), e.g. http://127.0.0.1:18080
#   MAILDEV_URL   its mail catcher's REST API (default http://127.0.0.1:1080): used once to sign
#                 up the user of the spec's LoginRequest example, whose token /api/nick needs
#   CONTRACT_MAX_EXAMPLES  generated cases per operation and phase (default 500: about 6,000 cases, ~100 s on 2 cores)
#   CONTRACT_SEED          reproduce a run (schemathesis prints the seed it used)
#   CONTRACT_WORKERS       concurrent workers (default 2)
#   CONTRACT_CONFIG        schemathesis config (default openapi/schemathesis.toml)
#   CONTRACT_RATE_LIMIT    pace the requests, e.g. 4/s (default: as fast as the server answers)
#   CONTRACT_REPORTS       where the JUnit report and schemathesis' caches go (default
#                          .run/schemathesis; two runs side by side need one each)
#
# `contract.sh --install-only` installs schemathesis and stops (for `just test`, which does it
# in the background while it compiles).
#
# The main run needs a fresh (or contract-only) database and raised limits (e.g.
# APP_CODES_PER_IP_PER_HOUR=1000000): every generated email_auth call counts. A second, paced
# run against a server with the default limits (openapi/schemathesis-default-limits.toml)
# checks that every limit's answer is documented too.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SCHEMATHESIS_VERSION="4.32.5"
VENV="$TOOLS_DIR/venv-schemathesis"
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | grep -o '[0-9][0-9.]*')" != "$SCHEMATHESIS_VERSION" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
if [ "${1:-}" = --install-only ]; then exit 0; fi

BASE_URL="${BASE_URL:?set BASE_URL to the running server, e.g. http://127.0.0.1:8080}"
BASE_URL="${BASE_URL%/}"
export MAILDEV_URL="${MAILDEV_URL:-http://127.0.0.1:1080}"
SPEC="$ROOT/openapi/openapi.json"
REPORTS="${CONTRACT_REPORTS:-$RUN_DIR/schemathesis}"

wait_http "$BASE_URL/health/ready" 30
served=$(curl -fsS "$BASE_URL/api/openapi.json" | jq -S .)
if [ "$served" != "$(jq -S . "$SPEC")" ]; then
  echo "$BASE_URL/api/openapi.json differs from openapi/openapi.json: run \`just openapi\`" >&2
  exit 1
fi

# The documented example user (see LoginRequest's example), signed up through the real flow.
example_user=hong_gildong example_password="correct horse battery staple"
login=$(jq -nc --arg u "$example_user" --arg p "$example_password" '{username: $u, password: $p}')
if ! curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "$login" "$BASE_URL/api/login"; then
  log "signing up the example user $example_user"
  BASE_URL="$BASE_URL" USERNAME="$example_user" NICKNAME="길동" EMAIL="gildong@example.com" \
    PASSWORD="$example_password" bash openapi/examples/walkthrough.sh >/dev/null
fi

log "schemathesis $SCHEMATHESIS_VERSION against $BASE_URL"
mkdir -p "$REPORTS"
args=(
  --config-file "${CONTRACT_CONFIG:-$ROOT/openapi/schemathesis.toml}"
  run "$SPEC"
  --url "$BASE_URL"
  --checks all
  --max-examples "${CONTRACT_MAX_EXAMPLES:-500}"
  --workers "${CONTRACT_WORKERS:-2}"
  --request-timeout 20
  --report junit --report-dir "$REPORTS"
)
[ -n "${CONTRACT_SEED:-}" ] && args+=(--seed "$CONTRACT_SEED")
[ -n "${CONTRACT_RATE_LIMIT:-}" ] && args+=(--rate-limit "$CONTRACT_RATE_LIMIT")
# Run inside the reports folder: schemathesis keeps its caches in the working directory.
(cd "$REPORTS" && "$VENV/bin/schemathesis" "${args[@]}")
