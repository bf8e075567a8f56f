#!/usr/bin/env bash
# The whole test suite: installs what it needs (Debian packages, .venv), then lint, contracts, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "== ruff"
.venv/bin/ruff check src tests bench
echo "== import contracts"
.venv/bin/lint-imports
echo "== pytest"
exec .venv/bin/pytest -q -p no:cacheprovider "$@"
