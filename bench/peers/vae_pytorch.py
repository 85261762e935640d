#!/usr/bin/python3
"""VAE training throughput in PyTorch with the settings of Aperture's `density` benchmark.

Same model as Aperture.Generative.VariationalAutoencoder (784-H-H-L encoder and L-H-H-784 decoder, ReLU, Gaussian
decoder with one learned log-variance per pixel, clamped at -10), same examples (raw float32 [N, 784]), Adam 1e-3,
one-sample ELBO with the closed-form KL, 2 threads. Prints one JSON object.
  bench/peers/vae_pytorch.py TRAIN.f32 BATCH HIDDEN LATENT STEPS
"""
import json, sys, time
import math
import numpy as np
import torch
import torch.nn as nn


class Vae(nn.Module):
    def __init__(self, d, h, l):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
        self.mean = nn.Linear(h, l)
        self.logvar = nn.Linear(h, l)
        self.dec = nn.Sequential(nn.Linear(l, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, d))
        self.pixel_logvar = nn.Parameter(torch.full((d,), -4.0))

    def elbo(self, x):
        b = self.body(x)
        mu, lv = self.mean(b), self.logvar(b).clamp(-20, 10)
        z = mu + (0.5 * lv).exp() * torch.randn_like(mu)
        kl = 0.5 * (mu ** 2 + lv.exp() - lv - 1).sum(1)
        out = self.dec(z)
        plv = self.pixel_logvar.clamp_min(-10)
        rec = -0.5 * (((x - out) ** 2) * (-plv).exp() + plv + math.log(2 * math.pi)).sum(1)
        return rec - kl


def main():
    path, batch, hidden, latent, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(2)
    torch.manual_seed(0)
    x = torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(-1, 784))
    model = Vae(784, hidden, latent)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def run(n):
        perm = torch.randperm(x.shape[0])
        done = 0
        for s in range(n):
            i = (s * batch) % (x.shape[0] - batch + 1)
            xb = x[perm[i:i + batch]]
            opt.zero_grad()
            loss = -model.elbo(xb).mean()
            loss.backward()
            opt.step()
            done += batch
        return done, float(loss)

    run(20)  # warm-up
    t0 = time.perf_counter()
    done, loss = run(steps)
    s = time.perf_counter() - t0
    print(json.dumps({"train_images_per_s": done / s, "seconds": s, "steps": steps, "last_loss": loss, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
