#!/usr/bin/env bash
# A C compiler and Python's headers, for tools/build_native.py: mypyc compiles the verification
# hot path (issue 9's in-process target is met only compiled). Without them ecert still works,
# pure Python and slower, so `make run` does not need this script; `make test` does, so that CI
# tests the compiled modules a deployment runs.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
command -v cc >/dev/null || apt_install gcc libc6-dev
python=".venv/bin/python"
[ -x "$python" ] || python="python3"
include=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
# Debian's own python3 keeps its headers in python3-dev; other builds (pyenv, python.org) ship them.
[ -e "$include/Python.h" ] || apt_install python3-dev
cc --version >/dev/null
