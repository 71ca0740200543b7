#!/usr/bin/env bash
# Headless Chromium from Debian's packages, for the verifier's browser test
# (tests/browser/test_clerk_page.py). The test drives it with Playwright for Python (a pip test
# extra), launched at /usr/bin/chromium: Playwright's own browser download is never used.
# fonts-wqy-microhei gives the screenshots Chinese glyphs (5 MB, against 90 MB for Noto CJK).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.bash
source "$here/lib.bash"

apt_install chromium fonts-wqy-microhei
/usr/bin/chromium --version >/dev/null
