#!/usr/bin/env bash
# Set up corral on a fresh Debian machine: system packages, then .venv/ with corral in it.
# Idempotent: a second run only checks. Usage: bash scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(pacemaker-cli-utils etcd-server resource-agents fence-agents openipmi iproute2 ipmitool)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PY"
  "$PY" -m venv .venv
fi
extra=""
[ "${1:-}" = "--test" ] && extra="[test]"
stamp=".venv/.installed$extra"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing corral$extra into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -e ".$extra"
  touch "$stamp"
fi
