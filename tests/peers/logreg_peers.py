#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assay's logistic regression (core/xmtc/assay-logreg.c) against scikit-learn and a float64
optimum computed here.

The same problems go to build/tests/logreg-fit and to sklearn.linear_model.LogisticRegression
(lbfgs, tol 1e-10, max_iter 10000): a 6-class softmax problem (multi_class="multinomial"), an
ill-conditioned one (features scaled by 1 to 30, C 100), a nearly separable one (C 1e4), a
3-class one fitted on a subset of its rows, and a 5-output sigmoid problem with examples carrying
0 to 3 outputs (one binary LogisticRegression per output), and the first again on a subset with
its rows widened to float64 128 at a time. scikit-learn's lbfgs stops on its
relative decrease of the objective before the gradient is small, so the reference is its
solution polished further: the objective C sum loss + 1/2 ||W||^2 and its gradient written here
in float64 from the equations, minimised by scipy's L-BFGS-B from scikit-learn's solution with
gtol 1e-12. Assay is run to a gradient of 1e-14 (its per-example mean form; the label-error
search stops at 1e-6). Agreement: every predicted probability within 1e-5 of the reference and
the objective within 1e-9 relative of its; scikit-learn's own distance is printed beside.

usage: logreg_peers.py BUILD_DIR   (exit 77 without scikit-learn)"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
except ImportError:
    print("SKIP: scikit-learn is not installed")
    sys.exit(77)


def objective(kind, C, x, labels, w, b):
    z = x @ w.T + b
    if kind == "softmax":
        m = z.max(1, keepdims=True)
        lse = (m + np.log(np.exp(z - m).sum(1, keepdims=True)))[:, 0]
        loss = sum(lse[i] - z[i, l[0]] for i, l in enumerate(labels))
    else:
        y = np.zeros_like(z)
        for i, l in enumerate(labels):
            y[i, l] = 1
        loss = (np.logaddexp(0, z) - y * z).sum()
    return C * loss + 0.5 * (w ** 2).sum()


def polish(kind, C, x, labels, K, w, b):
    """The reference optimum: scipy's L-BFGS-B on the float64 objective, from (w, b)."""
    from scipy.optimize import minimize
    n, d = x.shape
    Y = np.zeros((n, K))
    for i, l in enumerate(labels):
        Y[i, l] = 1

    def fg(theta):
        W, B = theta[:K * d].reshape(K, d), theta[K * d:]
        z = x @ W.T + B
        if kind == "softmax":
            m = z.max(1, keepdims=True)
            lse = m + np.log(np.exp(z - m).sum(1, keepdims=True))
            loss = (lse[:, 0] - (z * Y).sum(1)).sum()
            r = np.exp(z - lse) - Y
        else:
            loss = (np.logaddexp(0, z) - Y * z).sum()
            r = 1 / (1 + np.exp(-z)) - Y
        f = C * loss + 0.5 * (W ** 2).sum()
        g = np.concatenate([(C * r.T @ x + W).ravel(), C * r.sum(0)])
        return f, g
    res = minimize(fg, np.concatenate([w.ravel(), b]), jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-12, "ftol": 1e-17, "maxiter": 200000, "maxcor": 30})
    return res.x[:K * d].reshape(K, d), res.x[K * d:], float(np.abs(res.jac).max())


def probabilities(kind, x, w, b):
    z = x @ w.T + b
    if kind == "softmax":
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(1, keepdims=True)
    return 1 / (1 + np.exp(-z))


def sklearn_fit(kind, C, x, labels, K):
    if kind == "softmax":
        m = LogisticRegression(C=C, tol=1e-10, max_iter=10000, multi_class="multinomial")
        m.fit(x, [l[0] for l in labels])
        return m.coef_, m.intercept_, m.predict_proba
    ws, bs, models = [], [], []
    for k in range(K):
        y = [1 if k in l else 0 for l in labels]
        m = LogisticRegression(C=C, tol=1e-10, max_iter=10000).fit(x, y)
        ws.append(m.coef_[0])
        bs.append(m.intercept_[0])
        models.append(m)
    return np.array(ws), np.array(bs), lambda xx: np.stack([m.predict_proba(xx)[:, 1] for m in models], 1)


def case(build, tmp, name, kind, C, x, labels, K, rows=None, block_rows=0):
    path = os.path.join(tmp, name + ".json")
    out = os.path.join(tmp, name + "-out.json")
    data = {"kind": kind, "C": C, "K": K, "x": x.tolist(), "labels": labels, "tol": 1e-14}
    if rows is not None:
        data["rows"] = rows
    if block_rows:
        data["block_rows"] = block_rows
    json.dump(data, open(path, "w"))
    subprocess.run([os.path.join(build, "tests", "logreg-fit"), path, out], check=True)
    got = json.load(open(out))
    xf = x.astype(np.float32).astype(np.float64)  # (the engine reads float32)
    fx = xf[rows] if rows is not None else xf
    fl = [labels[i] for i in rows] if rows is not None else labels
    w, b, proba = sklearn_fit(kind, C, fx, fl, K)
    rw, rb, rg = polish(kind, C, fx, fl, K, w, b)
    p_ref = probabilities(kind, xf, rw, rb)
    p_err = float(np.abs(np.array(got["p"]) - p_ref).max())
    sk_err = float(np.abs(proba(xf) - p_ref).max())
    ours = objective(kind, C, fx, fl, np.array(got["w"]), np.array(got["b"]))
    ref = objective(kind, C, fx, fl, rw, rb)
    ok = p_err <= 1e-5 and abs(ours - ref) <= 1e-9 * abs(ref)
    print("%-17s %-7s n %3d dim %d K %d: max|p - ref| %.1e (sklearn's %.1e), objective %.12g (ref %.12g, "
          "its max|g| %.0e), %d iterations%s"
          % (name, kind, len(fl), x.shape[1], K, p_err, sk_err, ours, ref, rg, got["iterations"], "" if ok else "  FAIL"))
    return ok


def main():
    build = sys.argv[1]
    rng = np.random.default_rng(3)
    fails = 0
    with tempfile.TemporaryDirectory() as tmp:
        # softmax: 6 Gaussian classes in 24 dimensions, overlapping
        n, d, K = 900, 24, 6
        centres = rng.normal(0, 1.0, (K, d))
        y = rng.integers(0, K, n)
        x = centres[y] + rng.normal(0, 1.5, (n, d))
        fails += not case(build, tmp, "multinomial", "softmax", 1.0, x, [[int(v)] for v in y], K)
        # ill-conditioned: columns scaled 1..30, weak regularisation
        xs = x * np.linspace(1, 30, d)
        fails += not case(build, tmp, "ill-conditioned", "softmax", 100.0, xs, [[int(v)] for v in y], K)
        # nearly separable: far-apart classes, very weak regularisation
        x2 = centres[y] * 4 + rng.normal(0, 0.5, (n, d))
        fails += not case(build, tmp, "nearly-separable", "softmax", 1e4, x2, [[int(v)] for v in y], K)
        # a subset of the rows, three classes
        y3 = y % 3
        rows = sorted(rng.choice(n, 500, replace=False).tolist())
        fails += not case(build, tmp, "rows-subset", "softmax", 0.5, x, [[int(v)] for v in y3], 3, rows=rows)
        # sigmoid: 5 outputs, each example 0..3 of them
        K5 = 5
        wtrue = rng.normal(0, 1, (K5, d))
        z = x @ wtrue.T / 4 + rng.normal(0, 1, (n, K5))
        labels = [sorted(np.argsort(-z[i])[:int(rng.integers(0, 4))].tolist()) for i in range(n)]
        fails += not case(build, tmp, "multi-label", "sigmoid", 2.0, x, labels, K5)
        # the rows widened 128 at a time (large problems are), on a subset: 7 blocks, the last partial
        fails += not case(build, tmp, "blocks-of-128", "softmax", 1.0, x, [[int(v)] for v in y], K,
                          rows=rows, block_rows=128)
    print("%d failed" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
