#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, types, tests (slow ones included).
source "$(dirname "$0")/bootstrap.sh"
source "$(dirname "$0")/services.sh"
ruff check .
mypy
exec python -m pytest -n 2 "$@"
