#!/usr/bin/env bash
# Read the signed-in user's profile (GET /api/nick) with a token from login.sh.
#   nick.sh TOKEN      (or set TOKEN)
# BASE_URL defaults to http://127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/common.sh"
token=${1:-${TOKEN:?usage: nick.sh TOKEN   (TOKEN=\$(login.sh USER PASS))}}
api GET /api/nick "" -H "Authorization: Bearer $token" >/dev/null
