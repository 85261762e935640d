#!/usr/bin/python3
"""Times scikit-image's felzenszwalb on the given images; prints JSON (best of REPEATS runs per image).

usage: /usr/bin/python3 skimage_felzenszwalb.py SCALE SIGMA MIN_SIZE REPEATS IMAGE...
"""
import json, sys, time
import numpy as np
import skimage
from skimage import io
from skimage.segmentation import felzenszwalb

scale, sigma, min_size, repeats = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
results = []
for path in sys.argv[5:]:
    img = io.imread(path)[:, :, :3]
    felzenszwalb(img, scale=scale, sigma=sigma, min_size=min_size)  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        seg = felzenszwalb(img, scale=scale, sigma=sigma, min_size=min_size)
        times.append((time.perf_counter() - t) * 1000)
    results.append({"image": path, "height": img.shape[0], "width": img.shape[1],
                    "ms": float(np.min(times)), "segments": int(seg.max() + 1)})
print(json.dumps({"library": "scikit-image " + skimage.__version__, "results": results,
                  "mean_ms": float(np.mean([r["ms"] for r in results]))}))
