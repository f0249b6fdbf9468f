#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Change-point benchmarks, all through assay-cli:

 1. the CoRD-CPD paper's Table 4.1 on generated particle-spring test sets (100 series per change
    type, seeds 1, 2, 3): AUC, TRI and type accuracy beside the paper's numbers;
 2. the TCPD series in the shared data: F1 and cover per series and averaged, every detector
    with its default settings;
 3. speed: scoring one series of 10^3 .. 10^6 steps (5 variables) with every detector.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

PAPER = {"location": (0.986, 0.974, 0.98), "velocity": (0.970, 0.932, 0.96),
         "connection": (0.968, 0.915, 0.93)}
DETECTORS = ["cord", "binseg", "pelt", "bocpd"]


def cli(args, *rest):
    out = subprocess.run([args.cli, *rest], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def table41(args, tmp):
    print("Table 4.1: CoRD-CPD (relational encoder, w = 20, k = 1) on particle springs, "
          "100 series per type and seed")
    print(f"{'change':<11} {'seed':>4} {'AUC':>6} {'TRI':>6} {'DIST':>6} {'type':>6}")
    means = {}
    for kind in ("location", "velocity", "connection"):
        rows = []
        for seed in (1, 2, 3):
            ws = os.path.join(tmp, f"t41-{kind}-{seed}.assay")
            ds = cli(args, "cpd", "simulate", "-w", ws, "--type", kind, "--count", "100",
                     "--seed", str(seed), "--json")["dataset"]
            r = cli(args, "cpd", "score", "-w", ws, "--dataset", str(ds), "--json")
            rows.append((r["auc"], r["tri"], r["dist"], r["type_accuracy"]))
            print(f"{kind:<11} {seed:>4} {r['auc']:6.3f} {r['tri']:6.3f} {r['dist']:6.2f} "
                  f"{r['type_accuracy']:6.2f}")
        means[kind] = [sum(c) / len(c) for c in zip(*rows)]
    print(f"\n{'change':<11} {'AUC':>6} {'paper':>6} {'TRI':>6} {'paper':>6} {'type':>6} {'paper':>6}")
    for kind, m in means.items():
        p = PAPER[kind]
        print(f"{kind:<11} {m[0]:6.3f} {p[0]:6.3f} {m[1]:6.3f} {p[1]:6.3f} {m[3]:6.2f} {p[2]:6.2f}")


def tcpd(args, tmp):
    data = os.path.join(args.data, "cpd", "tcpd")
    if not os.path.isdir(data):
        print("TCPD data not found: skipped")
        return
    ws = os.path.join(tmp, "tcpd.assay")
    ds = cli(args, "cpd", "import", "-w", ws, data, "--json")["dataset"]
    results = {}
    for d in DETECTORS:
        run = cli(args, "cpd", "score", "-w", ws, "--dataset", str(ds), "--detector", d,
                  "--json")["run"]
        results[d] = cli(args, "cpd", "eval", "-w", ws, "--run", str(run), "--json")
    names = [s["name"] for s in results["cord"]["per_series"]]
    print("\nTCPD (16 series in shared data), default settings: F1 / cover")
    print(f"{'series':<20}" + "".join(f"{d:>16}" for d in DETECTORS))
    for i, name in enumerate(names):
        cells = []
        for d in DETECTORS:
            s = results[d]["per_series"][i]
            cells.append(f"{s['f1']:.3f} / {s['cover']:.3f}")
        print(f"{name:<20}" + "".join(f"{c:>16}" for c in cells))
    print(f"{'mean':<20}" + "".join(
        f"{results[d]['f1']:.3f} / {results[d]['cover']:.3f}".rjust(16) for d in DETECTORS))
    # the learned model needs two or more variables: each multivariate series trains its own
    # (unsupervised, on its own windows) and is scored with it
    for s in results["cord"]["per_series"]:
        folder = os.path.join(data, "datasets", s["name"])
        one = os.path.join(tmp, "tcpd-%s.assay" % s["name"])
        ds = cli(args, "cpd", "import", "-w", one, folder, "--json")["dataset"]
        try:
            model = cli(args, "cpd", "train", "-w", one, "--dataset", str(ds), "--epochs", "100",
                        "--patience", "20", "--json")["model"]
        except subprocess.CalledProcessError:
            continue  # one variable: nothing to learn relations from
        r = cli(args, "cpd", "score", "-w", one, "--dataset", str(ds), "--detector", "cord-learned",
                "--model", str(model), "--json")
        print(f"{s['name']:<20} cord-learned (trained on this series): F1 {r['f1']:.3f} / cover {r['cover']:.3f}")


def speed(args, tmp):
    import random
    print("\nSpeed: one series of T steps, 5 variables (random walks with a level shift), "
          "seconds per detector (cord-learned: a width-64 model trained for 3 epochs on the "
          "10^3-step series; scoring cost does not depend on training)")
    print(f"{'T':>9}" + "".join(f"{d:>14}" for d in DETECTORS + ["cord-learned"]))
    ws = os.path.join(tmp, "speed.assay")
    datasets = {}
    for T in (1000, 10000, 100000, 1000000):
        path = os.path.join(tmp, f"walk-{T}.jsonl")
        rnd = random.Random(T)
        x = [0.0] * 5
        with open(path, "w") as f:
            f.write('{"name": "walk-%d", "change_points": [%d], "data": [' % (T, T // 2))
            for t in range(T):
                for n in range(5):
                    x[n] = 0.9 * x[n] + rnd.gauss(0, 1) + (3.0 if t == T // 2 and n < 2 else 0.0)
                f.write(("," if t else "") + "[" + ",".join(f"{v:.4f}" for v in x) + "]")
            f.write("]}\n")
        datasets[T] = cli(args, "cpd", "import", "-w", ws, path, "--json")["dataset"]
    model = cli(args, "cpd", "train", "-w", ws, "--dataset", str(datasets[1000]), "--epochs", "3",
                "--json")["model"]
    for T, ds in datasets.items():
        cells = []
        for d in DETECTORS + ["cord-learned"]:
            extra = ["--model", str(model)] if d == "cord-learned" else []
            r = cli(args, "cpd", "score", "-w", ws, "--dataset", str(ds), "--detector", d, *extra, "--json")
            cells.append(f"{r['seconds']:14.3f}")
        print(f"{T:>9}" + "".join(cells))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--only", choices=["table41", "tcpd", "speed"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "table41"):
            table41(args, tmp)
        if args.only in (None, "tcpd"):
            tcpd(args, tmp)
        if args.only in (None, "speed"):
            speed(args, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
