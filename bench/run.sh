#!/usr/bin/env bash
# bench/run.sh OUTDIR: the measurements of `make bench`. Every case runs in a process of its own,
# so that the peak resident memory it reports is that model's: vaekit's BenchmarkTrainStep and
# BenchmarkTrainStepScaling on the pure-Go backend and, where ONNX Runtime's library is
# installed (`make onnxruntime`), on ONNX Runtime; then the PyTorch twins (bench/pytorch_bench.py)
# with threads equal to the cores and OMP_WAIT_POLICY=PASSIVE. Writes OUTDIR/<backend>.txt
# (go test -bench lines) and OUTDIR/torch.jsonl.
set -euo pipefail
out=${1:?usage: bench/run.sh OUTDIR}
steps=${BENCH_STEPS:-30} # 10 left the ratios 10-20% apart between two runs
cd "$(dirname "$0")/.."
mkdir -p "$out"
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

for backend in "${backends[@]}"; do
  : > "$out/$backend.txt"
  for c in "${cases[@]}"; do
    GOMLX_BACKEND=$backend "$out/vaekit.test" -test.run '^$' -test.bench "^BenchmarkTrainStep\$/^$c\$" \
      -test.benchtime "${steps}x" | grep '^Benchmark' | tee -a "$out/$backend.txt"
  done
  GOMLX_BACKEND=$backend "$out/vae.test" -test.run '^$' -test.bench '^BenchmarkImportanceWeightedNLL$' \
    -test.benchtime 1x | grep '^Benchmark' | tee -a "$out/$backend.txt"
  for c in "${scaling[@]}"; do
    for b in "${batches[@]}"; do
      GOMLX_BACKEND=$backend "$out/vaekit.test" -test.run '^$' -test.bench "^BenchmarkTrainStepScaling\$/^$c\$/^batch=$b\$" \
        -test.benchtime "${steps}x" | grep '^Benchmark' | tee -a "$out/$backend.txt"
    done
  done
done

: > "$out/torch.jsonl"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  # pixelcnn-prior-all-taps: PyTorch's usual masked layers, every tap computed (docs/bench.md says why).
  for c in "${cases[@]}" pixelcnn-prior-all-taps; do
    OMP_WAIT_POLICY=PASSIVE BENCH_THREADS=$(nproc) /usr/bin/python3 bench/pytorch_bench.py "$steps" "$c" | tee -a "$out/torch.jsonl"
  done
  for c in "${scaling[@]}"; do
    for b in "${batches[@]}"; do
      OMP_WAIT_POLICY=PASSIVE BENCH_THREADS=$(nproc) BENCH_BATCH=$b /usr/bin/python3 bench/pytorch_bench.py "$steps" "$c" | tee -a "$out/torch.jsonl"
    done
  done
fi
