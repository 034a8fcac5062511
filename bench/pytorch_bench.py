"""PyTorch twin of vaekit's BenchmarkTrainStep: the same architectures, losses, optimizers and
batch sizes, timed the same way (warm training steps on a fixed random batch).

Run by `make bench` with /usr/bin/python3 (Debian's python3-torch, CPU), threads equal to the
cores and OMP_WAIT_POLICY=PASSIVE, so OpenMP threads do not spin when another process shares the
cores. Prints one JSON object per model: name, batch, ms_per_step, first_step_ms.
"""
import json
import os
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1)))
torch.manual_seed(1)


def mlp_encoder(latent_out):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, latent_out))


def mlp_decoder(latent):
    return nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                         nn.Linear(512, 784), nn.Unflatten(1, (1, 28, 28)))


def conv_encoder(latent_out):
    # Conv 32/64, 3x3, stride 2 ("same": 28 -> 14 -> 7), Dense 16, then the latent head(s).
    return nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
                         nn.Flatten(), nn.Linear(7 * 7 * 64, 16), nn.ReLU(), nn.Linear(16, latent_out))


def conv_decoder(latent):
    return nn.Sequential(nn.Linear(latent, 7 * 7 * 64), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                         nn.ConvTranspose2d(64, 64, 3, 2, 1, output_padding=1), nn.ReLU(),
                         nn.ConvTranspose2d(64, 32, 3, 2, 1, output_padding=1), nn.ReLU(),
                         nn.Conv2d(32, 1, 3, 1, 1))


class VAE(nn.Module):
    def __init__(self, encoder, decoder, latent):
        super().__init__()
        self.encoder, self.decoder, self.latent = encoder(2 * latent), decoder(latent), latent

    def loss(self, x):
        h = self.encoder(x)
        mean, log_var = h[:, :self.latent], h[:, self.latent:]
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        logits = self.decoder(z)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=(1, 2, 3))
        kl = 0.5 * (torch.exp(log_var) + mean ** 2 - 1 - log_var).sum(dim=1)
        return (rec + kl).mean()


class AE(nn.Module):
    def __init__(self, encoder, decoder, latent, noise=0.0):
        super().__init__()
        self.encoder, self.decoder, self.noise = encoder(latent), decoder(latent), noise

    def loss(self, x):
        inp = (x + self.noise * torch.randn_like(x)).clamp(0, 1) if self.noise else x
        logits = self.decoder(self.encoder(inp))
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=(1, 2, 3)).mean()


def rmsprop(params):
    return torch.optim.RMSprop(params, lr=1e-3, alpha=0.9, eps=1e-7)


def adam(params):
    return torch.optim.Adam(params, lr=1e-3, eps=1e-7)


# The same cases, names and batch sizes as vaekit/bench_test.go.
CASES = {
    "conv-vae": (lambda: VAE(conv_encoder, conv_decoder, 2), rmsprop, 64),
    "mlp-vae": (lambda: VAE(mlp_encoder, mlp_decoder, 20), adam, 128),
    "mlp-ae": (lambda: AE(mlp_encoder, mlp_decoder, 20), adam, 128),
    "conv-dae": (lambda: AE(conv_encoder, conv_decoder, 2, noise=0.3), rmsprop, 64),
}


def bench(name, steps):
    make_model, make_opt, batch = CASES[name]
    model = make_model()
    opt = make_opt(model.parameters())
    x = torch.rand(batch, 1, 28, 28)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x)
        loss.backward()
        opt.step()

    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    per_step = (time.perf_counter() - start) / steps
    return {"name": name, "batch": batch, "ms_per_step": per_step * 1e3, "first_step_ms": first * 1e3}


if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for name in (sys.argv[2:] or CASES):
        print(json.dumps(bench(name, steps)), flush=True)
