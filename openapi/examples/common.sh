# Shared by the example scripts (sourced, not run). Needs bash, curl and jq.
#   BASE_URL  the API (default http://127.0.0.1:8080)
#   VERBOSE=1 also print the response headers

BASE_URL="${BASE_URL:-http://127.0.0.1:8080}"
BASE_URL="${BASE_URL%/}"

for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "$tool is required (apt-get install $tool)" >&2; exit 127; }
done

# api METHOD PATH [JSON_BODY] [CURL_ARGS...]: calls the API, prints `HTTP <status>` and the
# pretty-printed body on stderr, the raw body on stdout; fails unless the status is 2xx.
api() {
  local method=$1 path=$2 body=${3:-} headers status out
  shift $(( $# < 3 ? $# : 3 ))
  headers=$(mktemp) out=$(mktemp)
  local args=(-sS -X "$method" -o "$out" -D "$headers" -w '%{http_code}' "$@")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  status=$(curl "${args[@]}" "$BASE_URL$path") || { rm -f "$headers" "$out"; return 1; }
  {
    printf '%s %s -> HTTP %s\n' "$method" "$path" "$status"
    [ "${VERBOSE:-0}" = 1 ] && tail -n +2 "$headers" | tr -d '\r' | sed '/^$/d; s/^/  /'
    jq . "$out" 2>/dev/null || cat "$out"
  } >&2
  cat "$out"
  rm -f "$headers" "$out"
  [[ $status == 2* ]]
}
