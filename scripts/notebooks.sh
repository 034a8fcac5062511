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
# Quick mode runs JOBS notebooks at a time (default 2: a quick notebook is mostly GoNB building
# its cells, about one core's work), a notebook that reads another's runs (its text names
# runs/<other notebook>) only after that one has finished, and the second run of $AGAIN after
# its first. The time printed for each is its own wall time beside the others; JOBS=1 runs them
# one after another, as the times in notebooks/README.md were measured. Full mode always runs
# them one after another: alone, ONNX Runtime keeps both threads (its numbers depend on them).
set -euo pipefail
mode=${1:-quick}
# Checked before anything runs.
case $mode in quick|full) ;; *) echo "notebooks.sh: mode $mode: expected quick or full" >&2; exit 2 ;; esac
jobs=$([ "$mode" = full ] && echo 1 || echo "${JOBS:-2}")
case $jobs in ''|*[!0-9]*|0) echo "notebooks.sh: JOBS=$jobs: expected a whole number of notebooks at a time, 1 or more" >&2; exit 2 ;; esac
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
# judge NOTEBOOK EXECUTED START: the line for one run (ok or FAIL) and its status.
judge() {
  local nb=$1 executed=$2 start=$3 name check
  name=$(basename "$nb")
  if [ "$mode" = full ]; then /usr/bin/python3 scripts/check_notebook.py --tidy "$nb"; fi
  if check=$(/usr/bin/python3 scripts/check_notebook.py "$executed" $(( $(date +%s) - start )) "$mode" "$nb"); then
    echo "ok   $name ($check)"
  else
    echo "FAIL $check"; return 1
  fi
}

# run_one NOTEBOOK: executes and checks one notebook.
run_one() {
  local nb=$1 name executed start
  name=$(basename "$nb")
  executed=$([ "$mode" = full ] && echo "$nb" || echo "$out/$name")
  start=$(date +%s)
  if execute "$nb" "$executed" "$out/$name.log"; then
    judge "$nb" "$executed" "$start"
  else
    echo "FAIL $name: see $out/$name.log"; tail -20 "$out/$name.log"; return 1
  fi
}

# run_again: a second run of $again over the runs the first left shows the same page.
run_again() {
  local first=$out/$again.ipynb second=$out/$again.again.ipynb start check
  [ -f "$first" ] || return 0 # the first run failed, and said so
  start=$(date +%s)
  if execute "notebooks/$again.ipynb" "$second" "$second.log"; then
    if ! grep -q 'already trained' "$second"; then
      echo "FAIL $again.ipynb, second run: no run was read back (no 'already trained' in its outputs)"; return 1
    elif check=$(/usr/bin/python3 scripts/check_notebook.py --same "$first" "$second"); then
      echo "ok   $again.ipynb run again over its runs ($check, $(( $(date +%s) - start )) s)"
    else
      echo "FAIL $check"; return 1
    fi
  else
    echo "FAIL $again.ipynb, second run: see $second.log"; tail -20 "$second.log"; return 1
  fi
}

selected=(notebooks/${NOTEBOOKS:-*}.ipynb)
# The queue: every selected notebook, then "again" (the second run of $again) where it applies.
queue=("${selected[@]}")
if [ "$mode" != full ] && [ -n "$again" ] && [[ " ${selected[*]} " == *" notebooks/$again.ipynb "* ]]; then
  queue+=(again)
fi
# after ITEM: the notebooks it must wait for: those of the selection whose runs it names, or $again.
after() {
  local item=$1 own other
  if [ "$item" = again ]; then echo "notebooks/$again.ipynb"; return; fi
  own=$(basename "$item" .ipynb)
  for other in $(grep -o 'runs/[0-9][0-9]-[a-z0-9-]*' "$item" | sort -u); do
    other=notebooks/${other#runs/}.ipynb
    if [ "$other" != "notebooks/$own.ipynb" ] && [[ " ${selected[*]} " == *" $other "* ]]; then echo "$other"; fi
  done
}
state=$(mktemp -d)
finished() { [ -f "$state/$(basename "$1").rc" ]; }
report() { # prints a finished item's lines once, and adds its status
  local key=$1
  cat "$state/$key.out"
  [ "$(cat "$state/$key.rc")" = 0 ] || status=1
}
declare -A reported=()
running=0
while ((${#queue[@]})) || ((running)); do
  # Start what may start, in queue order.
  rest=()
  for item in "${queue[@]}"; do
    ready=1
    for dep in $(after "$item"); do finished "$dep" || ready=0; done
    if ((ready && running < jobs)); then
      key=$(basename "$item")
      if [ "$item" = again ]; then run=(run_again); else run=(run_one "$item"); fi
      (rc=0; "${run[@]}" >"$state/$key.out" 2>&1 || rc=$?; echo $rc >"$state/$key.rc.tmp"; mv "$state/$key.rc.tmp" "$state/$key.rc") &
      running=$((running + 1))
    else
      rest+=("$item")
    fi
  done
  queue=("${rest[@]}")
  # Wait for one to finish, and report it.
  while :; do
    done_one=
    for rc in "$state"/*.rc; do
      [ -e "$rc" ] || continue
      key=$(basename "$rc" .rc)
      if [ -z "${reported[$key]:-}" ]; then reported[$key]=1; report "$key"; running=$((running - 1)); done_one=1; fi
    done
    [ -n "$done_one" ] || ((running == 0)) && break
    sleep 1
  done
done
wait
rm -rf "$state"
exit $status
