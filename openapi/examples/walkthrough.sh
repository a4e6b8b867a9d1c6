#!/usr/bin/env bash
# The whole signup against a running server (`just run`): request a code, read it from the
# mail catcher's REST API, register, log in, read the profile, refresh the session, list it.
#   BASE_URL     the API (default http://127.0.0.1:8080)
#   MAILDEV_URL  maildev's web/REST API (default http://127.0.0.1:1080)
#   USERNAME, NICKNAME, EMAIL, PASSWORD, LOCALE  optional; random unique values by default
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"
MAILDEV_URL="${MAILDEV_URL:-http://127.0.0.1:1080}"
MAILDEV_URL="${MAILDEV_URL%/}"

suffix="$(date +%s)$RANDOM"
export USERNAME="${USERNAME:-demo_${suffix: -12}}"
export NICKNAME="${NICKNAME:-Demo ${suffix: -6}}"
export EMAIL="${EMAIL:-demo+$suffix@example.com}"
export PASSWORD="${PASSWORD:-correct horse battery staple}"
export LOCALE="${LOCALE:-en}"

step() { if [ -t 2 ]; then printf "\n\033[1m== %s\033[0m\n" "$*"; else printf "\n== %s\n" "$*"; fi >&2; }

# The mails maildev holds for the address, oldest first.
mails() { curl -fsS --get "$MAILDEV_URL/api/email" --data-urlencode "to.address=$EMAIL"; }

step "1. Ask for a code for $EMAIL ($USERNAME / $NICKNAME)"
# Only a mail that arrives after this request counts: a new code replaces the old one.
before=$(mails | jq length)
"$here/email_auth.sh"

step "2. Read the code from the mail catcher ($MAILDEV_URL)"
code=""
for _ in $(seq 50); do
  code=$(mails | jq -r --argjson before "$before" \
    'if length > $before then last.text // "" | [scan("\\b[0-9]{6}\\b")][0] // empty else empty end')
  [ -n "$code" ] && break
  sleep 0.2
done
[ -n "$code" ] || { echo "no code arrived for $EMAIL at $MAILDEV_URL" >&2; exit 1; }
echo "code: $code" >&2

step "3. Register"
CODE="$code" "$here/register.sh"

step "4. Log in"
pair_file=$(mktemp)
trap 'rm -f "$pair_file"' EXIT
token=$(PAIR_FILE="$pair_file" "$here/login.sh")

step "5. Read the profile with the token"
TOKEN="$token" "$here/nick.sh"

step "6. Refresh the session (the refresh token is single-use)"
token=$("$here/refresh.sh" "$(jq -r .refresh_token "$pair_file")" | jq -r .access_token)

step "7. List the sessions with the new token"
TOKEN="$token" "$here/sessions.sh" >/dev/null

step "Done: $USERNAME can sign in with the password \"$PASSWORD\""
