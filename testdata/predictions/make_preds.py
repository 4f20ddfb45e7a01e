#!/usr/bin/python3
"""Writes the made-up predictions the README's eval examples score.

  shiftgen generate --out out --shift spurious-tint --shift vflip --shift night
  /usr/bin/python3 testdata/predictions/make_preds.py out testdata/predictions

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


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
