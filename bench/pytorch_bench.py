"""PyTorch twin of vaekit's BenchmarkTrainStep: the same architectures, losses, optimizers and
batch sizes, timed the same way (warm training steps on a fixed random batch).

Run by `make bench` with /usr/bin/python3 (Debian's python3-torch, CPU), threads equal to the
cores and OMP_WAIT_POLICY=PASSIVE, so OpenMP threads do not spin when another process shares the
cores. Prints one JSON object per model: name, batch, ms_per_step, first_step_ms.
"""
import json
import os
import resource
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

    def loss(self, x, y):
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

    def loss(self, x, y):
        inp = (x + self.noise * torch.randn_like(x)).clamp(0, 1) if self.noise else x
        logits = self.decoder(self.encoder(inp))
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=(1, 2, 3)).mean()


class ConvCVAE(nn.Module):
    """The seed CVAE (label concatenation): the one-hot class as 10 extra input planes and beside z;
    Conv 32/64 with batch norm and LeakyReLU(0.3), Dense 16, latent 2; mirrored decoder."""

    def __init__(self):
        super().__init__()
        act = lambda: nn.LeakyReLU(0.3)
        self.encoder = nn.Sequential(
            nn.Conv2d(11, 32, 3, 2, 1), nn.BatchNorm2d(32), act(), nn.Conv2d(32, 64, 3, 2, 1), nn.BatchNorm2d(64), act(),
            nn.Flatten(), nn.Linear(7 * 7 * 64, 16), act(), nn.Linear(16, 4))
        self.decoder = nn.Sequential(
            nn.Linear(12, 7 * 7 * 64), act(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 64, 3, 2, 1, output_padding=1), nn.BatchNorm2d(64), act(),
            nn.ConvTranspose2d(64, 32, 3, 2, 1, output_padding=1), nn.BatchNorm2d(32), act(),
            nn.Conv2d(32, 1, 3, 1, 1))

    def loss(self, x, y):
        onehot = F.one_hot(y, 10).float()
        planes = onehot[:, :, None, None].expand(-1, -1, 28, 28)
        h = self.encoder(torch.cat([x, planes], 1))
        mean, log_var = h[:, :2], h[:, 2:]
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        logits = self.decoder(torch.cat([z, onehot], 1))
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=(1, 2, 3))
        kl = 0.5 * (torch.exp(log_var) + mean ** 2 - 1 - log_var).sum(dim=1)
        return (rec + kl).mean()


class PriorCVAE(VAE):
    """The class-prior CVAE: the MLP VAE with KL towards N(mu_y, I), a learned mean per class."""

    def __init__(self):
        super().__init__(mlp_encoder, mlp_decoder, 2)
        self.means = nn.Embedding(10, 2)

    def loss(self, x, y):
        h = self.encoder(x)
        mean, log_var = h[:, :2], h[:, 2:]
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none").sum(dim=(1, 2, 3))
        kl = 0.5 * (torch.exp(log_var) + (mean - self.means(y)) ** 2 - 1 - log_var).sum(dim=1)
        return (rec + kl).mean()


class VQVAE(nn.Module):
    """keras-io's VQ-VAE: Conv 32/64 to a 7x7x16 grid, 128 codes, beta 0.25, squared error."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
                                     nn.Conv2d(64, 16, 1))
        self.codebook = nn.Parameter(torch.randn(128, 16))
        self.decoder = nn.Sequential(nn.ConvTranspose2d(16, 64, 3, 2, 1, output_padding=1), nn.ReLU(),
                                     nn.ConvTranspose2d(64, 32, 3, 2, 1, output_padding=1), nn.ReLU(),
                                     nn.Conv2d(32, 1, 3, 1, 1))

    def loss(self, x, y):
        z = self.encoder(x).permute(0, 2, 3, 1)  # [b, 7, 7, 16]
        flat = z.reshape(-1, 16)
        dist = (flat ** 2).sum(1, keepdim=True) + (self.codebook ** 2).sum(1) - 2 * flat @ self.codebook.t()
        e = self.codebook[dist.argmin(1)].reshape(z.shape)
        q = z + (e - z).detach()
        rec = ((torch.sigmoid(self.decoder(q.permute(0, 3, 1, 2))) - x) ** 2).sum(dim=(1, 2, 3))
        codebook = ((z.detach() - e) ** 2).sum(dim=(1, 2, 3))
        commitment = ((z - e.detach()) ** 2).sum(dim=(1, 2, 3))
        return (rec + codebook + 0.25 * commitment).mean()


class MaskedConv(nn.Conv2d):
    """A masked k x k convolution written the usual PyTorch way: the whole kernel times the mask,
    so all k*k taps are computed (49 for 7 x 7), the masked ones as zeros."""

    def __init__(self, cin, cout, k, kind):
        super().__init__(cin, cout, k, padding=k // 2)
        mask = torch.zeros(k, k)
        mask[:k // 2] = 1
        mask[k // 2, :k // 2 + (1 if kind == "B" else 0)] = 1
        self.register_buffer("mask", mask[None, None])

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class MaskedConvTaps(nn.Module):
    """The same masked convolution computing only the taps the mask keeps, as vaekit's
    MaskedConv2D does: a (k/2) x k convolution over the rows above and a 1 x (k/2) convolution
    (1 x (k/2 + 1) for mask B) over the pixels to the left: 24 taps of 49 for 7 x 7 A, 5 of 9
    for 3 x 3 B."""

    def __init__(self, cin, cout, k, kind):
        super().__init__()
        self.k, self.left = k, k // 2 + (1 if kind == "B" else 0)
        self.above = nn.Parameter(torch.empty(cout, cin, k // 2, k))
        self.row = nn.Parameter(torch.empty(cout, cin, 1, self.left))
        self.bias = nn.Parameter(torch.zeros(cout))
        nn.init.kaiming_uniform_(self.above, a=5 ** 0.5)
        nn.init.kaiming_uniform_(self.row, a=5 ** 0.5)

    def kernel(self):
        """The k x k kernel with the masked taps zero (for the check against MaskedConv)."""
        w = self.above.new_zeros(self.above.shape[0], self.above.shape[1], self.k, self.k)
        w[:, :, :self.k // 2] = self.above
        w[:, :, self.k // 2, :self.left] = self.row[:, :, 0]
        return w

    def forward(self, x):
        h, w, r = x.shape[2], x.shape[3], self.k // 2
        # Output row i sees input rows i-r .. i-1; output column j sees columns j-r .. j-r+left-1.
        above = F.conv2d(F.pad(x, (r, r, r, 0)), self.above)[:, :, :h]
        row = F.conv2d(F.pad(x, (r, 0, 0, 0)), self.row)[:, :, :, :w]
        return above + row + self.bias[None, :, None, None]


def check_masked_taps():
    """MaskedConvTaps computes the masked convolution: the same outputs as the whole kernel with
    the mask (the bench refuses to time a twin that computes something else)."""
    torch.manual_seed(0)
    for k, kind in ((7, "A"), (3, "B")):
        taps = MaskedConvTaps(5, 4, k, kind)
        x = torch.randn(2, 5, 7, 7)
        want = F.conv2d(x, taps.kernel(), taps.bias, padding=k // 2)
        got = taps(x)
        if not torch.allclose(got, want, atol=1e-5):
            raise SystemExit(f"MaskedConvTaps {k}x{k} {kind} differs from the masked kernel by {(got - want).abs().max():.3g}")


class PixelCNN(nn.Module):
    """vaekit's class-conditioned code prior: embedding 64, masked 7x7 (A), 2 residual blocks
    with masked 3x3 (B) at 32 channels, 1x1 head, 128 logits per position. Its masked layers
    compute the taps the masks keep, as vaekit's do (masked=MaskedConv: all of them)."""

    def __init__(self, masked=MaskedConvTaps):
        super().__init__()
        self.embed = nn.Embedding(128, 64)
        self.first = masked(64, 64, 7, "A")
        self.first_class = nn.Embedding(10, 64)
        self.blocks = nn.ModuleList()
        for _ in range(2):
            self.blocks.append(nn.ModuleDict({"reduce": nn.Conv2d(64, 32, 1), "masked": masked(32, 32, 3, "B"),
                                              "cls": nn.Embedding(10, 32), "expand": nn.Conv2d(32, 64, 1)}))
        self.head = nn.Conv2d(64, 64, 1)
        self.logits = nn.Conv2d(64, 128, 1)

    def loss(self, codes, y):
        x = self.embed(codes).permute(0, 3, 1, 2)
        x = F.relu(self.first(x) + self.first_class(y)[:, :, None, None])
        for b in self.blocks:
            h = F.relu(b["reduce"](x))
            h = F.relu(b["masked"](h) + b["cls"](y)[:, :, None, None])
            x = F.relu(x + b["expand"](h))
        logits = self.logits(F.relu(self.head(x)))
        return F.cross_entropy(logits, codes, reduction="none").sum(dim=(1, 2)).mean()


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(7 * 7 * 64, 128), nn.ReLU(), nn.Linear(128, 10))

    def loss(self, x, y):
        return F.cross_entropy(self.net(x), y)


class TCVAE(VAE):
    """The beta-TC-VAE of mnist-mlp-tcvae: the MLP VAE (latent 10) whose KL is split by minibatch-weighted
    sampling (Chen et al. 2018, section 3.1) into mutual information, total correlation (weight 6) and
    dimension-wise KL, over N = 60,000 training images."""

    def __init__(self):
        super().__init__(mlp_encoder, mlp_decoder, 10)

    def loss(self, x, y):
        h = self.encoder(x)
        mean, log_var = h[:, :10], h[:, 10:]
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none").sum(dim=(1, 2, 3))
        c = -0.5 * torch.log(torch.tensor(2 * torch.pi))
        # log q(z_i,k | x_j): [M, M, d]
        lq = c - 0.5 * log_var[None] - 0.5 * (z[:, None] - mean[None]) ** 2 * torch.exp(-log_var[None])
        m = x.shape[0]
        norm = torch.log(torch.tensor(60000.0 * m))
        log_qz = torch.logsumexp(lq.sum(2), 1) - norm
        log_prod = (torch.logsumexp(lq, 1) - norm).sum(1)
        log_qzx = lq.diagonal(dim1=0, dim2=1).t().sum(1)
        log_pz = (c - 0.5 * z ** 2).sum(1)
        mi, tc, dw = log_qzx - log_qz, log_qz - log_prod, log_prod - log_pz
        return (rec + mi + 6 * tc + dw).mean()


class GAN(nn.Module):
    """The GAN of mnist-dcgan: the conv VAE's decoder (sigmoid output) as generator from a 2-d N(0, I)
    noise, its encoder body with LeakyReLU(0.2) and one logit as discriminator; both players step from
    one forward pass, each on its own loss (discriminator BCE, non-saturating generator loss), each
    with its own Adam (2e-4, beta1 0.5)."""

    latent = 2

    def __init__(self):
        super().__init__()
        self.generator = conv_decoder(2)
        act = lambda: nn.LeakyReLU(0.2)
        self.discriminator = nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1), act(), nn.Conv2d(32, 64, 3, 2, 1), act(),
                                           nn.Flatten(), nn.Linear(7 * 7 * 64, 16), act(), nn.Linear(16, 1))

    def generate(self, z):
        return torch.sigmoid(self.generator(z))

    def optimizers(self, lr=2e-4, beta1=0.5):
        return [torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(beta1, 0.999), eps=1e-7),
                torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=(beta1, 0.999), eps=1e-7)]

    def train_step(self, opts, x, y):
        for o in opts:
            o.zero_grad(set_to_none=True)
        fake = self.generate(torch.randn(x.shape[0], self.latent))
        real_logit, fake_logit = self.discriminator(x), self.discriminator(fake)
        ones, zeros = torch.ones_like(real_logit), torch.zeros_like(fake_logit)
        d_loss = F.binary_cross_entropy_with_logits(real_logit, ones) + F.binary_cross_entropy_with_logits(fake_logit, zeros)
        g_loss = F.binary_cross_entropy_with_logits(fake_logit, ones)
        d_params, g_params = list(self.discriminator.parameters()), list(self.generator.parameters())
        for p, g in zip(d_params, torch.autograd.grad(d_loss, d_params, retain_graph=True)):
            p.grad = g
        for p, g in zip(g_params, torch.autograd.grad(g_loss, g_params)):
            p.grad = g
        for o in opts:
            o.step()


class DCGAN(GAN):
    """The TensorFlow DCGAN tutorial's models (mnist-tf-dcgan): generator Dense 7x7x256, ConvTranspose 128
    (stride 1), 64 and 1 (stride 2), 5x5, batch norm and LeakyReLU(0.3) after each but the last, tanh, no
    biases; discriminator Conv 64/128 5x5 stride 2, LeakyReLU(0.3), dropout 0.3, one logit; Adam 1e-4 each;
    noise of 100; images on [-1, 1]."""

    latent = 100

    def __init__(self):
        nn.Module.__init__(self)
        act = lambda: nn.LeakyReLU(0.3)
        self.generator = nn.Sequential(
            nn.Linear(100, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), act(), nn.Unflatten(1, (256, 7, 7)),
            nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False), nn.BatchNorm2d(128), act(),
            nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False), nn.BatchNorm2d(64), act(),
            nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False), nn.Tanh())
        self.discriminator = nn.Sequential(
            nn.Conv2d(1, 64, 5, 2, 2), act(), nn.Dropout(0.3), nn.Conv2d(64, 128, 5, 2, 2), act(), nn.Dropout(0.3),
            nn.Flatten(), nn.Linear(7 * 7 * 128, 1))

    def generate(self, z):
        return self.generator(z)

    def optimizers(self):
        return GAN.optimizers(self, lr=1e-4, beta1=0.9)

    def train_step(self, opts, x, y):
        GAN.train_step(self, opts, 2 * x - 1, y)


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
    "conv-cvae": (ConvCVAE, adam, 128),
    "mlp-cvae-prior": (PriorCVAE, adam, 128),
    "vqvae": (VQVAE, adam, 128),
    "pixelcnn-prior": (PixelCNN, adam, 128),
    # PyTorch only: the masked layers as usually written, every tap of the kernel computed.
    "pixelcnn-prior-all-taps": (lambda: PixelCNN(MaskedConv), adam, 128),
    "classifier": (Classifier, adam, 128),
    "mlp-tcvae": (TCVAE, adam, 128),
    "conv-gan": (GAN, None, 128),  # the GANs make their own optimizers, one per player
    "dcgan": (DCGAN, None, 256),
}


def bench(name, steps):
    make_model, make_opt, batch = CASES[name]
    batch = int(os.environ.get("BENCH_BATCH", batch))
    model = make_model()
    opt = make_opt(model.parameters()) if make_opt else model.optimizers()
    if name.startswith("pixelcnn-prior"):
        check_masked_taps()
        x = torch.randint(0, 128, (batch, 7, 7))
    else:
        x = torch.rand(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def step():
        if not make_opt:
            model.train_step(opt, x, y)
            return
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x, y)
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
    # Peak resident memory of this process (Linux reports ru_maxrss in KiB): one model per
    # process when bench/run.sh calls it.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"name": name, "batch": batch, "ms_per_step": per_step * 1e3, "first_step_ms": first * 1e3,
            "peak_mb": peak_mb, "scaling": "BENCH_BATCH" in os.environ, "torch": torch.__version__}


if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for name in (sys.argv[2:] or CASES):
        print(json.dumps(bench(name, steps)), flush=True)
