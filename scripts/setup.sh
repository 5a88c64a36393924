#!/usr/bin/env bash
# Installs what the test suite needs beyond the .NET SDK, idempotently (skips what is already there). Nothing here is
# needed at run time: PDF text (PdfPig) and the jieba dictionary (embedded) are inside the packages.
#   chromium, fonts-wqy-microhei : the server's browser tests (Playwright drives Debian's chromium; CJK font)
#   postgresql     : Debian's PostgreSQL server; the PostgreSQL store's concurrency tests start a throwaway cluster of it
#                    (initdb in a temp folder, 127.0.0.1), a stock server without pgvector
#   tools/pglite (npm)  : PGlite + pgvector, a real PostgreSQL 18 (one backend) for the store's pgvector tests
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -d tools/pglite/node_modules/@electric-sql/pglite-socket ]; then
  command -v npm >/dev/null 2>&1 || { echo "setup: npm is required (Node.js 20+) for the PostgreSQL store tests" >&2; exit 1; }
  npm ci --prefix tools/pglite --no-audit --no-fund >/dev/null
fi
