#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""CoRD-CPD's tables on the particle-spring simulator (thesis ch.4, Tables 4.1-4.3 and the edge
accuracy p_acc of App 9.2.2), reproduced end to end with assay-cli on fresh seeds.

  1. `cpd simulate`: for each change type (location, velocity, connection) a training set of
     TRAIN series and a test set of TEST series (seeds of their own); every sixth training series
     validates (the sizes of §4.4.1 are 500 / 100 / 100: TRAIN = 600 gives 500 and 100);
  2. `cpd train` on the three training sets together (unsupervised: change steps unused);
  3. `cpd score --detector cord-learned` on each test set, and the hand-made relational encoder
     (`cpd score`) beside it;
  4. `cpd eval --burn-in 25`: the authors' protocol (pooled ROC AUC over steps [25, 75) with
     the true step positive, TRI with w = 15 and DIST of the argmax in [25, 75)) for s_en, s_r
     alone and s_d alone; the type accuracy at the true step ("with labels") and at the
     predicted one ("without"); p_acc. The type ROC AUC (Table 4.3) is computed here over the
     three test sets together: z(s_r) - alpha z(s_d) at the true step, connection changes
     positive.
Prints the tables beside the paper's Table 4.1.

--quick (the CI test): 12 series per type, two epochs of a width-8 model; checks that every
figure is produced and lies in range, not its value.

usage: repro_cord.py BUILD_DIR [--quick] [--keep DIR] [--train N] [--test N] [--epochs E]
       [--hidden H] [--batch B] [--patience P] [--seed S]"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

PAPER = {  # Table 4.1, CoRD-CPD: AUC, TRI
    "location": (0.9864, 0.9740),
    "velocity": (0.9700, 0.9320),
    "connection": (0.9681, 0.9153),
}
TYPES = ("location", "velocity", "connection")


def cli(build, ws, *args):
    exe = os.path.join(build, "app", "cli", "assay-cli")
    out = subprocess.run([exe] + list(args[:2]) + ["-w", ws, "--json"] + list(args[2:]), capture_output=True,
                         text=True)
    if out.returncode != 0:
        sys.exit("assay-cli %s failed: %s" % (" ".join(args), out.stderr.strip()))
    return json.loads(out.stdout)


def roc_auc(scores, labels):
    """Mann-Whitney with ties as halves (plain Python: no peer needed for one number)."""
    pos = [s for s, l in zip(scores, labels) if l]
    neg = [s for s, l in zip(scores, labels) if not l]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    build = argv[1]
    opts = {"--train": 600, "--test": 100, "--epochs": 200, "--hidden": 64, "--batch": 32, "--patience": 20,
            "--seed": 1}
    quick = "--quick" in argv
    keep = None
    i = 2
    while i < len(argv):
        if argv[i] == "--keep":
            keep = argv[i + 1]
            i += 2
        elif argv[i] in opts:
            opts[argv[i]] = int(argv[i + 1])
            i += 2
        else:
            i += 1
    if quick:
        opts.update({"--train": 12, "--test": 12, "--epochs": 2, "--hidden": 8, "--batch": 8})
    folder = keep or tempfile.mkdtemp(prefix="repro-cord-")
    os.makedirs(folder, exist_ok=True)
    ws = os.path.join(folder, "cord.assay")
    if os.path.exists(ws) and not keep:
        os.remove(ws)
    train_sets, test_sets = [], {}
    seed = opts["--seed"]
    for k, t in enumerate(TYPES):
        train_sets.append(cli(build, ws, "cpd", "simulate", "--type", t, "--count", str(opts["--train"]),
                              "--seed", str(1000 * seed + k))["dataset"])
        test_sets[t] = cli(build, ws, "cpd", "simulate", "--type", t, "--count", str(opts["--test"]),
                           "--seed", str(1000 * seed + 100 + k))["dataset"]
    args = ["cpd", "train"]
    for d in train_sets:
        args += ["--dataset", str(d)]
    args += ["--epochs", str(opts["--epochs"]), "--hidden", str(opts["--hidden"]), "--msg-hidden",
             str(opts["--hidden"]), "--batch", str(opts["--batch"]), "--patience", str(opts["--patience"]),
             "--seed", str(seed)]
    t0 = time.time()
    trained = cli(build, ws, *args)
    print("trained model %d: %d epochs (best %d), validation loss %.4g, validation edge accuracy %.3f, "
          "%d parameters, %d training windows, %.0f s" % (
              trained["model"], trained["epochs"], trained["best_epoch"], trained["valid_loss"],
              trained.get("valid_edge_accuracy", float("nan")), trained["parameters"], trained["train_windows"],
              time.time() - t0))
    rows, type_scores, type_labels, base_rows = {}, [], [], {}
    for t in TYPES:
        run = cli(build, ws, "cpd", "score", "--dataset", str(test_sets[t]), "--detector", "cord-learned",
                  "--model", str(trained["model"]))["run"]
        rows[t] = cli(build, ws, "cpd", "eval", "--run", str(run), "--burn-in", "25")
        for s in rows[t]["per_series"]:
            if "type_score" in s:
                type_scores.append(s["type_score"])
                type_labels.append(t == "connection")
        base = cli(build, ws, "cpd", "score", "--dataset", str(test_sets[t]))["run"]
        base_rows[t] = cli(build, ws, "cpd", "eval", "--run", str(base), "--burn-in", "25")

    failures = []

    def check(name, v, lo=0.0, hi=1.0):
        if not (isinstance(v, (int, float)) and lo <= v <= hi):
            failures.append("%s = %r" % (name, v))

    print("\nTable 4.1 (s_en; the authors' protocol, burn-in 25):")
    print("| change | AUC | TRI | DIST | type acc. (labels) | type acc. (none) | paper AUC / TRI | relational encoder AUC / TRI |")
    print("|---|---|---|---|---|---|---|---|")
    for t in TYPES:
        p, b = rows[t]["pooled"]["s_en"], base_rows[t]["pooled"]["s_en"]
        print("| %s | %.4f | %.4f | %.2f | %.3f | %.3f | %.4f / %.4f | %.4f / %.4f |" % (
            t, p["auc"], p["tri"], p["dist"], rows[t]["type_accuracy"], rows[t]["type_accuracy_predicted"],
            PAPER[t][0], PAPER[t][1], b["auc"], b["tri"]))
        check(t + " auc", p["auc"])
        check(t + " tri", p["tri"])
        check(t + " dist", p["dist"], 0, 100)
        check(t + " type_accuracy", rows[t]["type_accuracy"])
    print("\nTables 4.2 / 9.2 (AUC / TRI of each score alone and together):")
    print("| change | s_r | s_d | s_en |")
    print("|---|---|---|---|")
    for t in TYPES:
        pl = rows[t]["pooled"]
        print("| %s | %.4f / %.4f | %.4f / %.4f | %.4f / %.4f |" % (
            t, pl["s_r"]["auc"], pl["s_r"]["tri"], pl["s_d"]["auc"], pl["s_d"]["tri"], pl["s_en"]["auc"],
            pl["s_en"]["tri"]))
        for k in ("s_r", "s_d"):
            check("%s %s auc" % (t, k), pl[k]["auc"])
    auc = roc_auc(type_scores, type_labels)
    print("\nTable 4.3: type ROC AUC (correlation vs independent changes, %d test series): %.4f" % (
        len(type_scores), auc))
    check("type roc auc", auc)
    print("\np_acc (graphs A_t against the true springs, steps 25-74):")
    for t in TYPES:
        print("  %s: learned %.4f, relational encoder %.4f" % (t, rows[t]["p_acc"], base_rows[t]["p_acc"]))
        check(t + " p_acc", rows[t]["p_acc"])
    if failures:
        print("FAILED: " + "; ".join(failures))
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
