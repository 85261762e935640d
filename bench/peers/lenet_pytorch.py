#!/usr/bin/python3
"""LeNet-5 training and inference throughput in PyTorch, with the settings of Aperture's bench.

Same model as Aperture.Classification.LeNet5 (ReLU, max pooling, 28x28 padded by 2), same data
(Fashion-MNIST IDX files), batch 64, SGD with momentum 0.9, 2 threads. Prints one JSON object.
Run by `dotnet run -c Release --project bench/Aperture.Bench -- train-throughput` when Debian's
python3-torch is installed; can also be run by hand: bench/peers/lenet_pytorch.py DATA_DIR [EPOCH_LIMIT]
"""
import gzip, json, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


class LeNet5(nn.Module):
    def __init__(self, k=10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Linear(400, 120)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, k)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        x = F.relu(self.c5(x.flatten(1)))
        x = F.relu(self.f6(x))
        return self.output(x)


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    torch.set_num_threads(2)
    torch.manual_seed(0)
    x = read_idx(f"{data}/train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    y = read_idx(f"{data}/train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    x = torch.from_numpy(x.copy())
    y = torch.from_numpy(y.copy())
    n = x.shape[0]
    model = LeNet5()
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    batch = 64
    perm = torch.randperm(n)
    model.train()
    start = time.perf_counter()
    seen = 0
    for i in range(0, n - batch + 1, batch):
        idx = perm[i:i + batch]
        xb = (x[idx].float() / 255 - 0.2860) / 0.3530
        yb = y[idx]
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        seen += batch
    train_s = time.perf_counter() - start
    model.eval()
    start = time.perf_counter()
    infer = 0
    with torch.no_grad():
        for i in range(0, n - 256 + 1, 256):
            xb = (x[i:i + 256].float() / 255 - 0.2860) / 0.3530
            model(xb).argmax(1)
            infer += 256
    infer_s = time.perf_counter() - start
    print(json.dumps({
        "peer": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
        "train_images_per_s": seen / train_s, "inference_images_per_s": infer / infer_s,
        "final_loss": float(loss),
    }))


if __name__ == "__main__":
    main()
