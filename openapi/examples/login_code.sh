#!/usr/bin/env bash
# Sign in with a code mailed to the account's address, without the password: asks for the
# code (POST /api/login/code/request), reads it from the terminal, then confirms it
# (POST /api/login/code/confirm) and prints the access token on stdout (the full answer goes
# to stderr). With TOTP on the account the answer is a second-step ticket instead
# ({"mfa_required": true, "mfa_token": ...}): finish with POST /api/login/mfa.
#   login_code.sh EMAIL             (or set EMAIL; CODE=123456 skips the prompt)
# BASE_URL defaults to http://127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/common.sh"
email=${1:-${EMAIL:?usage: login_code.sh EMAIL}}
api POST /api/login/code/request "$(jq -nc --arg e "$email" '{email: $e}')" >/dev/null
if [ -z "${CODE:-}" ]; then
  read -r -p "code from the mail to $email: " CODE
fi
pair=$(api POST /api/login/code/confirm "$(jq -nc --arg e "$email" --arg c "$CODE" '{email: $e, code: $c}')")
jq -r '.access_token // .mfa_token' <<<"$pair"
