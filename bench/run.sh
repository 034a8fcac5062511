#!/usr/bin/env bash
# bench/run.sh OUTDIR: the measurements of `make bench`. Every case runs in a process of its own,
# so that the peak resident memory it reports is that model's: vaekit's BenchmarkTrainStep and
# BenchmarkTrainStepScaling on the pure-Go backend and, where ONNX Runtime's library is
# installed (`make onnxruntime`), on ONNX Runtime; then the PyTorch twins (bench/pytorch_bench.py)
# with threads equal to the cores and OMP_WAIT_POLICY=PASSIVE. The training steps are measured
# in BENCH_ROUNDS rounds (default 3), each round every case on each backend and then in PyTorch,
# so that vaekit and PyTorch alternate and a slow minute of the machine shows in both; benchtable
# takes the median and shows the range. The NLL and the batch-size scaling run once. Writes
# OUTDIR/<backend>.txt (go test -bench lines), OUTDIR/torch.jsonl and OUTDIR/commit (the commit
# measured, "-dirty" when tracked files differ from it).
set -euo pipefail
out=${1:?usage: bench/run.sh OUTDIR}
steps=${BENCH_STEPS:-30} # 10 left the ratios 10-20% apart between two runs
rounds=${BENCH_ROUNDS:-3}
cd "$(dirname "$0")/.."
mkdir -p "$out"
commit=$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  commit+=-dirty
fi
echo "$commit" > "$out/commit"
export GOEXPERIMENT=${GOEXPERIMENT:-simd} GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
go test -c -o "$out/vaekit.test" ./vaekit/
go test -c -o "$out/vae.test" ./vaekit/vae/

cases=(conv-vae mlp-vae mlp-ae conv-dae conv-cvae mlp-cvae-prior vqvae pixelcnn-prior classifier mlp-tcvae conv-gan dcgan)
scaling=(mlp-vae conv-vae)
batches=(32 64 128 256 512)

backends=(go)
ort=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$HOME/.local/lib/onnxruntime/libonnxruntime.so}
if [ -f "$ort" ]; then
  backends+=(onnx)
else
  echo "bench: no ONNX Runtime library at $ort (make onnxruntime): the pure-Go backend only" >&2
fi

torch=
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  torch=yes
fi
: > "$out/torch.jsonl"
for backend in "${backends[@]}"; do
  : > "$out/$backend.txt"
done
pytorch() { # CASE [BATCH]: one PyTorch measurement, appended to torch.jsonl
  env OMP_WAIT_POLICY=PASSIVE BENCH_THREADS="$(nproc)" ${2:+BENCH_BATCH=$2} /usr/bin/python3 bench/pytorch_bench.py "$steps" "$1" | tee -a "$out/torch.jsonl"
}
for round in $(seq "$rounds"); do
  echo "bench: round $round of $rounds" >&2
  for c in "${cases[@]}"; do
    for backend in "${backends[@]}"; do
      GOMLX_BACKEND=$backend "$out/vaekit.test" -test.run '^$' -test.bench "^BenchmarkTrainStep\$/^$c\$" \
        -test.benchtime "${steps}x" | grep '^Benchmark' | tee -a "$out/$backend.txt"
    done
    if [ -n "$torch" ]; then
      pytorch "$c"
      # pixelcnn-prior-all-taps: PyTorch's usual masked layers, every tap computed (docs/bench.md says why).
      if [ "$c" = pixelcnn-prior ]; then pytorch pixelcnn-prior-all-taps; fi
    fi
  done
done

for backend in "${backends[@]}"; do
  GOMLX_BACKEND=$backend "$out/vae.test" -test.run '^$' -test.bench '^BenchmarkImportanceWeightedNLL$' \
    -test.benchtime 1x | grep '^Benchmark' | tee -a "$out/$backend.txt"
done
for c in "${scaling[@]}"; do
  for b in "${batches[@]}"; do
    for backend in "${backends[@]}"; do
      GOMLX_BACKEND=$backend "$out/vaekit.test" -test.run '^$' -test.bench "^BenchmarkTrainStepScaling\$/^$c\$/^batch=$b\$" \
        -test.benchtime "${steps}x" | grep '^Benchmark' | tee -a "$out/$backend.txt"
    done
    if [ -n "$torch" ]; then pytorch "$c" "$b"; fi
  done
done
