#!/usr/bin/env bash
# Executes every notebook under notebooks/ headlessly through Jupyter with the GoNB kernel, the
# way a user's Jupyter runs it. A notebook fails when a cell errors, when it shows fewer images
# than its metadata asks for, or when it takes longer than its quick-mode budget
# (scripts/check_notebook.py); any failure makes this script exit non-zero.
#   scripts/notebooks.sh quick   # VAEKIT_QUICK=1: small subsets, few steps; executed copies go to $OUT
#   scripts/notebooks.sh full    # full runs; the notebooks are rewritten in place with their outputs
set -euo pipefail
mode=${1:-quick}
cd "$(dirname "$0")/.."
source scripts/kernel.sh
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"

status=0
for nb in notebooks/${NOTEBOOKS:-*}.ipynb; do
  name=$(basename "$nb")
  start=$(date +%s)
  if [ "$mode" = full ]; then
    args=(--inplace)
    executed=$nb
  else
    args=(--output "$out/$name")
    executed=$out/$name
  fi
  # VAEKIT_HEADLESS: no browser, so the widget explorers show their first view only.
  if VAEKIT_HEADLESS=1 VAEKIT_QUICK=$([ "$mode" = full ] && echo 0 || echo 1) \
      jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=3600 \
      --ExecutePreprocessor.kernel_name=gonb "${args[@]}" "$nb" >"$out/$name.log" 2>&1; then
    if check=$(/usr/bin/python3 scripts/check_notebook.py "$executed" $(( $(date +%s) - start )) "$mode"); then
      echo "ok   $name ($check)"
    else
      echo "FAIL $check"; status=1
    fi
  else
    echo "FAIL $name: see $out/$name.log"; tail -20 "$out/$name.log"; status=1
  fi
done
exit $status
