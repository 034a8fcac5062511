# Sourced by scripts/notebooks.sh and scripts/browser_test.sh: registers the GoNB kernel
# (installed by `make tools`) with Jupyter and gives it the environment every notebook needs:
# GOTOOLCHAIN=go1.27.3, GOEXPERIMENT=simd for the SIMD kernels, and GOMLX_BACKEND if the caller
# chose one (else vaekit's default: ONNX Runtime for convolutional models, pure Go for MLPs).
# GONB_VERBOSITY (default 0) is GoNB's -v: the browser test sets 2, which logs every widget
# message between the cell's program, the kernel and the browser.
# GOFLAGS gets -ldflags=-w (no DWARF debugging tables in a cell's program) unless the caller's
# GOFLAGS sets -ldflags itself: GoNB builds every cell as a whole program, and linking it is
# most of a cell's wait; without the tables the link takes half as long (3.0 -> 1.6 s for a
# stand-alone program with the notebooks' imports, docs/bench.md). Stack traces keep their files and lines (those are
# in the program's line table, not in DWARF); only a debugger attached to a cell's program
# would miss them.
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOEXPERIMENT=${GOEXPERIMENT:-simd}
export PATH="$PATH:$(go env GOPATH)/bin"
gonb --install >/dev/null 2>&1
goflags=${GOFLAGS:-}
case " $goflags" in *" -ldflags"*) ;; *) goflags="${goflags:+$goflags }-ldflags=-w" ;; esac
/usr/bin/python3 - "${GOMLX_BACKEND:-}" "${GONB_VERBOSITY:-0}" "$goflags" <<'PY'
import json, os, re, sys
path = os.path.expanduser("~/.local/share/jupyter/kernels/gonb/kernel.json")
spec = json.load(open(path))
spec["env"] = {**spec.get("env", {}), "GOEXPERIMENT": "simd", "GOTOOLCHAIN": os.environ["GOTOOLCHAIN"], "GOMLX_BACKEND": sys.argv[1], "GOFLAGS": sys.argv[3]}
spec["argv"] = [re.sub(r"^-v=\d+$", "-v=" + sys.argv[2], a) for a in spec["argv"]]
json.dump(spec, open(path, "w"), indent=1)
PY
