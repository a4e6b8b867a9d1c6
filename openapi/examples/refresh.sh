#!/usr/bin/env bash
# Exchange a refresh token for a new pair (POST /api/token/refresh). Prints the new pair as
# JSON on stdout (`{access_token, refresh_token, ...}`); the token given is spent.
#   refresh.sh REFRESH_TOKEN      (or set REFRESH_TOKEN)
# BASE_URL defaults to http://127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/common.sh"
token=${1:-${REFRESH_TOKEN:?usage: refresh.sh REFRESH_TOKEN}}
api POST /api/token/refresh "$(jq -nc --arg t "$token" '{refresh_token: $t}')"
