#!/usr/bin/python3
"""Times torchvision's roi_pool (and roi_align) forward+backward; prints JSON (best of REPEATS runs per image).

usage: /usr/bin/python3 torchvision_roi_pool.py THREADS REPEATS ROIS.json
ROIS.json holds {"rois": [[b, x1, y1, x2, y2], ...], "channels": C, "height": H, "width": W,
"spatial_scale": s, "output": [h, w]}; the feature map is random normal (values do not change the work).
"""
import json, sys, time
import numpy as np
import torch, torchvision
from torchvision.ops import roi_pool, roi_align

threads, repeats = int(sys.argv[1]), int(sys.argv[2])
spec = json.load(open(sys.argv[3]))
torch.set_num_threads(threads)
torch.manual_seed(0)
rois = torch.tensor(spec["rois"], dtype=torch.float32)
n = int(rois[:, 0].max().item()) + 1
x = torch.randn(n, spec["channels"], spec["height"], spec["width"], requires_grad=True)
out = {"library": "torchvision " + torchvision.__version__, "threads": threads, "rois": len(spec["rois"])}
for name, op in (("roi_pool", lambda: roi_pool(x, rois, spec["output"], spec["spatial_scale"])),
                 ("roi_align", lambda: roi_align(x, rois, spec["output"], spec["spatial_scale"], 2, True))):
    fwd, total = [], []
    for i in range(repeats + 1):
        x.grad = None
        t = time.perf_counter()
        y = op()
        t1 = time.perf_counter()
        y.sum().backward()
        t2 = time.perf_counter()
        if i > 0:
            fwd.append((t1 - t) * 1000)
            total.append((t2 - t) * 1000)
    out[name] = {"forward_ms": float(np.min(fwd)), "forward_backward_ms": float(np.min(total))}
print(json.dumps(out))
