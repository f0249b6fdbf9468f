#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scale benchmark: a generated corpus of EURLex-4K's shape in the Extreme Classification format
(15,500 training and 3,800 test documents, 5,000 features, 4,000 labels with a long tail, about 5
labels and 236 stored features per document). Each label owns a few characteristic features;
a document mixes its labels' features with background ones. Times the import and the training
(tf-idf is not involved: the features are given) and reports the peak memory of each process.
Goal: training under 60 s and under 1 GiB on 2 cores."""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def generate(path_train, path_test, n_train=15500, n_test=3800, F=5000, L=4000, per_doc=5.3,
             nnz=236, seed=1):
    rng = np.random.default_rng(seed)
    # Zipf-like label frequencies: a long tail of labels with 1-9 documents.
    weights = 1.0 / np.arange(1, L + 1) ** 1.1
    weights /= weights.sum()
    own = rng.integers(0, F, size=(L, 12))            # characteristic features per label
    # Background words are Zipfian, as in bags of words: a few very common, most rare.
    common = 1.0 / np.arange(1, F + 1)
    common /= common.sum()

    def doc():
        k = max(1, rng.poisson(per_doc))
        labels = np.unique(rng.choice(L, size=k, p=weights))
        feats = [own[l][rng.integers(0, 12, size=8)] for l in labels]
        background = rng.choice(F, size=max(nnz - 8 * len(labels), 10), replace=False, p=common)
        idx = np.unique(np.concatenate(feats + [background]))
        vals = rng.random(len(idx)).astype(np.float32) + 0.05
        return labels, idx, vals

    for path, n in ((path_train, n_train), (path_test, n_test)):
        with open(path, "w") as f:
            f.write(f"{n} {F} {L}\n")
            for _ in range(n):
                labels, idx, vals = doc()
                f.write(",".join(map(str, labels)) + " "
                        + " ".join(f"{i}:{v:.4f}" for i, v in zip(idx, vals)) + "\n")


def run(cmd):
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return json.loads(out.stdout), time.perf_counter() - t0, max(after, before) / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        train, test = os.path.join(tmp, "train.txt"), os.path.join(tmp, "test.txt")
        t0 = time.perf_counter()
        generate(train, test)
        print(f"generated corpus in {time.perf_counter() - t0:.1f} s "
              f"({os.path.getsize(train) / 2**20:.0f} MiB training file)")
        ws = os.path.join(tmp, "scale.assay")
        imp, t_imp, rss_imp = run([args.cli, "xmtc", "import", "-w", ws, train, "--test", test,
                                   "--format", "xc", "--json"])
        print(f"import: {imp['train']} train / {imp['test']} test documents, {imp['labels']} "
              f"labels: {t_imp:.1f} s, peak {rss_imp:.0f} MiB")
        res, t_train, rss_train = run([args.cli, "xmtc", "train", "-w", ws, "--dataset",
                                       str(imp["dataset"]), "--json"])
        ev = subprocess.run([args.cli, "xmtc", "eval", "-w", ws, "--run", str(res["run"]),
                             "--json"], check=True, capture_output=True, text=True)
        ev = json.loads(ev.stdout)
        print(f"  {res['weights']} weights kept of {res['features'] * res['trained_labels']}")
        print("  " + ", ".join(f"{k[8:]} {v:.2f} s" for k, v in res.items()
                               if k.startswith("seconds_")))
        print(f"train + predict: {t_train:.1f} s wall ({res['seconds_train']:.1f} s solver, "
              f"{res['trained_labels']} labels, up to {res['max_passes']} passes), peak "
              f"{rss_train:.0f} MiB")
        print(f"P@1 {ev['p@1']:.3f} P@5 {ev['p@5']:.3f} PSP@5 {ev['psp@5']:.3f} "
              f"tail labels {ev['tail_labels']}, tail macro-F1@5 {ev['tail_macro_f1@5']:.3f}")
        ok = t_train < 60 and rss_train < 1024
        print("goal (< 60 s, < 1 GiB):", "met" if ok else "NOT met")
        return 0


if __name__ == "__main__":
    sys.exit(main())
