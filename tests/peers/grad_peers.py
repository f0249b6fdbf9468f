#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The training engine's gradients against PyTorch autograd in float64 (python3-torch).

build/tests/grad-ops runs each gradient of the CPU backend (embedding, RMSNorm, LayerNorm, RoPE,
SwiGLU, both GELUs, causal and bidirectional attention with grouped key/value heads over packed
sequences, the output layer's cross-entropy in row chunks) and AdamW with clipping and the
warm-up + cosine schedule on seeded random inputs; and CoRD-CPD's GRU (float64, back through
time) against torch.nn.GRU in float64 within 1e-6 relative, and the whole learned CoRD-CPD model
(encoder, Gumbel-softmax, message-passing roll-out, smoothness, batch norms; every parameter's
gradient, the running statistics, inference) against the same model written in torch. Here the same forward passes are written in
torch float64, autograd gives the gradients for the same upstream gradients, and
torch.optim.AdamW + clip_grad_norm_ take the same steps. Each result must agree within
max|assay - torch| <= 2e-6 * max(1, max|torch|) (float32 arithmetic against float64).

usage: grad_peers.py BUILD_DIR   (exit 77 without python3-torch)"""
import json
import math
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError:
    np = torch = None

TOL = 2e-6


def load(dir, name):
    meta = json.load(open(os.path.join(dir, name + ".json")))
    raw = open(os.path.join(dir, name + ".bin"), "rb").read()
    out, pos = {}, 0
    for key, kind, shape in meta["arrays"]:
        n = int(np.prod(shape))
        dt = {"f32": np.float32, "f64": np.float64, "i32": np.int32}[kind]
        out[key] = np.frombuffer(raw, dtype=dt, count=n, offset=pos).reshape(shape)
        pos += np.dtype(dt).itemsize * n
    return meta["params"], out


def t(a, grad=False):
    x = torch.tensor(np.asarray(a, dtype=np.float64))
    return x.requires_grad_(True) if grad else x


def compare(name, ours, ref, failures, tol=TOL):
    ours = np.asarray(ours, dtype=np.float64)
    ref = ref.detach().numpy() if hasattr(ref, "detach") else np.asarray(ref, dtype=np.float64)
    err = float(np.abs(ours - ref).max()) if ours.size else 0.0
    scale = max(1.0, float(np.abs(ref).max()) if ref.size else 0.0)
    ok = err <= tol * scale
    print("%-28s max|assay - torch f64| = %.2e  (scale %.3g)%s" % (name, err, scale, "" if ok else "  FAIL"))
    if not ok:
        failures.append(name)


def rope(x, pos, inv_freq, heads, hd):
    ang = torch.tensor(pos, dtype=torch.float64)[:, None] * torch.tensor(inv_freq, dtype=torch.float64)[None, :]
    cos, sin = torch.cos(ang), torch.sin(ang)
    out = x.clone()
    half = hd // 2
    for h in range(heads):
        a = x[:, h * hd:h * hd + half]
        b = x[:, h * hd + half:(h + 1) * hd]
        out[:, h * hd:h * hd + half] = a * cos - b * sin
        out[:, h * hd + half:(h + 1) * hd] = b * cos + a * sin
    return out


def attention(qkv, offsets, heads, kv, hd, causal):
    q = qkv[:, :heads * hd]
    k = qkv[:, heads * hd:(heads + kv) * hd]
    v = qkv[:, (heads + kv) * hd:]
    outs = []
    for s in range(len(offsets) - 1):
        a, b = offsets[s], offsets[s + 1]
        cols = []
        for h in range(heads):
            g = h // (heads // kv)
            qs, ks, vs = q[a:b, h * hd:(h + 1) * hd], k[a:b, g * hd:(g + 1) * hd], v[a:b, g * hd:(g + 1) * hd]
            sc = qs @ ks.T / math.sqrt(hd)
            if causal:
                sc = sc.masked_fill(torch.triu(torch.ones(b - a, b - a, dtype=torch.bool), 1), float("-inf"))
            cols.append(torch.softmax(sc, -1) @ vs)
        outs.append(torch.cat(cols, 1))
    return torch.cat(outs, 0)


def cord_net(d, failures):
    """The learned CoRD-CPD model written in torch from its definition (assay-cord-net.h), batch
    first as the authors' code holds it; nn.GRU (bidirectional) and F.batch_norm do the work."""
    import torch.nn.functional as F
    p, a = load(d, "cord_net")
    B, T, N, M, K, k = p["B"], p["T"], p["N"], p["M"], p["K"], p["k"]
    H, P, margin = p["hidden"], p["pred_steps"], p["margin"]
    W = {}
    for key, arr in a.items():
        if key.startswith("w:"):
            name = key[2:]
            W[name] = t(arr, grad=not name.endswith(("running_mean", "running_var")))
    send = [i for i in range(N) for j in range(N) if i != j]
    recv = [j for i in range(N) for j in range(N) if i != j]
    rel_send = torch.eye(N, dtype=torch.float64)[send]
    rel_rec = torch.eye(N, dtype=torch.float64)[recv]
    grus = {}
    for prefix in ("enc.gru1", "enc.gru2"):
        g = torch.nn.GRU(H, H // 2, bidirectional=True).double()
        with torch.no_grad():
            for nm, prm in g.named_parameters():
                prm.copy_(W["%s.%s" % (prefix, nm)])
        grus[prefix] = g

    def lin(x, name):
        return x @ W[name + ".weight"].T + W[name + ".bias"]

    def mlp(x, name, train):
        h = F.elu(lin(F.elu(lin(x, name + ".fc1")), name + ".fc2"))
        flat = F.batch_norm(h.reshape(-1, h.shape[-1]), W[name + ".bn.running_mean"], W[name + ".bn.running_var"],
                            W[name + ".bn.weight"], W[name + ".bn.bias"], training=train, momentum=0.1, eps=1e-5)
        return flat.reshape(h.shape)

    def encode(x, train):
        b = x.shape[0]
        h = mlp(x.permute(1, 0, 2, 3).reshape(T * b, N, M), "enc.mlp_in", train)
        h, _ = grus["enc.gru1"](h.reshape(T, b * N, H))
        h = h.reshape(T * b, N, H)
        skip = mlp(torch.cat([rel_rec @ h, rel_send @ h], -1), "enc.mlp2", train)
        v = mlp((rel_rec.T @ skip) / (N - 1), "enc.mlp3", train)
        u, _ = grus["enc.gru2"](v.reshape(T, b * N, H))
        u = u.reshape(T * b, N, H)
        o = mlp(torch.cat([rel_rec @ u, rel_send @ u, skip], -1), "enc.mlp_out", train)
        return lin(o, "enc.fc_out").reshape(T, b, N * (N - 1), K)

    def step(x, z):
        pre = torch.cat([rel_send @ x, rel_rec @ x], -1)
        msg = 0
        for kk in range(1, K):
            m = F.relu(lin(F.relu(lin(pre, "dec.msg_fc1.%d" % kk)), "dec.msg_fc2.%d" % kk))
            msg = msg + m * z[..., kk:kk + 1]
        aug = torch.cat([x, rel_rec.T @ msg], -1)
        h = F.relu(lin(F.relu(lin(aug, "dec.out_fc1")), "dec.out_fc2"))
        return x + lin(h, "dec.out_fc3")

    def loss(x, noise, train):
        logits = encode(x, train)
        if noise is not None:
            z = torch.softmax((logits + noise) / p["temp"], -1)
        else:
            z = torch.softmax(logits, -1)
        preds = []
        for s in range(T - 1):
            inp = x[:, s] if s % P == 0 else preds[-1]
            preds.append(step(inp, z[s]))
        pred = torch.stack(preds, 1)
        nll = 400.0 / (2 * p["var"]) * ((pred - x[:, 1:]) ** 2).mean()
        sub = logits[margin:T - margin]
        smooth = p["smooth"] * ((sub[1:] - sub[:-1]) ** 2).mean()
        return nll, smooth, logits

    x = t(a["x"]).reshape(B, T, N, M)
    noise = t(a["noise"]).reshape(T, B, N * (N - 1), K)
    nll, smooth, _ = loss(x, noise, True)
    (nll + smooth).backward()
    with torch.no_grad():
        vnll, vsmooth, _ = loss(x, None, False)
        logits = encode(x[:1], False)[:, 0]
        prob = torch.softmax(logits, -1)
        roll = torch.zeros(T, k, N, M, dtype=torch.float64)
        inp = x[0]
        for i in range(k):
            z = prob[[min(s + i, T - 1) for s in range(T)]]
            inp = step(inp, z)
            roll[:, i] = inp
    ref = torch.stack([nll + smooth, nll, smooth, vnll + vsmooth, vnll, vsmooth]).detach()
    compare("cord-net losses", a["losses"], ref, failures, 1e-6)
    worst = (0.0, "")
    for key, arr in a.items():
        if key.startswith("g:"):
            name = key[2:]
            if name.startswith(("enc.gru1.", "enc.gru2.")):
                g = dict(grus[name[:8]].named_parameters())[name[9:]].grad
            else:
                g = W[name].grad
            ref_g = g.detach().numpy().reshape(arr.shape)
            err = float(np.abs(arr - ref_g).max()) / max(1e-12, float(np.abs(ref_g).max()))
            worst = max(worst, (err, name))
            compare("cord-net d " + name, arr, ref_g, failures, 1e-6)
        elif key.startswith("after:"):
            compare("cord-net " + key[6:], arr, W[key[6:]].reshape(arr.shape), failures, 1e-6)
    print("cord-net worst gradient error relative to its tensor's largest: %.2e (%s)" % worst)
    compare("cord-net edge probabilities", a["prob"], prob.reshape(a["prob"].shape), failures, 1e-6)
    compare("cord-net roll-outs", a["rollout"], roll.reshape(a["rollout"].shape), failures, 1e-6)


def check(build):
    if torch is None:
        print("SKIP: python3-torch is not installed")
        return 77
    failures = []
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([os.path.join(build, "tests", "grad-ops"), d], check=True)

        p, a = load(d, "rmsnorm")
        x, w = t(a["x"], True), t(a["w"], True)
        y = x / torch.sqrt((x * x).mean(-1, keepdim=True) + p["eps"]) * w
        y.backward(t(a["dy"]))
        compare("rmsnorm dx", a["dx"], x.grad, failures)
        compare("rmsnorm dw", a["dw"], w.grad, failures)

        p, a = load(d, "layernorm")
        x, w, b = t(a["x"], True), t(a["w"], True), t(a["b"], True)
        torch.nn.functional.layer_norm(x, (x.shape[1],), w, b, p["eps"]).backward(t(a["dy"]))
        compare("layernorm dx", a["dx"], x.grad, failures)
        compare("layernorm dw", a["dw"], w.grad, failures)
        compare("layernorm db", a["db"], b.grad, failures)

        p, a = load(d, "rope")
        x = t(a["x"], True)
        hd, heads = p["head_dim"], p["heads"]
        rope(x, a["positions"], a["inv_freq"], heads, hd).backward(t(a["dy"]))
        compare("rope dx", a["dx"][:, :heads * hd], x.grad[:, :heads * hd], failures)
        compare("rope dx (untouched columns)", a["dx"][:, heads * hd:], t(a["dy"])[:, heads * hd:], failures)

        p, a = load(d, "swiglu")
        gu = t(a["gu"], True)
        inter = gu.shape[1] // 2
        (torch.nn.functional.silu(gu[:, :inter]) * gu[:, inter:]).backward(t(a["dy"]))
        compare("swiglu dgate|dup", a["dgu"], gu.grad, failures)

        for name, approx in (("gelu_erf", "none"), ("gelu_tanh", "tanh")):
            p, a = load(d, name)
            x = t(a["x"], True)
            torch.nn.functional.gelu(x, approximate=approx).backward(t(a["dy"]))
            compare(name + " dx", a["dx"], x.grad, failures)

        p, a = load(d, "embed")
        table = t(np.zeros((p["vocab"], a["dy"].shape[1])), True)
        table[torch.tensor(a["ids"].astype(np.int64))].backward(t(a["dy"]))
        compare("embedding dtable", a["dtable"], table.grad, failures)

        for name in ("attention_causal", "attention_bidirectional"):
            p, a = load(d, name)
            qkv = t(a["qkv"], True)
            attention(qkv, list(a["offsets"]), p["heads"], p["kv_heads"], p["head_dim"], p["causal"]).backward(
                t(a["dout"]))
            compare(name + " dq|dk|dv", a["dqkv"], qkv.grad, failures)

        p, a = load(d, "output_loss")
        h, w = t(a["h"], True), t(a["w"], True)
        logits = h @ w.T
        tg = torch.tensor(a["targets"].astype(np.int64))
        rw = t(a["row_weight"])
        keep = (tg >= 0) & (rw != 0)
        lse = torch.logsumexp(logits, -1)
        picked = logits.gather(1, tg.clamp(min=0)[:, None])[:, 0]
        loss = ((lse - picked) * rw * keep).sum()
        loss.backward()
        compare("output loss (sum)", [p["loss"]], loss.detach().reshape(1), failures)
        compare("output loss dh", a["dh"], h.grad, failures)
        compare("output loss dw", a["dw"], w.grad, failures)

        p, a = load(d, "adamw")
        p1, p2 = t(a["p1_start"], True), t(a["p2_start"], True)
        opt = torch.optim.AdamW([{"params": [p1], "weight_decay": p["weight_decay"]},
                                 {"params": [p2], "weight_decay": 0.0}], lr=1.0)
        n1 = p1.shape[0]
        norms = []
        for s, g in enumerate(a["grads"]):
            p1.grad, p2.grad = t(g[:n1]), t(g[n1:])
            norms.append(float(torch.nn.utils.clip_grad_norm_([p1, p2], p["max_norm"])))
            for group in opt.param_groups:
                group["lr"] = float(a["lr"][s])
            opt.step()
        lrs = [0.05 * min(1.0, s / 2) if s < 2 else 0.05 * 0.5 * (1 + math.cos(math.pi * (s - 2) / 6))
               for s in range(1, 9)]
        compare("warm-up + cosine lr", a["lr"], torch.tensor(lrs, dtype=torch.float64), failures)
        compare("grad norm before clipping", a["norms"], torch.tensor(norms, dtype=torch.float64), failures)
        compare("AdamW p (decayed)", a["p1"], p1, failures)
        compare("AdamW p (not decayed)", a["p2"], p2, failures)
        # CoRD-CPD's GRU, float64 on both sides: relative error <= 1e-6 (the bound; the
        # float64 loops reach ~1e-15)
        p, a = load(d, "gru")
        gru = torch.nn.GRU(a["x"].shape[1], a["h0"].shape[0], batch_first=True).double()
        with torch.no_grad():
            gru.weight_ih_l0.copy_(t(a["w_ih"]))
            gru.weight_hh_l0.copy_(t(a["w_hh"]))
            gru.bias_ih_l0.copy_(t(a["b_ih"]))
            gru.bias_hh_l0.copy_(t(a["b_hh"]))
        x, h0 = t(a["x"], True), t(a["h0"], True)
        out, _ = gru(x[None], h0[None, None])
        states = torch.cat([h0[None], out[0]], 0)
        compare("gru states", a["h"], states, failures, 1e-12)
        (states * t(a["dh"])).sum().backward()
        compare("gru d weight_ih", a["gw_ih"], gru.weight_ih_l0.grad, failures, 1e-6)
        compare("gru d weight_hh", a["gw_hh"], gru.weight_hh_l0.grad, failures, 1e-6)
        compare("gru d bias_ih", a["gb_ih"], gru.bias_ih_l0.grad, failures, 1e-6)
        compare("gru d bias_hh", a["gb_hh"], gru.bias_hh_l0.grad, failures, 1e-6)
        compare("gru dx", a["dx"], x.grad, failures, 1e-6)
        compare("gru dh0", a["dh0"], h0.grad, failures, 1e-6)
        cord_net(d, failures)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(check(sys.argv[1]))
