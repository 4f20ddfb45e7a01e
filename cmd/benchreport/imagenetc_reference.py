"""Times bethgelab/imagecorruptions' corrupt() on 224-px PNGs, for benchreport.

Usage: imagenetc_reference.py REPS IMAGE.png [IMAGE.png ...]

For every corruption and severity: one warm-up call, then for each image the minimum
over REPS calls, averaged over the images, in milliseconds. Prints one JSON object
{"<corruption>/<severity>": ms}. Run it on one core with every thread pool at 1.
"""
import json
import sys
import time

import numpy as np
from PIL import Image

try:
    import cv2
    cv2.setNumThreads(1)
except ImportError:
    pass
from imagecorruptions import corrupt, get_corruption_names


def main():
    reps = int(sys.argv[1])
    images = [np.asarray(Image.open(p).convert("RGB")) for p in sys.argv[2:]]
    out = {}
    for name in get_corruption_names("all"):
        for sev in range(1, 6):
            corrupt(images[0], corruption_name=name, severity=sev)
            total = 0.0
            for img in images:
                best = float("inf")
                for _ in range(reps):
                    t0 = time.perf_counter()
                    corrupt(img, corruption_name=name, severity=sev)
                    best = min(best, time.perf_counter() - t0)
                total += best
            out["%s/%d" % (name, sev)] = 1000 * total / len(images)
    json.dump(out, sys.stdout)


main()
