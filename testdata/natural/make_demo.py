#!/usr/bin/python3
"""Writes the small synthetic natural shift in testdata/natural/demo, which the README's
natural-shift example indexes, splits and scores.

  /usr/bin/python3 testdata/natural/make_demo.py testdata/natural/demo

DIR/imagenet/val/<wnid>/*.png      reference: 8 classes x 30 tiny images
DIR/imagenetv2/<0..7>/*.png        shifted: ImageNet-V2-like numbered folders, 16 each
DIR/features/{imagenet,imagenetv2}.npy
                                   what "your feature extractor" gives: float32 N x 16,
                                   rows in ImageFolder order; odd-numbered images of the
                                   shifted set lie far from the reference
DIR/preds/{imagenet,imagenetv2}/*.npy
                                   made-up models' predicted labels (int64, ImageFolder
                                   order): four resnet baselines, and a "clip" model that
                                   is better only on the far images
The images are 8x8 noise: only their order, size and bytes matter to index.
Needs NumPy and Pillow (Debian: python3-numpy python3-pil).
"""
import os
import sys

import numpy as np
from PIL import Image

WNIDS = ["n01440764", "n01443537", "n01484850", "n01491361", "n01494475", "n01496331",
         "n01498041", "n01514668"]
REF, SHIFTED, DIM = 30, 16, 16
MODELS = {  # accuracy in % on: reference, shifted near (in support), shifted far (out)
    "resnet18": (70, 58, 50), "resnet34": (73, 61, 53), "resnet50": (76, 65, 57),
    "resnet101": (78, 67, 60), "clip-vit-b32-ft": (75, 63, 72),
}


def image_folder(root):
    """(path, folder) pairs in torchvision ImageFolder order."""
    out = []
    for c in sorted(os.listdir(root)):
        for f in sorted(os.listdir(os.path.join(root, c))):
            out.append((os.path.join(root, c, f), c))
    return out


def main(d):
    rng = np.random.RandomState(0)
    for c, w in enumerate(WNIDS):
        os.makedirs(f"{d}/imagenet/val/{w}", exist_ok=True)
        os.makedirs(f"{d}/imagenetv2/{c}", exist_ok=True)
        for i in range(REF):
            px = rng.randint(0, 256, (8, 8, 3), dtype=np.uint8)
            Image.fromarray(px).save(f"{d}/imagenet/val/{w}/ILSVRC2012_val_{c:03d}{i:05d}.png")
        for i in range(SHIFTED):
            px = rng.randint(0, 256, (8, 8, 3), dtype=np.uint8)
            Image.fromarray(px).save(f"{d}/imagenetv2/{c}/{rng.randint(1 << 30):08x}.png")
    ref = image_folder(f"{d}/imagenet/val")
    v2 = image_folder(f"{d}/imagenetv2")
    direction = rng.normal(size=DIM)
    direction /= np.linalg.norm(direction)
    far = np.array([i % 2 == 1 for i in range(len(v2))])
    feats = {"imagenet": rng.normal(size=(len(ref), DIM)),
             "imagenetv2": rng.normal(size=(len(v2), DIM)) + 12 * np.outer(far, direction)}
    os.makedirs(f"{d}/features", exist_ok=True)
    for name, x in feats.items():
        np.save(f"{d}/features/{name}.npy", x.astype(np.float32))
    labels = {"imagenet": np.array([WNIDS.index(c) for _, c in ref]),
              "imagenetv2": np.array([int(c) for _, c in v2])}
    for model, (a_ref, a_in, a_out) in MODELS.items():
        for name, y in labels.items():
            acc = np.full(len(y), a_ref) if name == "imagenet" else np.where(far, a_out, a_in)
            ok = (np.arange(len(y)) * 37 + len(model)) % 100 < acc
            pred = np.where(ok, y, (y + 1) % len(WNIDS)).astype(np.int64)
            os.makedirs(f"{d}/preds/{name}", exist_ok=True)
            np.save(f"{d}/preds/{name}/{model}.npy", pred)


if __name__ == "__main__":
    main(sys.argv[1])
