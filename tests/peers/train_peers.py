#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The training engine's whole backward pass against PyTorch autograd in float64.

Tiny random Llama (grouped key/value heads) and Qwen2 (q/k/v biases, tied embeddings) models
from build/tests/make-test-lm; build/tests/train-grads runs one forward + backward pass over a
packed batch of three sequences (one longer than an attention block) with unscored prompt
tokens and per-token weights, and writes every parameter's gradient. Here the same weights go
through transformers' Llama/Qwen2 forward written in torch float64 (tests/peers/lm_peers.py),
one sequence at a time, the same weighted token cross-entropy is summed, and autograd gives the
gradients. Agreement: for the loss and every parameter, max|assay - torch| <= 1e-5 * max|torch|
(the engine computes in float32), and the per-token log-probabilities within 1e-5.

usage: train_peers.py BUILD_DIR   (exit 77 without python3-torch)"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lm_peers import TorchLM, read_safetensors, torch  # noqa: E402

import numpy as np  # noqa: E402

REL = 1e-5


def check_model(build, arch, tmp, failures):
    folder = os.path.join(tmp, arch)
    out = os.path.join(tmp, arch + "-out")
    os.makedirs(out)
    subprocess.run([os.path.join(build, "tests", "make-test-lm"), folder, "--arch", arch], check=True,
                   capture_output=True)
    subprocess.run([os.path.join(build, "tests", "train-grads"), folder, out], check=True)
    batch = json.load(open(os.path.join(out, "batch.json")))
    ours = read_safetensors(os.path.join(out, "grads.safetensors"))

    lm = TorchLM(folder, torch.float64)
    for v in lm.w.values():
        v.requires_grad_(True)
    head = lm.w.get("lm_head.weight", lm.w["model.embed_tokens.weight"])
    ids, off = batch["ids"], batch["offsets"]
    loss = 0
    logprobs = []
    for s in range(len(off) - 1):
        seq = torch.tensor(ids[off[s]:off[s + 1]])[None]
        h = lm._llama(seq)[0]
        lp = torch.log_softmax(h @ head.T, -1)
        for i, t in enumerate(range(off[s], off[s + 1])):
            tg = batch["targets"][t]
            if tg >= 0:
                loss = loss - batch["weights"][t] * lp[i, tg]
                logprobs.append((batch["logprobs"][t], float(lp[i, tg])))
    loss.backward()
    rows = [("loss", abs(batch["loss"] - float(loss)), abs(float(loss)))]
    lp_err = max(abs(a - b) for a, b in logprobs)
    for name, w in lm.w.items():
        if name == "lm_head.weight" and name not in ours:
            continue
        ref = w.grad.detach().numpy()
        rows.append((name, float(np.abs(ours[name] - ref).max()), float(np.abs(ref).max())))
    worst = max(rows[1:], key=lambda r: r[1] / max(r[2], 1e-30))
    for name, err, scale in [rows[0], worst]:
        ok = err <= REL * scale
        print("%-6s %-44s max|assay - torch f64| = %.2e of %.2e%s"
              % (arch, name + (" (worst of %d tensors)" % (len(rows) - 1) if name == worst[0] else ""),
                 err, scale, "" if ok else "  FAIL"))
        if not ok:
            failures.append(arch + " " + name)
    bad = [r for r in rows if r[1] > REL * r[2]]
    for name, err, scale in bad:
        if name not in (rows[0][0], worst[0]):
            print("%-6s %-44s max|assay - torch f64| = %.2e of %.2e  FAIL" % (arch, name, err, scale))
            failures.append(arch + " " + name)
    print("%-6s %-44s max|assay - torch f64| = %.2e (%d scored tokens)%s"
          % (arch, "log p(target)", lp_err, len(logprobs), "" if lp_err <= 1e-5 else "  FAIL"))
    if lp_err > 1e-5:
        failures.append(arch + " log-probabilities")


def main():
    if torch is None:
        print("SKIP: python3-torch is not installed")
        return 77
    build = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for arch in ("llama", "qwen2"):
            check_model(build, arch, tmp, failures)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
