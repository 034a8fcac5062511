# Sourced by scripts/notebooks.sh and scripts/browser_test.sh: registers the GoNB kernel
# (installed by `make tools`) with Jupyter and gives it the environment every notebook needs:
# GOTOOLCHAIN=go1.27.3, GOEXPERIMENT=simd for the SIMD kernels, and GOMLX_BACKEND if the caller
# chose one (else vaekit's default: ONNX Runtime for convolutional models, pure Go for MLPs).
# GONB_VERBOSITY (default 0) is GoNB's -v: the browser test sets 2, which logs every widget
# message between the cell's program, the kernel and the browser.
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOEXPERIMENT=${GOEXPERIMENT:-simd}
export PATH="$PATH:$(go env GOPATH)/bin"
gonb --install >/dev/null 2>&1
/usr/bin/python3 - "${GOMLX_BACKEND:-}" "${GONB_VERBOSITY:-0}" <<'PY'
import json, os, re, sys
path = os.path.expanduser("~/.local/share/jupyter/kernels/gonb/kernel.json")
spec = json.load(open(path))
spec["env"] = {**spec.get("env", {}), "GOEXPERIMENT": "simd", "GOTOOLCHAIN": os.environ["GOTOOLCHAIN"], "GOMLX_BACKEND": sys.argv[1]}
spec["argv"] = [re.sub(r"^-v=\d+$", "-v=" + sys.argv[2], a) for a in spec["argv"]]
json.dump(spec, open(path, "w"), indent=1)
PY
