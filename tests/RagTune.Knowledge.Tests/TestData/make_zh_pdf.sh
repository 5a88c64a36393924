#!/usr/bin/env bash
# Writes zh-two-pages.pdf from zh-two-pages.html: a real-world PDF (Chromium's printer, embedded subset CID font with a
# ToUnicode map, two pages, a table) for the PDF loader tests. Needs chromium and fonts-wqy-microhei; run from this folder.
set -euo pipefail
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --print-to-pdf=zh-two-pages.pdf zh-two-pages.html
