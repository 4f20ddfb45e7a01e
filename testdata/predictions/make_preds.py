#!/usr/bin/python3
"""Writes the made-up predictions the README's eval example scores.

  shiftgen generate --out out --shift spurious-tint
  /usr/bin/python3 testdata/predictions/make_preds.py out/spurious-tint testdata/predictions

For every record of the dataset (the embedded sample: 48 reference and 48 shifted val
images), each made-up model answers right with a chosen probability and otherwise names
a random class. Rows are keyed by distribution, split and index, so the files fit the
dataset whatever --format or codec made its images. Standard library only.
"""
import json
import os
import random
import sys

# chance of a right answer on the reference and on the shifted images
MODELS = {"scratch-1": (.40, .20), "scratch-2": (.50, .28), "scratch-3": (.60, .37),
          "scratch-4": (.70, .48), "scratch-5": (.80, .60), "scratch-6": (.90, .75),
          "clip-ft": (.70, .62), "clip-lp": (.80, .74)}


def main(ds, out):
    with open(os.path.join(ds, "manifest.json")) as f:
        classes = [c["name"] for c in json.load(f)["classes"]]
    with open(os.path.join(ds, "records.jsonl")) as f:
        recs = [json.loads(line) for line in f]
    os.makedirs(os.path.join(out, "spurious-tint"), exist_ok=True)
    for name, (p_ref, p_shift) in MODELS.items():
        rng = random.Random(name)
        with open(os.path.join(out, "spurious-tint", name + ".csv"), "w") as f:
            f.write("distribution,split,index,prediction\n")
            for r in recs:
                p = p_ref if r["distribution"] == "reference" else p_shift
                guess = r["label"] if rng.random() < p else rng.randrange(len(classes))
                f.write(f"{r['distribution']},{r['split']},{r['index']},{classes[guess]}\n")
    with open(os.path.join(out, "models.csv"), "w") as f:
        f.write("model,group\n")
        for name in MODELS:
            group = "scratch" if name.startswith("scratch") else {"clip-ft": "CLIP (FT)", "clip-lp": "CLIP (LP)"}[name]
            f.write(f"{name},{group}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
