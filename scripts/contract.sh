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
#   CONTRACT_INTROSPECTION_SECRET  the server's APP_INTROSPECTION_SECRET, for /api/token/introspect
#   CONTRACT_REQUIRE_2XX   1 (default): fail unless every operation answered 2xx at least once,
#                          but those listed in openapi/contract-no-2xx.txt with their reason
#   CONTRACT_EXCLUDE_CHECKS checks to leave out (comma-separated), e.g. missing_required_header
#                          in the limits run, where the per-IP bucket answers before authentication
#   CONTRACT_REQUIRE_CODES problem codes that must have answered at least once (the limits
#                          run: rate_limited, resend_cooldown, ...), space-separated
#
# openapi/contract_hooks.py gives each signed-in operation a live session (its own for the
# ones that end sessions or change the account), puts real codes and passwords into a share of
# the positive cases, and logs every answer to $CONTRACT_REPORTS/answers.jsonl, which the
# checks at the end read.
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
# The hooks' software passkey signs with P-256 (openapi/contract_hooks.py).
CRYPTOGRAPHY_VERSION="44.0.2"
VENV="$TOOLS_DIR/venv-schemathesis"
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | grep -o '[0-9][0-9.]*')" != "$SCHEMATHESIS_VERSION" ] ||
   [ "$("$VENV/bin/python" -c 'import cryptography; print(cryptography.__version__)' 2>/dev/null)" != "$CRYPTOGRAPHY_VERSION" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION and cryptography $CRYPTOGRAPHY_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "cryptography==$CRYPTOGRAPHY_VERSION"
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
# `--checks all` turns on every check whatever the config says: leave one out here.
[ -n "${CONTRACT_EXCLUDE_CHECKS:-}" ] && args+=(--exclude-checks "$CONTRACT_EXCLUDE_CHECKS")
answers="$REPORTS/answers.jsonl"
: >"$answers"
export BASE_URL CONTRACT_STATUS_LOG="$answers" SCHEMATHESIS_HOOKS="$ROOT/openapi/contract_hooks.py"
export CONTRACT_INTROSPECTION_SECRET="${CONTRACT_INTROSPECTION_SECRET:-}"
# Run inside the reports folder: schemathesis keeps its caches in the working directory.
status=0
(cd "$REPORTS" && "$VENV/bin/schemathesis" "${args[@]}") || status=$?

# What answered: per operation, the count of each status.
jq -rs 'group_by(.op)[] | "\(.[0].op): \(group_by(.status) | map("\(.[0].status)×\(length)") | join(" "))"' \
  "$answers" >"$REPORTS/answers.txt"
log "answers per operation ($REPORTS/answers.txt):"
cat "$REPORTS/answers.txt" >&2
if [ "${CONTRACT_REQUIRE_2XX:-1}" = 1 ]; then
  allowed=$(awk '!/^#/ && NF {print $1}' openapi/contract-no-2xx.txt | sort -u)
  answered=$(jq -r 'select(.status >= 200 and .status < 300) | .op' "$answers" | sort -u)
  missing=$(jq -r '.paths[][] | .operationId' "$SPEC" | sort -u | comm -23 - <(echo "$answered") |
    comm -23 - <(echo "$allowed"))
  if [ -n "$missing" ]; then
    echo "operations that never answered 2xx (and are not in openapi/contract-no-2xx.txt):" $missing >&2
    status=1
  fi
fi
for code in ${CONTRACT_REQUIRE_CODES:-}; do
  if ! jq -se --arg c "$code" 'any(.[]; .code == $c)' "$answers" >/dev/null; then
    echo "no answer had the problem code $code: that limit never answered" >&2
    status=1
  fi
done
exit "$status"
