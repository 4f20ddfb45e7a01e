#!/usr/bin/python3
"""Writes the made-up predictions the README's eval examples score.

  shiftgen generate --out out --shift spurious-tint --shift vflip --shift night
  /usr/bin/python3 testdata/predictions/make_preds.py out testdata/predictions

  shiftgen generate --out out/c --layout imagenet-c --shift imagenet-c --shift imagenet-c-extra
  shiftgen generate --out out/clean --preprocess imagenet-c --quality 85 --shift vflip
  /usr/bin/python3 testdata/predictions/make_preds.py --imagenet-c out/c out/clean/vflip testdata/predictions/imagenet-c

For every record of each dataset (the embedded sample: 48 reference and 48 shifted val
images), each made-up model answers right with a chosen probability and otherwise names
a random class. Rows are keyed by distribution, split and index, so the files fit the
datasets whatever --format or codec made their images. Standard library only.
"""
import json
import os
import random
import sys

# chance of a right answer on the reference and on the shifted images, per shift: the
# scratch models lose more on the out-of-support shifts than the "CLIP" ones
MODELS = {
    "spurious-tint": {"scratch-1": (.40, .20), "scratch-2": (.50, .28), "scratch-3": (.60, .37),
                      "scratch-4": (.70, .48), "scratch-5": (.80, .60), "scratch-6": (.90, .75),
                      "clip-ft": (.70, .62), "clip-lp": (.80, .74)},
    "vflip": {"scratch-1": (.40, .15), "scratch-2": (.50, .22), "scratch-3": (.60, .30),
              "scratch-4": (.70, .40), "scratch-5": (.80, .52), "scratch-6": (.90, .65),
              "clip-ft": (.70, .60), "clip-lp": (.80, .70)},
    "night": {"scratch-1": (.40, .25), "scratch-2": (.50, .33), "scratch-3": (.60, .42),
              "scratch-4": (.70, .52), "scratch-5": (.80, .64), "scratch-6": (.90, .78),
              "clip-ft": (.70, .66), "clip-lp": (.80, .77)},
}


def main(root, out):
    for shift, models in MODELS.items():
        write(os.path.join(root, shift), os.path.join(out, shift), shift, models)
    with open(os.path.join(out, "models.csv"), "w") as f:
        f.write("model,group\n")
        for name in MODELS["spurious-tint"]:
            group = "scratch" if name.startswith("scratch") else {"clip-ft": "CLIP (FT)", "clip-lp": "CLIP (LP)"}[name]
            f.write(f"{name},{group}\n")


def write(ds, out, shift, models):
    with open(os.path.join(ds, "manifest.json")) as f:
        classes = [c["name"] for c in json.load(f)["classes"]]
    with open(os.path.join(ds, "records.jsonl")) as f:
        recs = [json.loads(line) for line in f]
    os.makedirs(out, exist_ok=True)
    for name, (p_ref, p_shift) in models.items():
        # spurious-tint's files were written first, from these seeds
        rng = random.Random(name if shift == "spurious-tint" else name + "/" + shift)
        with open(os.path.join(out, name + ".csv"), "w") as f:
            f.write("distribution,split,index,prediction\n")
            for r in recs:
                p = p_ref if r["distribution"] == "reference" else p_shift
                guess = r["label"] if rng.random() < p else rng.randrange(len(classes))
                f.write(f"{r['distribution']},{r['split']},{r['index']},{classes[guess]}\n")


# ImageNet-C: chance of a right answer on clean images, and the share of it lost per
# severity step (a corruption's own factor scales it); the "CLIP" model loses half as much
IMAGENET_C_MODELS = {"scratch-1": .45, "scratch-2": .55, "scratch-3": .65, "scratch-4": .75, "clip-ft": .70}
CORRUPTION_LOSS = {"gaussian-noise": 1.3, "shot-noise": 1.3, "impulse-noise": 1.4, "defocus-blur": 1.1,
                   "glass-blur": 1.2, "motion-blur": 1.0, "zoom-blur": 1.0, "snow": 1.1, "frost": 1.0,
                   "fog": 0.9, "brightness": 0.4, "contrast": 1.1, "elastic-transform": 0.7,
                   "pixelate": 0.8, "jpeg-compression": 0.6, "speckle-noise": 1.1, "gaussian-blur": 1.0,
                   "spatter": 0.8, "saturate": 0.5}


def imagenet_c(root, clean, out):
    """One file per model covering every dataset: dataset,distribution,split,index,prediction.

    Each model is right on exactly round(p·n) of a dataset's n images (a random subset),
    so that its accuracies follow the chances above without sampling noise."""
    os.makedirs(out, exist_ok=True)
    datasets = [("clean/vflip", clean, 0.0)]
    for cor in CORRUPTION_LOSS:
        for sev in range(1, 6):
            datasets.append((f"{cor}/{sev}", os.path.join(root, cor, str(sev)), CORRUPTION_LOSS[cor] * sev * 0.11))
    for name, p_clean in IMAGENET_C_MODELS.items():
        rng = random.Random("imagenet-c/" + name)
        with open(os.path.join(out, name + ".csv"), "w") as f:
            f.write("dataset,distribution,split,index,prediction\n")
            for dataset, path, loss in datasets:
                if name.startswith("clip"):
                    loss /= 2
                p = p_clean * max(0.02, 1 - loss)
                with open(os.path.join(path, "records.jsonl")) as rf:
                    recs = [json.loads(line) for line in rf]
                if dataset.startswith("clean/"):
                    recs = [r for r in recs if r["distribution"] == "reference"]
                right = set(rng.sample(range(len(recs)), round(p * len(recs))))
                for i, r in enumerate(recs):
                    guess = r["label"] if i in right else (r["label"] + 1 + rng.randrange(47)) % 48
                    f.write(f"{dataset},{r['distribution']},{r['split']},{r['index']},{guess}\n")


if __name__ == "__main__":
    if sys.argv[1] == "--imagenet-c":
        imagenet_c(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main(sys.argv[1], sys.argv[2])
