# Shared helpers for the scripts in tools/setup/. Each script installs one system part the tests
# need (a browser, a database server, a chain node) and must be idempotent: it returns at once
# when the part is already there, so `make test` stays fast on a machine that has everything.
# Sourced, not run.

# apt_install PKG... installs Debian packages, running `apt-get update` at most once per make run.
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    local marker="${TMPDIR:-/tmp}/ecert-apt-updated.$PPID"
    if [ ! -e "$marker" ]; then
        $sudo apt-get update -qq
        touch "$marker"
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}
