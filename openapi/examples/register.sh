#!/usr/bin/env bash
# Create the account with the mailed code (POST /api/register).
#   register.sh USERNAME PASSWORD NICKNAME EMAIL CODE
# or set USERNAME, PASSWORD, NICKNAME, EMAIL, CODE. BASE_URL defaults to http://127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/common.sh"
usage="usage: register.sh USERNAME PASSWORD NICKNAME EMAIL CODE"
username=${1:-${USERNAME:?$usage}}
password=${2:-${PASSWORD:?$usage}}
nickname=${3:-${NICKNAME:?$usage}}
email=${4:-${EMAIL:?$usage}}
code=${5:-${CODE:?$usage}}
body=$(jq -nc --arg u "$username" --arg p "$password" --arg n "$nickname" --arg e "$email" \
  --arg c "$code" '{username: $u, password: $p, nickname: $n, email: $e, code: $c}')
api POST /api/register "$body" >/dev/null
