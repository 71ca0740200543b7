#!/usr/bin/env bash
# anvil (a local EVM chain for the EVM registry backend's tests), solc-js (which compiles
# registry/evm/contracts) and Digital Bazaar's Data Integrity stack (jsonld.js, rdf-canonize,
# @digitalbazaar/vc and the EdDSA cryptosuites: the peer of tests/interop, tools/node/interop.mjs)
# and the OpenWallet Foundation's @openid4vc libraries with dcql (the wallet of
# tests/interop/test_oid4vc_wallet.py, tools/node/oid4vc-wallet.mjs), all pinned in
# tools/node/package-lock.json. npm ci with
# --ignore-scripts: anvil's binary ships inside its platform package (@foundry-rs/anvil-linux-*),
# so the wrapper's postinstall download is never needed; tests run that binary directly.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
node_dir="$here/tools/node"
stamp="$node_dir/node_modules/.ecert-lock.sha256"

if ! command -v npm >/dev/null 2>&1; then
    source "$here/tools/setup/lib.bash"
    apt_install nodejs npm
fi
want="$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
    && ls "$node_dir"/node_modules/@foundry-rs/anvil-*/bin/anvil >/dev/null 2>&1 \
    && [ -d "$node_dir/node_modules/@digitalbazaar/vc" ] \
    && [ -d "$node_dir/node_modules/@openid4vc/openid4vp" ]; then
    exit 0
fi
npm ci --prefix "$node_dir" --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error
ls "$node_dir"/node_modules/@foundry-rs/anvil-*/bin/anvil >/dev/null
node "$node_dir/interop.mjs" </dev/null
echo "$want" > "$stamp"
