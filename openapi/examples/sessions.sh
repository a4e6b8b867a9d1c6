#!/usr/bin/env bash
# List the signed-in user's sessions (GET /api/sessions), or end one (DELETE /api/sessions/ID).
#   sessions.sh TOKEN            list (or set TOKEN)
#   sessions.sh TOKEN end ID     end session ID
# BASE_URL defaults to http://127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/common.sh"
token=${1:-${TOKEN:?usage: sessions.sh TOKEN [end ID]}}
if [ "${2:-}" = end ]; then
  api DELETE "/api/sessions/${3:?usage: sessions.sh TOKEN end ID}" "" -H "Authorization: Bearer $token" >/dev/null
else
  api GET /api/sessions "" -H "Authorization: Bearer $token"
fi
