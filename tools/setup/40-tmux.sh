#!/usr/bin/env bash
# tmux for the wallet's terminal session test (tests/integration/test_wallet_terminal.py): a real
# pty in which the test types the passphrase and the tx_code at hidden prompts and reads the
# screen back (capture-pane). The test starts its own server on a private socket.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
command -v tmux >/dev/null || apt_install tmux
tmux -V >/dev/null
