#!/usr/bin/python3
"""Times OpenCV's ximgproc selective search (fast and quality modes) on the given images; prints JSON (best of REPEATS runs per image).

usage: /usr/bin/python3 opencv_selective_search.py THREADS REPEATS IMAGE...
Each image's boxes (x1, y1, x2, y2, in OpenCV's ranked order) are written next to the results so the caller
can score recall/MABO of both implementations the same way.
"""
import json, sys, time
import numpy as np
import cv2

threads, repeats = int(sys.argv[1]), int(sys.argv[2])
cv2.setNumThreads(threads)
out = {"library": "opencv " + cv2.__version__, "threads": threads, "modes": {}}
for mode in ("single", "fast", "quality"):
    results = []
    for path in sys.argv[3:]:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        times = []
        for _ in range(repeats):
            ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
            ss.setBaseImage(img)
            if mode == "single":
                ss.switchToSingleStrategy()
            elif mode == "fast":
                ss.switchToSelectiveSearchFast()
            else:
                ss.switchToSelectiveSearchQuality()
            t = time.perf_counter()
            rects = ss.process()
            times.append((time.perf_counter() - t) * 1000)
        boxes = [[int(x), int(y), int(x + w), int(y + h)] for x, y, w, h in rects]
        results.append({"image": path, "ms": float(np.min(times)), "boxes": len(boxes), "rects": boxes})
    out["modes"][mode] = {"results": results, "mean_ms": float(np.mean([r["ms"] for r in results])),
                          "mean_boxes": float(np.mean([r["boxes"] for r in results]))}
print(json.dumps(out))
