#!/usr/bin/env bash
# PostgreSQL for the issuer's integration tests (tests/pg.py): Debian's server package, whose
# initdb and pg_ctl live in /usr/lib/postgresql/<version>/bin. The tests start their own
# throwaway server in a temporary folder; nothing here starts or configures a cluster, and the
# package's own service is left as Debian sets it up.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
apt_install postgresql
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
