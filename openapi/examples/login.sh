#!/usr/bin/env bash
# Log in (POST /api/login) and print the access token on stdout (the full answer goes to stderr),
# so that `TOKEN=$(login.sh USER PASS)` works.
#   login.sh USERNAME PASSWORD      (or set USERNAME, PASSWORD)
# BASE_URL defaults to http://127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/common.sh"
usage="usage: login.sh USERNAME PASSWORD"
username=${1:-${USERNAME:?$usage}}
password=${2:-${PASSWORD:?$usage}}
body=$(jq -nc --arg u "$username" --arg p "$password" '{username: $u, password: $p}')
api POST /api/login "$body" | jq -r .access_token
