#!/usr/bin/env bash
# Fuzzes the request-body parsing and the domain parsers (fuzz/, cargo-fuzz + libFuzzer) for a
# bounded time per target: FUZZ_SECS (default 30). Exits non-zero on a crash; the crashing input
# is left in fuzz/artifacts/<target>/ (replay: `cargo fuzz run <target> <file>` in fuzz/).
#
# cargo-fuzz needs nightly-only compiler flags; the stable toolchain accepts them with
# RUSTC_BOOTSTRAP=1. No sanitizer (`-s none`): the code under test is safe Rust, so the
# findings are panics, and the build stays stable-compatible and fast.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ_SECS="${FUZZ_SECS:-30}"
CARGO_FUZZ_VERSION="0.13.2"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

export RUSTC_BOOTSTRAP=1
cd "$ROOT/fuzz"
FLAGS=(-s none -O -a)
log "building fuzz targets"
cargo fuzz build "${FLAGS[@]}"

summary=()
for target in $(cargo fuzz list); do
  mkdir -p "corpus/$target"
  log "fuzzing $target for ${FUZZ_SECS}s"
  out="$(mktemp)"
  status=0
  cargo fuzz run "${FLAGS[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$FUZZ_SECS" -rss_limit_mb=2048 -max_len=20000 -print_final_stats=1 \
    >"$out" 2>&1 || status=$?
  runs="$(grep -Eo 'Done [0-9]+ runs' "$out" | grep -Eo '[0-9]+' | tail -1 || true)"
  cov="$(grep -Eo 'cov: [0-9]+' "$out" | tail -1 || true)"
  if [ "$status" -ne 0 ]; then
    tail -50 "$out" >&2
    rm -f "$out"
    echo "fuzz: $target FAILED (exit $status); see fuzz/artifacts/$target/" >&2
    exit 1
  fi
  rm -f "$out"
  summary+=("$target: ${runs:-?} runs in ${FUZZ_SECS}s, ${cov:-cov: ?}, no crash")
done
printf 'fuzz: %s\n' "${summary[@]}"
