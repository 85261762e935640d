#!/usr/bin/python3
"""Times OpenCV's ximgproc selective search (fast and quality modes) on the given images; prints JSON (best of REPEATS runs per image).

usage: /usr/bin/python3 opencv_selective_search.py THREADS REPEATS [--paper-fast] IMAGE...
With --paper-fast a fourth mode, "paper-fast", runs OpenCV's grouping and ranking with the paper's fast-mode settings
(Uijlings et al. 2013, table 5: HSV and Lab; k = 50 and 100 with the minimum segment size k, as the authors' code;
sigma 0.8; C+T+S+F and T+S+F) instead of OpenCV's own (k = 150, 300, 450, minimum size 100).
Each image's boxes (x1, y1, x2, y2, in OpenCV's ranked order) are written next to the results so the caller
can score recall/MABO of both implementations the same way: "rects" from the last run, "draws" from every run.
OpenCV never seeds its ranking jitter (C rand()), so each run in one process is another draw of it.
"""
import json, sys, time
import numpy as np
import cv2

threads, repeats = int(sys.argv[1]), int(sys.argv[2])
paths = sys.argv[3:]
paper_fast = "--paper-fast" in paths
paths = [p for p in paths if p != "--paper-fast"]


def switch_to_paper_fast(ss, img):
    ss.clearImages()
    ss.clearGraphSegmentations()
    ss.clearStrategies()
    ss.addImage(cv2.cvtColor(img, cv2.COLOR_BGR2HSV))
    ss.addImage(cv2.cvtColor(img, cv2.COLOR_BGR2Lab))
    for k in (50, 100):
        ss.addGraphSegmentation(cv2.ximgproc.segmentation.createGraphSegmentation(0.8, float(k), k))
    seg = cv2.ximgproc.segmentation
    ss.addStrategy(seg.createSelectiveSearchSegmentationStrategyMultiple(
        seg.createSelectiveSearchSegmentationStrategyColor(), seg.createSelectiveSearchSegmentationStrategyFill(),
        seg.createSelectiveSearchSegmentationStrategyTexture(), seg.createSelectiveSearchSegmentationStrategySize()))
    ss.addStrategy(seg.createSelectiveSearchSegmentationStrategyMultiple(
        seg.createSelectiveSearchSegmentationStrategyFill(), seg.createSelectiveSearchSegmentationStrategyTexture(),
        seg.createSelectiveSearchSegmentationStrategySize()))


cv2.setNumThreads(threads)
out = {"library": "opencv " + cv2.__version__, "threads": threads, "modes": {}}
for mode in ("single", "fast", "quality") + (("paper-fast",) if paper_fast else ()):
    results = []
    for path in paths:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        times, draws = [], []
        for _ in range(repeats):
            ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
            ss.setBaseImage(img)
            if mode == "single":
                ss.switchToSingleStrategy()
            elif mode == "fast":
                ss.switchToSelectiveSearchFast()
            elif mode == "paper-fast":
                switch_to_paper_fast(ss, img)
            else:
                ss.switchToSelectiveSearchQuality()
            t = time.perf_counter()
            rects = ss.process()
            times.append((time.perf_counter() - t) * 1000)
            draws.append([[int(x), int(y), int(x + w), int(y + h)] for x, y, w, h in rects])
        results.append({"image": path, "ms": float(np.min(times)), "boxes": len(draws[-1]), "rects": draws[-1], "draws": draws})
    out["modes"][mode] = {"results": results, "mean_ms": float(np.mean([r["ms"] for r in results])),
                          "mean_boxes": float(np.mean([r["boxes"] for r in results]))}
print(json.dumps(out))
