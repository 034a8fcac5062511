#!/usr/bin/env bash
# The browser test: every notebook's equations rendered by MathJax (scripts/browser_test.mjs
# "render"), and notebooks 03 (sliders over the latent plane) and 04 (a class selector) run
# in quick mode in Jupyter Notebook, driven in headless Chromium by scripts/browser_test.mjs,
# which moves the explorer's control, checks that its image changes, presses Done and checks
# that the notebook ends without an error. In 04 the widgets' first connection to the kernel is
# dropped on purpose: the explorer must connect on its next try. Each runs from a copy (notebooks/browser-test-*.ipynb,
# deleted after), so that Jupyter's autosave never touches the committed notebook.
#   PLAYWRIGHT=DIR   the folder where playwright-core is installed (node_modules inside)
#   NOTEBOOKS=GLOB   only the notebooks whose names match (default: all), e.g. '0[34]-*'
#   ROUNDS=N         the whole test N times in a row, stopping at the first failure (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
GONB_VERBOSITY=${GONB_VERBOSITY:-2} # the kernel logs every widget message: a failure shows where it stood
source scripts/kernel.sh
: "${PLAYWRIGHT:?set PLAYWRIGHT to the folder holding node_modules/playwright-core (make browser-test does)}"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
log=$(mktemp)
copies=()
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  rm -f "${copies[@]}" "$log.test"
}
trap cleanup EXIT
# The kernel inherits the server's environment: quick mode, and the widgets live (no
# VAEKIT_HEADLESS).
root=()
[ "$(id -u)" = 0 ] && root=(--allow-root) # CI machines run as root
VAEKIT_QUICK=1 jupyter notebook --no-browser --ip=127.0.0.1 --port="$port" --NotebookApp.token="$token" \
  --NotebookApp.open_browser=False --notebook-dir="$PWD" "${root[@]}" >"$log" 2>&1 &
server=$!
for i in $(seq 61); do
  /usr/bin/python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/api?token=$token', timeout=2)" 2>/dev/null && break
  if [ "$i" = 61 ] || ! kill -0 "$server" 2>/dev/null; then
    echo "browser test: Jupyter did not start:"; cat "$log"; exit 1
  fi
  sleep 1
done
status=0
# 03 and 04 run with their explorers; the other notebooks are opened only to check that their
# equations render.
cases=()
for nb in notebooks/${NOTEBOOKS:-0*}.ipynb; do
  [ -f "$nb" ] || continue
  name=$(basename "$nb" .ipynb)
  case $name in
    03-latent-manifolds) cases+=("$name slider") ;;
    04-conditional-vae) cases+=("$name select drop-first-connection") ;;
    browser-test-*) ;;
    *) cases+=("$name render") ;;
  esac
done
[ ${#cases[@]} -gt 0 ] || { echo "browser test: no notebook matches NOTEBOOKS=$NOTEBOOKS"; exit 1; }
rounds=${ROUNDS:-1}
for round in $(seq "$rounds"); do
[ "$rounds" = 1 ] || echo "browser test: round $round of $rounds"
for case in "${cases[@]}"; do
  read -r name control fault <<<"$case"
  copy=notebooks/browser-test-$name.ipynb
  cp "notebooks/$name.ipynb" "$copy"
  copies+=("$copy")
  echo "browser test: $name ($control${fault:+, $fault})"
  # The kernel's log of this notebook starts here; on failure it is shown first and the test's
  # own lines (the failure, every cell's state) last, where CI's tail of the output shows them.
  from=$(($(wc -l <"$log") + 1))
  if ! PLAYWRIGHT="$PLAYWRIGHT" node scripts/browser_test.mjs \
      "http://127.0.0.1:$port/notebooks/$copy?token=$token" "$control" $fault >"$log.test" 2>&1; then
    status=1
    echo "browser test: $name failed; the last 120 lines of the Jupyter and GoNB log since it began:"
    tail -n +"$from" "$log" | sed 's/\x1b\[[0-9;]*m//g' | grep -v 'jpyexec: encoding' | tail -120
    echo "browser test: $name failed:"
  fi
  cat "$log.test"
done
[ $status = 0 ] || break
done
exit $status
