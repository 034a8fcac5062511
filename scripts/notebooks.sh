#!/usr/bin/env bash
# Executes every notebook under notebooks/ headlessly through Jupyter with the GoNB kernel, the
# way a user's Jupyter runs it (scripts/check_notebook.py judges each run):
#   scripts/notebooks.sh quick   # VAEKIT_QUICK=1: small subsets, few steps; executed copies go to
#                                # $OUT. Each cell must show at least the images the committed
#                                # notebook's cell shows. The quick runs of an earlier call are
#                                # deleted first, so every call trains from scratch; then one
#                                # notebook (AGAIN, default 02-vae; AGAIN= skips) runs a second
#                                # time, reading back what the first trained, and must show the
#                                # same images byte for byte.
#   scripts/notebooks.sh full    # full runs; the notebooks are rewritten in place with their outputs
# Any failure makes this script exit non-zero. NOTEBOOKS=03-* selects notebooks.
set -euo pipefail
mode=${1:-quick}
cd "$(dirname "$0")/.."
source scripts/kernel.sh
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
again=${AGAIN-02-vae}

# execute NOTEBOOK EXECUTED LOG: runs it in $mode.
execute() {
  local args
  if [ "$mode" = full ]; then args=(--inplace); else args=(--output "$2"); fi
  # VAEKIT_HEADLESS: no browser, so the widget explorers show their first view only.
  VAEKIT_HEADLESS=1 VAEKIT_QUICK=$([ "$mode" = full ] && echo 0 || echo 1) \
    jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=3600 \
    --ExecutePreprocessor.kernel_name=gonb "${args[@]}" "$1" >"$3" 2>&1
}

if [ "$mode" != full ]; then
  rm -rf notebooks/runs/*/quick
fi
status=0
# The %env lines 00-start-here shows work when pasted as shown: run in a notebook of their own
# with the variables unset, they must set them (scripts/env_lines.py).
if [ "$mode" != full ]; then
  /usr/bin/python3 scripts/env_lines.py make notebooks/00-start-here.ipynb "$out/env-lines.ipynb"
  if env -u VAEKIT_QUICK -u GOMLX_BACKEND jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=gonb \
      --output "$out/env-lines.out.ipynb" "$out/env-lines.ipynb" >"$out/env-lines.log" 2>&1 &&
    check=$(/usr/bin/python3 scripts/env_lines.py check notebooks/00-start-here.ipynb "$out/env-lines.out.ipynb" 2>&1); then
    echo "ok   $check"
  else
    echo "FAIL the %env lines of 00-start-here: ${check:-see $out/env-lines.log}"; tail -5 "$out/env-lines.log"; status=1
  fi
fi
for nb in notebooks/${NOTEBOOKS:-*}.ipynb; do
  name=$(basename "$nb")
  executed=$([ "$mode" = full ] && echo "$nb" || echo "$out/$name")
  start=$(date +%s)
  if execute "$nb" "$executed" "$out/$name.log"; then
    if [ "$mode" = full ]; then /usr/bin/python3 scripts/check_notebook.py --tidy "$nb"; fi
    if check=$(/usr/bin/python3 scripts/check_notebook.py "$executed" $(( $(date +%s) - start )) "$mode" "$nb"); then
      echo "ok   $name ($check)"
    else
      echo "FAIL $check"; status=1
    fi
  else
    echo "FAIL $name: see $out/$name.log"; tail -20 "$out/$name.log"; status=1
  fi
done

# A second run of a notebook over the runs the first left shows the same page.
first=$out/$again.ipynb
if [ "$mode" != full ] && [ -n "$again" ] && [ -f "$first" ]; then
  second=$out/$again.again.ipynb
  start=$(date +%s)
  if execute "notebooks/$again.ipynb" "$second" "$second.log"; then
    if ! grep -q 'already trained' "$second"; then
      echo "FAIL $again.ipynb, second run: no run was read back (no 'already trained' in its outputs)"; status=1
    elif check=$(/usr/bin/python3 scripts/check_notebook.py --same "$first" "$second"); then
      echo "ok   $again.ipynb run again over its runs ($check, $(( $(date +%s) - start )) s)"
    else
      echo "FAIL $check"; status=1
    fi
  else
    echo "FAIL $again.ipynb, second run: see $second.log"; tail -20 "$second.log"; status=1
  fi
fi
exit $status
