"""The layers of vaekit's BenchmarkConvLayers in PyTorch: forward plus gradient (in the input and
the kernel) of sum(y^2) for each convolution of the seed conv VAE (batch 64) and of the
classifier (batch 128), with threads equal to the cores as bench/pytorch_bench.py (BENCH_THREADS
overrides). Prints one line per layer, ms per call, so that a training step's gap to PyTorch can
be traced to a layer.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch_layers.py [CALLS]
"""
import os
import sys
import time

import torch
from torch import nn

LAYERS = [  # name, batch, side, in, out, stride, transposed (as in vaekit/convbench_test.go)
    ("conv 28x28x1->32 s2", 64, 28, 1, 32, 2, False),
    ("conv 14x14x32->64 s2", 64, 14, 32, 64, 2, False),
    ("deconv 7x7x64->64 s2", 64, 7, 64, 64, 2, True),
    ("deconv 14x14x64->32 s2", 64, 14, 64, 32, 2, True),
    ("conv 28x28x32->1 s1", 64, 28, 32, 1, 1, False),
    ("classifier conv 28x28x1->32 s2", 128, 28, 1, 32, 2, False),
    ("classifier conv 14x14x32->64 s2", 128, 14, 32, 64, 2, False),
]


def layer_ms(batch, side, cin, cout, stride, transposed, calls):
    if transposed:
        layer = nn.ConvTranspose2d(cin, cout, 3, stride, 1, output_padding=stride - 1, bias=False)
    else:
        layer = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
    x = torch.rand(batch, cin, side, side, requires_grad=True)

    def call():
        layer.zero_grad(set_to_none=True)
        x.grad = None
        (layer(x) ** 2).sum().backward()

    call()
    call()
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls * 1e3


if __name__ == "__main__":
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1)))
    torch.manual_seed(1)
    for name, *shape in LAYERS:
        print(f"{name}\t{layer_ms(*shape, calls):.2f} ms", flush=True)
