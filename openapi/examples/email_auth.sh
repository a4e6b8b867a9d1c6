#!/usr/bin/env bash
# Ask for a six-digit code by mail (POST /api/email_auth).
#   email_auth.sh USERNAME NICKNAME EMAIL [ko|en]
# or set USERNAME, NICKNAME, EMAIL, LOCALE. BASE_URL defaults to http://127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/common.sh"
username=${1:-${USERNAME:?usage: email_auth.sh USERNAME NICKNAME EMAIL [ko|en]}}
nickname=${2:-${NICKNAME:?usage: email_auth.sh USERNAME NICKNAME EMAIL [ko|en]}}
email=${3:-${EMAIL:?usage: email_auth.sh USERNAME NICKNAME EMAIL [ko|en]}}
locale=${4:-${LOCALE:-ko}}
body=$(jq -nc --arg u "$username" --arg n "$nickname" --arg e "$email" --arg l "$locale" \
  '{username: $u, nickname: $n, email: $e, locale: $l}')
api POST /api/email_auth "$body" >/dev/null
