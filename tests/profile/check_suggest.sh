#!/usr/bin/env bash
# tests/profile/check_suggest.sh ASSAY SHARED WORKDIR — rules suggested by
# `assay profile --suggest` hold on their own data and catch the faults of
# other data (see check_suggest.py). Exit 77 when the generator or the
# profile command is missing.
set -euo pipefail
exec python3 "$(dirname "$0")/check_suggest.py" "$@"
