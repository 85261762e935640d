#!/usr/bin/python3
"""DCGAN and convolutional auto-encoder training throughput in PyTorch, the models of Aperture's `generative` benchmark.

DCGAN (Aperture.Generative.Gan): generator z -> Linear(no bias) -> BN1d -> ReLU -> [2W,7,7] -> ConvT(4,2,1, no bias)
-> BN -> ReLU -> ConvT(4,2,1) -> tanh; discriminator Conv(4,2,1) -> LeakyReLU 0.2 -> Conv(4,2,1, no bias) -> BN ->
LeakyReLU -> Linear -> logit; one D step and one non-saturating G step per batch on the same z, Adam(2e-4, 0.5, 0.999),
and the generator's exponential moving average (decay 0.999, batch-norm buffers copied) after each G step.
Auto-encoder (Aperture.Generative.AutoEncoders): two stages of Conv3x3(no bias) -> BN -> ReLU -> MaxPool2, Linear to
the code, Linear + ReLU back, ConvT(4,2,1, no bias) -> BN -> ReLU -> ConvT(4,2,1) -> tanh; MSE to the clean image,
Adam(1e-3); the denoising variant masks 25% of the input pixels to -1. Images float32 [N, 784] in [-1, 1], 2 threads.
  bench/peers/generative_pytorch.py TRAIN.f32 STEPS GAN_WIDTH LATENT GAN_BATCH AE_WIDTH CODE AE_BATCH
"""
import copy, json, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Generator(nn.Module):
    def __init__(self, z, w):
        super().__init__()
        self.w = w
        self.project = nn.Sequential(nn.Linear(z, 2 * w * 49, bias=False), nn.BatchNorm1d(2 * w * 49), nn.ReLU())
        self.up = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                                nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.up(self.project(z).view(-1, 2 * self.w, 7, 7))


def discriminator(w):
    return nn.Sequential(nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w),
                         nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(2 * w * 49, 1))


class AutoEncoder(nn.Module):
    def __init__(self, w, code):
        super().__init__()
        def stage(i, o):
            return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2)]
        self.w = w
        self.encoder = nn.Sequential(*stage(1, w), *stage(w, 2 * w))
        self.bottleneck = nn.Linear(2 * w * 49, code)
        self.expand = nn.Sequential(nn.Linear(code, 2 * w * 49), nn.ReLU())
        self.decoder = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                                     nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh())

    def forward(self, x):
        h = self.expand(self.bottleneck(self.encoder(x).flatten(1)))
        return self.decoder(h.view(-1, 2 * self.w, 7, 7))


def timed(steps, batch, n, step):
    g = torch.Generator().manual_seed(7)
    for _ in range(10):
        step(torch.randint(n, (batch,), generator=g))
    t0 = time.perf_counter()
    for _ in range(steps):
        step(torch.randint(n, (batch,), generator=g))
    return steps * batch / (time.perf_counter() - t0)


def main():
    path, steps = sys.argv[1], int(sys.argv[2])
    gw, latent, gb, aw, code, ab = (int(a) for a in sys.argv[3:9])
    torch.set_num_threads(2)
    torch.manual_seed(0)
    x = torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(-1, 1, 28, 28))
    n = x.shape[0]

    G, D = Generator(latent, gw), discriminator(gw)
    ema = copy.deepcopy(G)
    go = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    do = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))

    def gan_step(idx):
        real = x[idx]
        z = torch.randn(real.shape[0], latent)
        fake = G(z)
        rl, fl = D(real).squeeze(1), D(fake.detach()).squeeze(1)
        dl = F.binary_cross_entropy_with_logits(rl, torch.ones_like(rl)) + F.binary_cross_entropy_with_logits(fl, torch.zeros_like(fl))
        do.zero_grad(); dl.backward(); do.step()
        j = D(fake).squeeze(1)
        gl = F.binary_cross_entropy_with_logits(j, torch.ones_like(j))
        go.zero_grad(); gl.backward(); go.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), G.parameters()):
                pe.mul_(0.999).add_(p, alpha=0.001)
            for be, b in zip(ema.buffers(), G.buffers()):
                be.copy_(b)

    def ae_rate(noise):
        model = AutoEncoder(aw, code)
        opt = torch.optim.Adam(model.parameters(), 1e-3)

        def step(idx):
            clean = x[idx]
            inp = clean.masked_fill(torch.rand_like(clean) < 0.25, -1) if noise else clean
            loss = F.mse_loss(model(inp), clean)
            opt.zero_grad(); loss.backward(); opt.step()
        return timed(steps, ab, n, step)

    G.train(); D.train()
    result = {"dcgan_train_images_per_s": timed(steps, gb, n, gan_step),
              "autoencoder_train_images_per_s": ae_rate(False),
              "denoising_autoencoder_train_images_per_s": ae_rate(True),
              "steps": steps, "torch": torch.__version__}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
