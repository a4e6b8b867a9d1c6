#!/usr/bin/env bash
# Builds the single-page app into frontend/dist with Trunk, when it is missing or older than
# its sources (frontend/ and the shared DTO crate).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT/frontend"
stamp=dist/index.html
if [ -f "$stamp" ] && [ -z "$(find . ../shared ../Cargo.lock -type f -newer "$stamp" \
      -not -path './dist/*' -not -path './node_modules/*' -not -path '*/target/*' -print -quit)" ]; then
  log "frontend   up to date (frontend/dist)"
  exit 0
fi
log "building the frontend (trunk build --release)"
export PATH="$ROOT/frontend/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
trunk build --release
# Precompressed siblings of the assets (brotli at its best, gzip -9), which the backend sends
# by Accept-Encoding (backend/src/routes/spa.rs). node's zlib has both.
node -e '
const fs = require("fs"), path = require("path"), zlib = require("zlib");
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
for (const file of walk("dist").filter((f) => /\.(wasm|js|css)$/.test(f))) {
  const raw = fs.readFileSync(file);
  const br = zlib.brotliCompressSync(raw, { params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  fs.writeFileSync(file + ".br", br);
  fs.writeFileSync(file + ".gz", zlib.gzipSync(raw, { level: 9 }));
  console.log(`${file}: ${raw.length} bytes, brotli ${br.length}, gzip ${fs.statSync(file + ".gz").size}`);
}'
