#!/usr/bin/python3
"""U-Net training and inference throughput in PyTorch, with the settings of Aperture's segmentation bench.

The same network as Aperture.Segmentation.UNet.UNetNetwork (depth D, base width W: two 3x3 'same' convolutions +
batch norm + ReLU per stage, 2x2 max pooling, 2x2 stride-2 transposed convolutions, concatenation skips, 1x1 score
layer), K = 11 classes, batches of B random 3xSxS images with random masks, Adam (lr 2e-3), pixel-wise cross-entropy
with ignore index 255, 2 threads. Timed in both memory layouts (PyTorch's default NCHW, and channels_last, which
Aperture's networks use inside); the headline figures are the faster layout's, so the comparison is with PyTorch at its
best. Prints one JSON object.
Usage: bench/peers/unet_pytorch.py [STEPS] [BATCH] [SIZE] [DEPTH] [WIDTH]
"""
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, k, depth, w, cin=3):
        super().__init__()
        self.down = nn.ModuleList()
        c = cin
        for level in range(depth):
            self.down.append(block(c, w << level))
            c = w << level
        self.bottom = block(c, w << depth)
        self.upsample = nn.ModuleList()
        self.up = nn.ModuleList()
        for level in reversed(range(depth)):
            self.upsample.append(nn.ConvTranspose2d(w << (level + 1), w << level, 2, stride=2))
            self.up.append(block(2 * (w << level), w << level))
        self.score = nn.Conv2d(w, k, 1)

    def forward(self, x):
        skips = []
        for stage in self.down:
            x = stage(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        for i, (upsample, up) in enumerate(zip(self.upsample, self.up)):
            x = up(torch.cat([skips[-(i + 1)], upsample(x)], 1))
        return self.score(x)


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    depth = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    width = int(sys.argv[5]) if len(sys.argv) > 5 else 16
    k = 11
    torch.set_num_threads(2)
    layouts = {name: run(steps, batch, size, depth, width, k, fmt)
               for name, fmt in (("nchw", torch.contiguous_format), ("channels_last", torch.channels_last))}
    best = max(layouts, key=lambda name: layouts[name]["train_images_per_s"])
    print(json.dumps({
        "peer": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
        "steps": steps, "batch": batch, "size": size, "depth": depth, "width": width, "layout": best,
        "train_images_per_s": layouts[best]["train_images_per_s"],
        "inference_ms_per_image": min(r["inference_ms_per_image"] for r in layouts.values()),
        "layouts": layouts,
    }))


def run(steps, batch, size, depth, width, k, fmt):
    torch.manual_seed(0)
    model = UNet(k, depth, width).to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    x = torch.randn(batch, 3, size, size).contiguous(memory_format=fmt)
    y = torch.randint(0, k, (batch, size, size))
    model.train()
    for _ in range(2):  # warm-up
        opt.zero_grad()
        F.cross_entropy(model(x), y, ignore_index=255).backward()
        opt.step()
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y, ignore_index=255)
        loss.backward()
        opt.step()
    train_s = time.perf_counter() - start
    model.eval()
    one = x[:1]
    with torch.no_grad():
        model(one)
        start = time.perf_counter()
        n = max(5, steps)
        for _ in range(n):
            model(one).argmax(1)
        infer_s = time.perf_counter() - start
    return {"train_images_per_s": steps * batch / train_s, "inference_ms_per_image": 1000 * infer_s / n, "final_loss": float(loss)}


if __name__ == "__main__":
    main()
