#!/usr/bin/python3
"""PyTorch's side of Aperture's weights round trip (LeNet-5, src/Aperture/Classification/LeNet5.cs).

    bench/peers/lenet5_weights.py make tests/Aperture.Tests/data/pytorch
        writes the fixtures the tests load (committed; made once with torch 1.13 CPU):
        lenet5.pt                 torch.save(model.state_dict()), Aperture's own names (c1, c3, c5, f6, output)
        lenet5_seq.safetensors    the same weights named as an nn.Sequential would name them (features.0, ...),
                                  loaded in Aperture through lenet5_seq.map
        io.safetensors            a fixed input [4, 1, 28, 28] and PyTorch's logits [4, 10] for it
    bench/peers/lenet5_weights.py check WEIGHTS.safetensors IO.safetensors
        loads Aperture's exported weights into this LeNet-5 and compares its logits on IO's input with IO's output
        (Aperture's); prints the largest difference and exits 0 when it is within 1e-5, else 1.

No safetensors package is needed: the format is read and written below (8-byte little-endian header length, JSON
header, raw little-endian bytes).
"""
import json
import struct
import sys

import numpy as np
import torch

from lenet_pytorch import LeNet5  # Aperture's LeNet-5, as the bench trains it (beside this file)

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


SEQUENTIAL_NAMES = {"c1": "features.0", "c3": "features.3", "c5": "classifier.0", "f6": "classifier.2", "output": "classifier.4"}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n).decode("utf-8"))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        lo, hi = e["data_offsets"]
        a = np.frombuffer(data[lo:hi], dtype=np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")).reshape(e["shape"])
        out[name] = torch.from_numpy(a.copy())
    return out


def make(folder):
    torch.manual_seed(5)
    model = LeNet5().eval()
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    with torch.no_grad():
        y = model(x)
    sd = model.state_dict()
    torch.save(sd, f"{folder}/lenet5.pt")
    seq = {}
    for name, t in sd.items():
        layer, rest = name.split(".", 1)
        seq[f"{SEQUENTIAL_NAMES[layer]}.{rest}"] = t
    write_safetensors(f"{folder}/lenet5_seq.safetensors", seq)
    write_safetensors(f"{folder}/io.safetensors", {"input": x, "output": y})
    with open(f"{folder}/lenet5_seq.map", "w") as f:
        f.write("# nn.Sequential names -> Aperture's LeNet-5 names (see bench/peers/lenet5_weights.py)\n")
        for ours, theirs in SEQUENTIAL_NAMES.items():
            f.write(f"{theirs}.={ours}.\n")


def check(weights, io):
    model = LeNet5().eval()
    model.load_state_dict(read_safetensors(weights), strict=True)
    t = read_safetensors(io)
    with torch.no_grad():
        y = model(t["input"])
    diff = (y - t["output"]).abs().max().item()
    print(f"pytorch {torch.__version__}: max |pytorch - aperture| = {diff:.3g}")
    return 0 if diff <= 1e-5 else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
