#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assay's label model against real peers, on Reuters-21578 ModApte.

Test mode (default):
  * tf-idf: the same vocabulary and idf as scikit-learn's TfidfVectorizer with its defaults;
  * P@1/3/5 within 1.0 point of scikit-learn (OneVsRestClassifier(LinearSVC)) with matched
    settings, for the hinge and the squared-hinge loss;
  * on four binary problems (head, torso and tail labels), the primal objective of Assay's
    weights within 1e-3 relative of LIBLINEAR's (liblinear-train -s 3 / -s 2, -e 1e-4, -B 1),
    both objectives computed here in float64.
Benchmark mode (--bench N): end-to-end tf-idf + train + predict, Assay against scikit-learn with
n_jobs=1 and n_jobs=2, interleaved N times; medians and ratios.

Exit status 77 (skip) when scikit-learn, liblinear-tools or the data are missing.
"""
import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

SKIP = 77


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


try:
    import numpy as np
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
except ImportError as e:  # pragma: no cover
    skip(f"python3-sklearn is not installed ({e})")


def cli(args, *rest):
    out = subprocess.run([args.cli, *rest], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def load_corpus(ws, dataset):
    """Texts and labels exactly as Assay reads them from the workspace."""
    db = sqlite3.connect(ws)
    names = [r[0] for r in db.execute(
        "SELECT name FROM xmtc_labels WHERE dataset_id = ? ORDER BY idx", (dataset,))]
    rows = db.execute("SELECT split, title, text, labels FROM xmtc_documents "
                      "WHERE dataset_id = ? ORDER BY id", (dataset,)).fetchall()
    db.close()

    def text(title, body):
        if title is not None and body:
            return title + "\n" + body
        return title if title is not None else (body or "")
    out = {"train": ([], []), "test": ([], [])}
    for split, title, body, blob in rows:
        out[split][0].append(text(title, body))
        out[split][1].append(list(np.frombuffer(blob, dtype="<u4")))
    return names, out


def precision_at(top, truth, k):
    return float(np.mean([len(set(t[:k]) & set(y)) / k for t, y in zip(top, truth)]))


def sklearn_run(corpus, n_labels, loss, n_jobs):
    (tr_x, tr_y), (te_x, te_y) = corpus["train"], corpus["test"]
    t0 = time.perf_counter()
    vec = TfidfVectorizer()  # its defaults (float64)
    X = vec.fit_transform(tr_x)
    Xt = vec.transform(te_x)
    t1 = time.perf_counter()
    mlb = MultiLabelBinarizer(classes=list(range(n_labels)))
    Y = mlb.fit_transform(tr_y)
    clf = OneVsRestClassifier(LinearSVC(C=1.0, loss=loss), n_jobs=n_jobs).fit(X, Y)
    t2 = time.perf_counter()
    scores = clf.decision_function(Xt)
    top = np.argsort(-scores, axis=1)[:, :5]
    t3 = time.perf_counter()
    return {"vectorize": t1 - t0, "fit": t2 - t1, "predict": t3 - t2, "total": t3 - t0,
            "p": [precision_at(top, te_y, k) for k in (1, 3, 5)], "vectorizer": vec}


def assay_train(args, ws, dataset, *extra):
    t0 = time.perf_counter()
    result = cli(args, "xmtc", "train", "-w", ws, "--dataset", str(dataset), "--json", *extra)
    result["wall"] = time.perf_counter() - t0
    ev = cli(args, "xmtc", "eval", "-w", ws, "--run", str(result["run"]), "--json")
    result["p"] = [ev["p@1"], ev["p@3"], ev["p@5"]]
    return result


def weights_of(ws, run, label, n_features):
    db = sqlite3.connect(ws)
    row = db.execute("SELECT intercept, indices, weights FROM xmtc_weights "
                     "WHERE run_id = ? AND label_idx = ?", (run, label)).fetchone()
    db.close()
    w = np.zeros(n_features + 1)
    idx = np.frombuffer(row[1], dtype="<u4")
    w[idx] = np.frombuffer(row[2], dtype="<f4")
    w[n_features] = row[0]
    return w


def primal(X, y, w, loss, C=1.0):
    margin = np.maximum(0.0, 1.0 - y * (X @ w[:-1] + w[-1]))
    return 0.5 * float(w @ w) + C * float(np.sum(margin ** 2 if loss == "squared" else margin))


def liblinear(X, y, solver, workdir):
    data = os.path.join(workdir, "binary.txt")
    model = os.path.join(workdir, "binary.model")
    X = X.tocsr().astype(np.float64)
    X.sort_indices()  # LIBLINEAR wants ascending feature indices
    with open(data, "w") as f:
        for i in range(X.shape[0]):
            lo, hi = X.indptr[i], X.indptr[i + 1]
            feats = " ".join(f"{j + 1}:{v:.9g}" for j, v in zip(X.indices[lo:hi], X.data[lo:hi]))
            f.write(f"{int(y[i]):+d} {feats}\n")
    subprocess.run(["liblinear-train", "-q", "-s", solver, "-e", "1e-4", "-B", "1", "-c", "1",
                    data, model], check=True)
    lines = open(model).read().split("\n")
    first = [l for l in lines if l.startswith("label ")][0].split()[1]
    w = np.array([float(l) for l in lines[lines.index("w") + 1:] if l.strip()])
    return -w if first == "-1" else w


def test(args, ws, dataset, names, corpus):
    failures = 0
    n_labels = len(names)

    def check(ok, what):
        nonlocal failures
        print(("ok    " if ok else "FAIL  ") + what)
        failures += not ok

    # P@k against scikit-learn, both losses
    for loss, ours_loss in (("hinge", "hinge"), ("squared_hinge", "squared-hinge")):
        theirs = sklearn_run(corpus, n_labels, loss, 1)
        ours = assay_train(args, ws, dataset, "--loss", ours_loss)
        for k, a, b in zip((1, 3, 5), ours["p"], theirs["p"]):
            check(abs(a - b) <= 0.01,
                  f"{loss}: P@{k} Assay {100 * a:.2f} vs scikit-learn {100 * b:.2f} "
                  f"(|diff| {100 * abs(a - b):.2f} <= 1.00 point)")
        vec = theirs["vectorizer"]

    # tf-idf: same vocabulary and idf
    db = sqlite3.connect(ws)
    terms = db.execute("SELECT term, idf FROM xmtc_run_terms WHERE run_id = ? ORDER BY idx",
                       (ours["run"],)).fetchall()
    db.close()
    same_vocab = [t for t, _ in terms] == sorted(vec.vocabulary_)
    check(same_vocab, f"tf-idf vocabulary: {len(terms)} terms, identical to scikit-learn's")
    if same_vocab:
        diff = float(np.max(np.abs(np.array([i for _, i in terms]) - vec.idf_)))
        check(diff < 1e-5, f"idf: max |diff| {diff:.2e} < 1e-5")

    # SVM objective against LIBLINEAR on binary problems (tight tolerance on both sides)
    if shutil.which("liblinear-train") is None:
        print("SKIP  liblinear-train not installed: objective check skipped")
    else:
        X = vec.transform(corpus["train"][0]).astype(np.float64)
        counts = np.bincount(np.concatenate([np.array(y, dtype=np.int64)
                                             for y in corpus["train"][1]]), minlength=n_labels)
        order = np.argsort(-counts)
        picks = [order[0], order[1], order[len(order) // 3],
                 [l for l in order if 1 <= counts[l] <= 9][0]]
        runs = {}
        for solver, loss, name in (("3", "hinge", "hinge"), ("2", "squared", "squared-hinge")):
            runs[loss] = assay_train(args, ws, dataset, "--loss", name, "--eps", "1e-4",
                                     "--prune", "0", "--max-iter", "100000")["run"]
            with tempfile.TemporaryDirectory() as tmp:
                for label in picks:
                    y = np.array([1.0 if label in ys else -1.0 for ys in corpus["train"][1]])
                    ours = weights_of(ws, runs[loss], int(label), X.shape[1])
                    theirs = liblinear(X, y, solver, tmp)
                    fo, ft = primal(X, y, ours, loss), primal(X, y, theirs, loss)
                    rel = abs(fo - ft) / ft
                    check(rel <= 1e-3,
                          f"-s {solver} label {names[label]} ({counts[label]} positives): "
                          f"objective Assay {fo:.6f} vs LIBLINEAR {ft:.6f}, relative {rel:.1e}")
    return failures


def bench(args, ws, dataset, names, corpus, repeats):
    n_labels = len(names)
    rows = {"assay": [], "assay_no_load": [], "assay_process": [], "sk1": [], "sk2": []}
    p = {}
    for r in range(repeats):
        # The same loss as scikit-learn's default LinearSVC, for equal P@1
        ours = assay_train(args, ws, dataset, "--loss", "squared-hinge")
        rows["assay"].append(ours["seconds"])
        rows["assay_no_load"].append(ours["seconds"] - ours["seconds_load"] - ours["seconds_store"])
        rows["assay_process"].append(ours["wall"])
        p["assay"] = ours["p"]
        for jobs in (1, 2):
            s = sklearn_run(corpus, n_labels, "squared_hinge", jobs)
            rows[f"sk{jobs}"].append(s["total"])
            p[f"sk{jobs}"] = s["p"]
            p[f"sk{jobs}_parts"] = (s["vectorize"], s["fit"], s["predict"])
    med = {k: statistics.median(v) for k, v in rows.items()}
    best = min(med["sk1"], med["sk2"])
    print(f"Reuters-21578 ModApte, {len(corpus['train'][0])} train / {len(corpus['test'][0])} "
          f"test documents, {n_labels} labels; medians of {repeats} interleaved runs")
    print(f"  scikit-learn n_jobs=1: {med['sk1']:.3f} s (vectorize {p['sk1_parts'][0]:.2f} + fit "
          f"{p['sk1_parts'][1]:.2f} + predict {p['sk1_parts'][2]:.2f}), P@1 {100 * p['sk1'][0]:.2f}")
    print(f"  scikit-learn n_jobs=2: {med['sk2']:.3f} s, P@1 {100 * p['sk2'][0]:.2f}")
    print(f"  Assay, tf-idf + train + predict:          {med['assay_no_load']:.3f} s  "
          f"-> {best / med['assay_no_load']:.2f}x faster than the best scikit-learn")
    print(f"  Assay, + reading and saving the workspace: {med['assay']:.3f} s  "
          f"-> {best / med['assay']:.2f}x")
    print(f"  Assay, whole assay-cli process:            {med['assay_process']:.3f} s  "
          f"-> {best / med['assay_process']:.2f}x")
    print(f"  Assay P@1 {100 * p['assay'][0]:.2f} P@3 {100 * p['assay'][1]:.2f} "
          f"P@5 {100 * p['assay'][2]:.2f}; scikit-learn P@1 {100 * p['sk1'][0]:.2f} "
          f"P@3 {100 * p['sk1'][1]:.2f} P@5 {100 * p['sk1'][2]:.2f}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--data", required=True, help="the shared data folder")
    ap.add_argument("--bench", type=int, default=0, help="benchmark: number of interleaved runs")
    args = ap.parse_args()
    reuters = os.path.join(args.data, "xmtc", "reuters21578")
    if not os.path.isdir(reuters):
        skip(f"Reuters-21578 not found under {args.data}")
    with tempfile.TemporaryDirectory() as tmp:
        ws = os.path.join(tmp, "reuters.assay")
        dataset = cli(args, "xmtc", "import", "-w", ws, reuters, "--json")["dataset"]
        names, corpus = load_corpus(ws, dataset)
        if args.bench:
            return bench(args, ws, dataset, names, corpus, args.bench)
        failures = test(args, ws, dataset, names, corpus)
        print(f"{failures} failed")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
