#!/usr/bin/env bash
# Fails when the shared library exports a symbol that is not assay_*.
set -euo pipefail
lib=$1
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBR]/ {print $3}' | grep -v '^assay_' || true)
count=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBR]/ {print $3}' | grep -c '^assay_' || true)
if [ -n "$bad" ]; then
  echo "exported symbols outside the assay_ prefix:"; echo "$bad"; echo "0 passed, 1 failed"; exit 1
fi
if [ "$count" -lt 5 ]; then echo "too few assay_ symbols ($count)"; echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
