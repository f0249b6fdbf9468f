#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Label errors planted and found: `assay-cli xmtc errors` (confident learning on out-of-fold SVM
probabilities) against the naive baseline (as many assignments, those with the lowest probability
as given), on Reuters-21578 (ModApte, multi-label) and AG News (test set, one label each).

For each noise rate (5%, 10%, 20% of the documents) and kind:
  uniform            a document's label is replaced by another one drawn at random;
  class-conditional  by the one a fixed random derangement of the labels assigns to it.
A multi-label document has one of its labels replaced (a planted "given" assignment and a planted
"missing" one). The corpus with the flips is written as JSONL and imported; precision and recall
are over the planted (document, label, given) assignments, so errors already in the data count
against precision. Reuters is also reported per bin of the label's document count: tail 1-9,
torso 10-99, head 100 and more.

With --embeddings DIM, each noisy corpus also gets an embedding set written into its workspace:
LSA vectors (scikit-learn's tf-idf of title and text, TruncatedSVD to DIM, unit length; no label
is used), standing in for an encoder's, since no pretrained encoder's weights are at hand; the
search then runs three times: the SVM alone, logistic regression on the vectors alone, and the
mean of both (--probabilities svm|embeddings|mean).

usage: label_errors_bench.py --cli BUILD/app/cli/assay-cli --data SHARED_DATA [--rates 0.05,0.1,0.2]
       [--only reuters|agnews] [--seed S] [--embeddings DIM]"""
import argparse
import json
import os
import random
import sqlite3
import struct
import subprocess
import sys
import tempfile


def cli(args, *rest):
    out = subprocess.run([args.cli, *rest], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def read_docs(ws, dataset):
    db = sqlite3.connect(ws)
    names = [r[0] for r in db.execute("SELECT name FROM xmtc_labels WHERE dataset_id = ? ORDER BY idx", (dataset,))]
    docs = []
    for ext, split, title, text, blob in db.execute(
            "SELECT ext_id, split, title, text, labels FROM xmtc_documents WHERE dataset_id = ? ORDER BY id", (dataset,)):
        labels = [names[i] for i in struct.unpack("<%dI" % (len(blob) // 4), blob)]
        docs.append({"id": ext, "split": split, "title": title or "", "text": text or "", "labels": labels})
    db.close()
    return names, docs


def plant(docs, names, rate, kind, rng):
    """A copy of docs with flips; the planted assignments {(doc id, label, given)}."""
    out = [dict(d, labels=list(d["labels"])) for d in docs]
    perm = names[:]
    while any(a == b for a, b in zip(perm, names)):
        rng.shuffle(perm)
    derange = dict(zip(names, perm))
    planted = set()
    order = list(range(len(out)))
    rng.shuffle(order)
    want = round(rate * len(out))
    for i in order:
        if len(planted) >= 2 * want:
            break
        d = out[i]
        if not d["labels"]:
            continue
        old = rng.choice(d["labels"])
        if kind == "uniform":
            choices = [n for n in names if n not in d["labels"]]
            if not choices:
                continue
            new = rng.choice(choices)
        else:
            new = derange[old]
            if new in d["labels"]:
                continue
        d["labels"] = [new if l == old else l for l in d["labels"]]
        planted.add((d["id"], new, True))
        planted.add((d["id"], old, False))
    return out, planted


def scores(found, planted, one_label):
    """Precision and recall; a one-label corpus judges the doubted given label only."""
    if one_label:
        planted = {p for p in planted if p[2]}
    s = {(e["document"], e["label"], e["given"]) for e in found}
    hit = len(s & planted)
    return (hit / len(s) if s else float("nan")), (hit / len(planted) if planted else float("nan")), len(s)


def bins(found, planted, counts):
    out = {}
    for name, lo, hi in (("tail", 1, 9), ("torso", 10, 99), ("head", 100, 10 ** 9)):
        f = {(e["document"], e["label"], e["given"]) for e in found if lo <= counts.get(e["label"], 0) <= hi}
        p = {x for x in planted if lo <= counts.get(x[1], 0) <= hi}
        hit = len(f & p)
        out[name] = (hit / len(f) if f else float("nan"), hit / len(p) if p else float("nan"), len(p))
    return out


def write_lsa(ws, dataset, dim):
    """An embedding set of LSA vectors of the dataset's documents (title and text); its id."""
    import numpy as np
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    db = sqlite3.connect(ws)
    rows = db.execute("SELECT id, coalesce (title, '') || ' ' || coalesce (text, '') FROM xmtc_documents "
                      "WHERE dataset_id = ? ORDER BY id", (dataset,)).fetchall()
    x = TfidfVectorizer(sublinear_tf=True).fit_transform([t for _, t in rows])
    v = TruncatedSVD(dim, random_state=0).fit_transform(x)
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    cur = db.execute("INSERT INTO embedding_sets (dataset_id, key, model, settings, dim, dtype) VALUES "
                     "(?, 'lsa', 'lsa', '{\"field\": \"text\"}', ?, 'f32')", (dataset, dim))
    set_id = cur.lastrowid
    db.executemany("INSERT INTO embeddings (set_id, item_id, text_hash, vector) VALUES (?, ?, '', ?)",
                   [(set_id, i, v[k].astype(np.float32).tobytes()) for k, (i, _) in enumerate(rows)])
    db.commit()
    db.close()
    return set_id


def run(args, tmp, label, ws, dataset, rng_seed):
    names, docs = read_docs(ws, dataset)
    one_label = all(len(d["labels"]) == 1 for d in docs)
    print("\n%s: %d documents, %d labels%s" % (label, len(docs), len(names), ", one label each" if one_label else ""))
    print("| noise | kind | %sfound | CL precision | CL recall | baseline precision | baseline recall | seconds |"
          % ("probabilities | " if args.embeddings else ""))
    print("|---|---|---|---|---|---|---|---|%s" % ("---|" if args.embeddings else ""))
    per_bin = []
    for rate in args.rates:
        for kind in ("uniform", "class-conditional"):
            rng = random.Random(rng_seed * 1000 + int(rate * 100) + (kind == "uniform"))
            noisy, planted = plant(docs, names, rate, kind, rng)
            path = os.path.join(tmp, "%s-%g-%s.jsonl" % (label.split()[0], rate, kind))
            with open(path, "w") as f:
                for d in noisy:
                    f.write(json.dumps(d) + "\n")
            nws = os.path.join(tmp, "%s-%g-%s.assay" % (label.split()[0], rate, kind))
            ds = cli(args, "xmtc", "import", "-w", nws, path, "--format", "jsonl", "--json")["dataset"]
            models = [None]
            if args.embeddings:
                set_id = write_lsa(nws, ds, args.embeddings)
                models = ["svm", "embeddings", "mean"]
            for model in models:
                extra = ["--embeddings", str(set_id), "--probabilities", model] if model else []
                r = cli(args, "xmtc", "errors", "-w", nws, "--dataset", str(ds), "--baseline", "--json", *extra)
                p, rc, n = scores(r["errors"], planted, one_label)
                bp, brc, _ = scores(r["baseline"], planted, one_label)
                print("| %g%% | %s | %s%d | %.3f | %.3f | %.3f | %.3f | %.1f |"
                      % (100 * rate, kind, model + " | " if model else "", n, p, rc, bp, brc, r["seconds"]))
            if not one_label:
                counts = {}  # the label's documents before the flips
                for d in docs:
                    for l in d["labels"]:
                        counts[l] = counts.get(l, 0) + 1
                per_bin.append((rate, kind, bins(r["errors"], planted, counts), bins(r["baseline"], planted, counts)))
    if per_bin:
        print("\n%s per bin of the label's documents (precision / recall, planted assignments):" % label)
        print("| noise | kind | tail CL | tail baseline | torso CL | torso baseline | head CL | head baseline |")
        print("|---|---|---|---|---|---|---|---|")
        for rate, kind, cl, base in per_bin:
            cells = []
            for b in ("tail", "torso", "head"):
                cells.append("%.2f / %.2f (%d)" % cl[b])
                cells.append("%.2f / %.2f" % base[b][:2])
            print("| %g%% | %s | %s |" % (100 * rate, kind, " | ".join(cells)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--rates", default="0.05,0.1,0.2")
    ap.add_argument("--only", choices=["reuters", "agnews"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--embeddings", type=int, default=0, help="LSA width of an embedding set (0: none)")
    args = ap.parse_args()
    args.rates = [float(x) for x in args.rates.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "agnews"):
            ws = os.path.join(tmp, "ag.assay")
            ds = cli(args, "xmtc", "import", "-w", ws, os.path.join(args.data, "text", "ag_news_test.csv"),
                     "--format", "csv", "--no-header", "--text-column", "2,3", "--label-column", "1", "--json")["dataset"]
            run(args, tmp, "AG News (test set)", ws, ds, args.seed)
        if args.only in (None, "reuters"):
            ws = os.path.join(tmp, "reuters.assay")
            ds = cli(args, "xmtc", "import", "-w", ws, os.path.join(args.data, "xmtc", "reuters21578"), "--json")["dataset"]
            run(args, tmp, "Reuters-21578 (ModApte)", ws, ds, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
