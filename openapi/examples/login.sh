#!/usr/bin/env bash
# Log in (POST /api/login) and print the access token on stdout (the full answer goes to stderr),
# so that `TOKEN=$(login.sh USER PASS)` works. PAIR_FILE=path also keeps the whole answer
# (with the refresh token) in that file, for refresh.sh.
#   login.sh USERNAME PASSWORD      (or set USERNAME, PASSWORD)
# BASE_URL defaults to http://127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/common.sh"
usage="usage: login.sh USERNAME PASSWORD"
username=${1:-${USERNAME:?$usage}}
password=${2:-${PASSWORD:?$usage}}
body=$(jq -nc --arg u "$username" --arg p "$password" '{username: $u, password: $p}')
pair=$(api POST /api/login "$body")
[ -n "${PAIR_FILE:-}" ] && printf '%s\n' "$pair" >"$PAIR_FILE"
jq -r .access_token <<<"$pair"
