#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The training engine's whole backward pass against PyTorch autograd in float64.

Tiny random Llama (grouped key/value heads), Qwen2 (q/k/v biases, tied embeddings) and GPT-2
(LayerNorm, learned positions, Conv1D weights, tanh GELU, tied head) models
from build/tests/make-test-lm; build/tests/train-grads runs one forward + backward pass over a
packed batch of three sequences (one longer than an attention block) with unscored prompt
tokens and per-token weights, and writes every parameter's gradient. Here the same weights go
through transformers' Llama/Qwen2 forward written in torch float64 (tests/peers/lm_peers.py),
one sequence at a time, the same weighted token cross-entropy is summed, and autograd gives the
gradients. Agreement: for the loss and every parameter, max|assay - torch| <= 1e-5 * max|torch|
(the engine computes in float32), and the per-token log-probabilities within 1e-5.

LoRA the same way: rank-4 adapters (alpha 8) on every linear of the Llama model with random B and
dropout 0.3, whose masks are drawn here from the engine's documented hash; the gradients of every A
and B against autograd through W x + (alpha / r) B A dropout(x).

Then `assay-cli train sft` end to end: a workspace of 12 prompt/completion records, 9 accepted
(with an edit on one: the edit is learnt), one step over them all; the step's loss (the mean
over completion tokens, the model's EOS after each) and gradient norm must be torch's on the same
token ids (from `assay-cli lm tokenize`) within 1e-5, and the written folder must open and hold
weights changed by that step.

And `assay-cli train dpo`: 8 accepted pairs, two steps each over all of them; step 1's loss
(log 2: the policy is its own reference) and gradient norm, and after torch.optim.AdamW takes the
same first step, step 2's loss, rewards/chosen, rewards/rejected, rewards/margins,
rewards/accuracies and logps, all within 1e-4 relative; the same for IPO's first step.

Checkpoints: the full model `train sft` wrote and the merged folder and PEFT adapter of
`train sft --lora 4` are read by the torch reference (the adapter applied as PEFT applies it,
W + (alpha / r) B A, from adapter_model.safetensors and adapter_config.json): their log-probs of
the records' completions equal `assay-cli lm score` on the written folders within 1e-4. The same
for GPT-2 with adapters on c_attn and c_proj (PEFT's fan_in_fan_out: W [in, out] + (alpha / r)
(B A)^T), and its LoRA gradients (dropout included) against autograd as Llama's.

usage: train_peers.py BUILD_DIR   (exit 77 without python3-torch)"""
import json
import math
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
    gpt2 = arch == "gpt2"
    head = lm.w.get("lm_head.weight", lm.w["transformer.wte.weight" if gpt2 else "model.embed_tokens.weight"])
    ids, off = batch["ids"], batch["offsets"]
    loss = 0
    logprobs = []
    for s in range(len(off) - 1):
        seq = torch.tensor(ids[off[s]:off[s + 1]])[None]
        h = (lm._gpt2 if gpt2 else lm._llama)(seq)[0]
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


SLOTS = {"self_attn.q_proj": 1, "self_attn.k_proj": 2, "self_attn.v_proj": 3, "self_attn.o_proj": 7,
         "mlp.gate_proj": 9, "mlp.up_proj": 10, "mlp.down_proj": 11,
         "attn.c_attn": 2, "attn.c_proj": 4, "mlp.c_fc": 8, "mlp.c_proj": 10}  # (GPT-2's slots)
M64 = (1 << 64) - 1


def hash01(keys):
    """The engine's dropout draw (splitmix64's finaliser), for an array of uint64 keys."""
    with np.errstate(over="ignore"):
        x = keys + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / 9007199254740992.0


def keep_mask(seed, layer, module, rows, cols, p):
    key = (seed * 1000003 + layer * 12 + SLOTS[module]) & M64
    base = np.uint64((key * 0x100000001B3) & M64)
    draws = hash01(base ^ np.arange(rows * cols, dtype=np.uint64)).reshape(rows, cols)
    return torch.tensor((draws >= p).astype(np.float64) / (1.0 - p))


def lora_llama(lm, lora, scale, p, ids, offsets, seed):
    """transformers' Llama forward with PEFT's LoRA linears, every packed sequence apart."""
    c, w = lm.cfg, lm.w
    H, nh = c["hidden_size"], c["num_attention_heads"]
    nkv = c.get("num_key_value_heads", nh)
    hd = H // nh
    eps = c.get("rms_norm_eps", 1e-6)
    inv = lm.inv_freq()
    T = len(ids)

    def rms(x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g

    def rot(x):
        return torch.cat((-x[..., hd // 2:], x[..., :hd // 2]), dim=-1)

    masks = {}
    outs = []
    for s in range(len(offsets) - 1):
        a, b = offsets[s], offsets[s + 1]
        L = b - a
        freqs = torch.arange(L, dtype=torch.float32)[:, None] * inv[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(lm.dtype), emb.sin().to(lm.dtype)
        x = w["model.embed_tokens.weight"][torch.tensor(ids[a:b])][None]
        for l in range(c["num_hidden_layers"]):
            pre = "model.layers.%d." % l

            def lin(v, module):
                y = v @ w[pre + module + ".weight"].T
                name = pre + module
                if name + ".lora_A.weight" in lora:
                    if p > 0:
                        if name not in masks:
                            masks[name] = keep_mask(seed, l, module, T, v.shape[-1], p)
                        v = v * masks[name][a:b]
                    y = y + scale * (v @ lora[name + ".lora_A.weight"].T) @ lora[name + ".lora_B.weight"].T
                return y
            xn = rms(x, w[pre + "input_layernorm.weight"])
            q = lin(xn, "self_attn.q_proj").view(1, L, nh, hd).transpose(1, 2)
            k = lin(xn, "self_attn.k_proj").view(1, L, nkv, hd).transpose(1, 2)
            v = lin(xn, "self_attn.v_proj").view(1, L, nkv, hd).transpose(1, 2)
            q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
            x = x + lin(lm._attend(q, k, v), "self_attn.o_proj")
            xn = rms(x, w[pre + "post_attention_layernorm.weight"])
            x = x + lin(torch.nn.functional.silu(lin(xn, "mlp.gate_proj")) * lin(xn, "mlp.up_proj"), "mlp.down_proj")
        outs.append(rms(x, w["model.norm.weight"])[0])
    return outs


def lora_gpt2(lm, lora, scale, p, ids, offsets, seed):
    """transformers' GPT-2 forward with PEFT's LoRA on its Conv1D layers (fan_in_fan_out: the
    weight is [in, out], the adapter x A^T B^T as for a Linear), every packed sequence apart."""
    c, w = lm.cfg, lm.w
    H, nh = c["n_embd"], c["n_head"]
    hd = H // nh
    eps = c.get("layer_norm_epsilon", 1e-5)
    pre = "transformer." if "transformer.wte.weight" in w else ""
    T = len(ids)

    def ln(x, n):
        return torch.nn.functional.layer_norm(x, (H,), w[n + ".weight"], w[n + ".bias"], eps)
    masks = {}
    outs = []
    for s in range(len(offsets) - 1):
        a, b = offsets[s], offsets[s + 1]
        L = b - a
        x = w[pre + "wte.weight"][torch.tensor(ids[a:b])][None] + w[pre + "wpe.weight"][:L]
        for l in range(c["n_layer"]):
            p_ = "%sh.%d." % (pre, l)

            def conv(v, module):
                y = v @ w[p_ + module + ".weight"] + w[p_ + module + ".bias"]
                name = "transformer.h.%d.%s" % (l, module)
                if name + ".lora_A.weight" in lora:
                    if p > 0:
                        if name not in masks:
                            masks[name] = keep_mask(seed, l, module, T, v.shape[-1], p)
                        v = v * masks[name][a:b]
                    y = y + scale * (v @ lora[name + ".lora_A.weight"].T) @ lora[name + ".lora_B.weight"].T
                return y
            qkv = conv(ln(x, p_ + "ln_1"), "attn.c_attn")
            q, k, v = (t.view(1, L, nh, hd).transpose(1, 2) for t in qkv.split(H, dim=-1))
            x = x + conv(lm._attend(q, k, v), "attn.c_proj")
            hmid = torch.nn.functional.gelu(conv(ln(x, p_ + "ln_2"), "mlp.c_fc"), approximate="tanh")
            x = x + conv(hmid, "mlp.c_proj")
        outs.append(ln(x, pre + "ln_f")[0])
    return outs


def check_lora(build, tmp, failures, arch="llama"):
    folder = os.path.join(tmp, "lora-base-" + arch)
    out = os.path.join(tmp, "lora-out-" + arch)
    os.makedirs(out)
    subprocess.run([os.path.join(build, "tests", "make-test-lm"), folder, "--arch", arch], check=True,
                   capture_output=True)
    subprocess.run([os.path.join(build, "tests", "train-grads"), folder, out, "--lora", "4", "8", "0.3"], check=True)
    batch = json.load(open(os.path.join(out, "batch.json")))
    ours = read_safetensors(os.path.join(out, "grads.safetensors"))
    lm = TorchLM(folder, torch.float64)
    lora = {k: torch.tensor(np.array(v), dtype=torch.float64).requires_grad_(True)
            for k, v in read_safetensors(os.path.join(out, "lora.safetensors")).items()}
    hs = (lora_gpt2 if arch == "gpt2" else lora_llama)(lm, lora, 8 / 4, 0.3, batch["ids"], batch["offsets"], 7)
    head = lm.w[[k for k in ("lm_head.weight", "transformer.wte.weight", "wte.weight") if k in lm.w][0]]
    loss = 0
    for s, h in enumerate(hs):
        lp = torch.log_softmax(h @ head.T, -1)
        for i, t in enumerate(range(batch["offsets"][s], batch["offsets"][s + 1])):
            if batch["targets"][t] >= 0:
                loss = loss - batch["weights"][t] * lp[i, batch["targets"][t]]
    loss.backward()
    worst = max(((k, float(np.abs(ours[k] - v.grad.numpy()).max()), float(np.abs(v.grad.numpy()).max()))
                 for k, v in lora.items()), key=lambda r: r[1] / max(r[2], 1e-30))
    ok = abs(batch["loss"] - float(loss)) <= REL * abs(float(loss)) and worst[1] <= REL * worst[2] and len(ours) == len(lora)
    print("lora   %-6s loss %.6f (torch %.6f); %-30s max|assay - torch f64| = %.2e of %.2e (worst of %d)%s"
          % (arch, batch["loss"], float(loss), worst[0].split(".", 2)[2], worst[1], worst[2], len(lora), "" if ok else "  FAIL"))
    if not ok:
        failures.append("lora gradients " + arch)


def run(*args):
    p = subprocess.run(list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(args[:3]), p.stderr[-800:]))
    return p.stdout


def check_sft(build, tmp, failures):
    cli = os.path.join(build, "app", "cli", "assay-cli")
    folder = os.path.join(tmp, "sft-base")
    subprocess.run([os.path.join(build, "tests", "make-test-lm"), folder, "--arch", "llama"], check=True,
                   capture_output=True)
    cfg = json.load(open(os.path.join(folder, "config.json")))
    cfg["eos_token_id"] = 2
    json.dump(cfg, open(os.path.join(folder, "config.json"), "w"))
    ws = os.path.join(tmp, "sft.assay")
    data = os.path.join(tmp, "sft.jsonl")
    records = [("%d plus %d is" % (a, b), " %d." % (a + b)) for a, b in
               [(1, 2), (3, 4), (5, 1), (2, 2), (7, 1), (4, 4), (6, 3), (9, 0), (8, 1), (2, 5), (3, 3), (1, 1)]]
    with open(data, "w") as f:
        for i, (p, t) in enumerate(records):
            f.write(json.dumps({"id": "r%d" % i, "prompt": p, "text": t}) + "\n")
    run(cli, "gen", "import", "-w", ws, data, "--map", "ext_id=id,prompt=prompt,text=text")
    for rid in range(1, 10):
        run(cli, "gen", "review", "-w", ws, "--id", str(rid), "--accept")
    run(cli, "gen", "review", "-w", ws, "--id", "4", "--edit", " four.")
    texts = {i: t for i, (_, t) in enumerate(records)}
    texts[3] = " four."
    out = os.path.join(tmp, "sft-out")
    r = json.loads(run(cli, "train", "sft", "-w", ws, "--model", folder, "--dataset", "1", "--out", out,
                       "--epochs", "1", "--batch-tokens", "100000", "--lr", "1e-3", "--json"))
    step = r["steps"][0]

    def tokens(text):
        return json.loads(run(cli, "lm", "tokenize", "--tokenizer", folder, "--text", text, "--json"))["ids"]
    lm = TorchLM(folder, torch.float64)
    for v in lm.w.values():
        v.requires_grad_(True)
    seqs = []
    for i in range(9):  # records 1..9 are accepted (ids from 1)
        p, c = tokens(records[i][0]), tokens(texts[i]) + [2]
        seqs.append((p + c, max(len(p), 1)))
    n = sum(len(ids) - first for ids, first in seqs)
    loss = 0
    for ids, first in seqs:
        h = lm._llama(torch.tensor(ids)[None])[0]
        lp = torch.log_softmax(h @ lm.w["lm_head.weight"].T, -1)
        for t in range(first - 1, len(ids) - 1):
            loss = loss - lp[t, ids[t + 1]] / n
    loss.backward()
    norm = math.sqrt(sum(float((v.grad ** 2).sum()) for v in lm.w.values()))
    for name, ours, ref in (("sft step 1 loss", step["loss"], float(loss)), ("sft step 1 grad norm", step["grad_norm"], norm)):
        ok = abs(ours - ref) <= 1e-5 * abs(ref)
        print("sft    %-44s assay %.8g  torch f64 %.8g%s" % (name, ours, ref, "" if ok else "  FAIL"))
        if not ok:
            failures.append(name)
    ok = r["examples"] == 9 and r["tokens"] == sum(len(ids) for ids, _ in seqs)
    new = read_safetensors(os.path.join(out, "model.safetensors"))
    base = read_safetensors(os.path.join(folder, "model.safetensors"))
    moved = max(float(np.abs(new[k] - base[k]).max()) for k in base)
    ok = ok and set(new) == set(base) and 0 < moved <= 2e-3
    run(cli, "lm", "info", out)
    print("sft    %-44s %d examples, %d tokens, largest weight change %.2e%s"
          % ("the written folder", r["examples"], r["tokens"], moved, "" if ok else "  FAIL"))
    if not ok:
        failures.append("sft folder")


def check_dpo(build, tmp, failures):
    cli = os.path.join(build, "app", "cli", "assay-cli")
    folder = os.path.join(tmp, "sft-base")  # (made by check_sft, EOS 2)
    ws = os.path.join(tmp, "dpo.assay")
    data = os.path.join(tmp, "dpo.jsonl")
    pairs = [("%d plus %d is" % (a, b), " %d." % (a + b), " %d." % (a + b + 1)) for a, b in
             [(1, 2), (3, 4), (5, 1), (2, 2), (7, 1), (4, 4), (6, 3), (9, 0)]]
    with open(data, "w") as f:
        for i, (p, c, r) in enumerate(pairs):
            f.write(json.dumps({"id": "p%d" % i, "prompt": p, "chosen": c, "rejected": r}) + "\n")
    run(cli, "gen", "import", "-w", ws, data, "--map", "ext_id=id,prompt=prompt,text=chosen,rejected=rejected")
    for rid in range(1, 9):
        run(cli, "gen", "review", "-w", ws, "--id", str(rid), "--accept")

    def tokens(text):
        return json.loads(run(cli, "lm", "tokenize", "--tokenizer", folder, "--text", text, "--json"))["ids"]
    seqs = []
    for p, c, r in pairs:
        pi = tokens(p)
        seqs.append([(pi + tokens(x) + [2], max(len(pi), 1)) for x in (c, r)])

    for loss_type, lr in (("sigmoid", 1e-3), ("ipo", 1e-3)):
        out = os.path.join(tmp, "dpo-out-" + loss_type)
        r = json.loads(run(cli, "train", "dpo", "-w", ws, "--model", folder, "--dataset", "1", "--out", out,
                           "--epochs", "2" if loss_type == "sigmoid" else "1", "--batch-tokens", "100000",
                           "--lr", str(lr), "--beta", "0.1", "--loss", loss_type, "--json"))
        lm = TorchLM(folder, torch.float64)
        params = list(lm.w.values())
        for v in params:
            v.requires_grad_(True)
        opt = torch.optim.AdamW([{"params": params, "weight_decay": 0.0}], lr=lr)

        def logps():
            out = []
            for sides in seqs:
                row = []
                for ids, first in sides:
                    h = lm._llama(torch.tensor(ids)[None])[0]
                    lp = torch.log_softmax(h @ lm.w["lm_head.weight"].T, -1)
                    picked = torch.stack([lp[t, ids[t + 1]] for t in range(first - 1, len(ids) - 1)])
                    row.append(picked.sum() if loss_type == "sigmoid" else picked.mean())
                out.append(row)
            return out
        with torch.no_grad():
            ref = [[float(x) for x in row] for row in logps()]
        for k, step in enumerate(r["steps"]):
            lp = logps()
            hs = [(c - ref[i][0]) - (rj - ref[i][1]) for i, (c, rj) in enumerate(lp)]
            if loss_type == "sigmoid":
                loss = sum(-torch.nn.functional.logsigmoid(0.1 * h) for h in hs) / len(hs)
            else:
                loss = sum((h - 1 / (2 * 0.1)) ** 2 for h in hs) / len(hs)
            opt.zero_grad()
            loss.backward()
            norm = float(torch.nn.utils.clip_grad_norm_(params, 1.0))
            want = {"loss": float(loss), "grad_norm": norm}
            if loss_type == "sigmoid":
                rc = [0.1 * float(c - ref[i][0]) for i, (c, _) in enumerate(lp)]
                rr = [0.1 * float(rj - ref[i][1]) for i, (_, rj) in enumerate(lp)]
                want.update({"rewards/chosen": sum(rc) / len(rc), "rewards/rejected": sum(rr) / len(rr),
                             "rewards/margins": (sum(rc) - sum(rr)) / len(rc),
                             "rewards/accuracies": sum(a > b for a, b in zip(rc, rr)) / len(rc),
                             "logps/chosen": sum(float(c) for c, _ in lp) / len(lp),
                             "logps/rejected": sum(float(rj) for _, rj in lp) / len(lp)})
            bad = [key for key, v in want.items()
                   if not abs(step[key] - v) <= 1e-4 * max(abs(v), 1e-3 if key.startswith("rewards") else 1.0)]
            print("%-6s step %d %-37s %s%s" % (loss_type, k + 1, "loss %.6f (torch %.6f), grad norm %.5f (%.5f)"
                                                % (step["loss"], want["loss"], step["grad_norm"], norm),
                                                ("rewards/margins %.3g (torch %.3g)" % (step["rewards/margins"],
                                                                                          want["rewards/margins"]))
                                                if loss_type == "sigmoid" else "", "  FAIL " + ",".join(bad) if bad else ""))
            if bad:
                failures.append("%s step %d" % (loss_type, k + 1))
            for group in opt.param_groups:
                group["lr"] = step["learning_rate"]
            opt.step()


def check_checkpoints(build, tmp, failures, arch="llama"):
    """The LoRA run's adapter (PEFT's names and config) and merged folder, and for Llama the full
    SFT checkpoint, scored by `assay-cli lm score` and by the torch reference."""
    cli = os.path.join(build, "app", "cli", "assay-cli")
    gpt2 = arch == "gpt2"
    folder = os.path.join(tmp, "sft-base")
    if gpt2:
        folder = os.path.join(tmp, "sft-base-gpt2")
        subprocess.run([os.path.join(build, "tests", "make-test-lm"), folder, "--arch", "gpt2"], check=True,
                       capture_output=True)
        cfg = json.load(open(os.path.join(folder, "config.json")))
        cfg["eos_token_id"] = 2
        json.dump(cfg, open(os.path.join(folder, "config.json"), "w"))
    ws = os.path.join(tmp, "sft.assay")
    out = os.path.join(tmp, "lora-sft-" + arch)
    r = json.loads(run(cli, "train", "sft", "-w", ws, "--model", folder, "--dataset", "1", "--out", out, "--lora", "4",
                       "--lora-targets", "c_attn,c_proj" if gpt2 else "q_proj,v_proj,down_proj", "--epochs", "2",
                       "--batch-tokens", "64", "--lr", "1e-2", "--json"))
    inputs = os.path.join(tmp, "score.jsonl")
    with open(inputs, "w") as f:
        for i in range(6):
            f.write(json.dumps({"id": str(i), "prompt": "%d plus %d is" % (i, i + 1), "response": " %d." % (2 * i + 1)}) + "\n")
    cfg = json.load(open(os.path.join(out, "adapter_config.json")))
    adapter = read_safetensors(os.path.join(out, "adapter_model.safetensors"))
    scale = cfg["lora_alpha"] / cfg["r"]
    layers = json.load(open(os.path.join(folder, "config.json")))["n_layer" if gpt2 else "num_hidden_layers"]
    # GPT-2: c_attn and both c_proj (attention's and the MLP's, as PEFT matches "c_proj"), Conv1D
    prefix = "base_model.model.transformer.h." if gpt2 else "base_model.model.model.layers."
    ok_names = all(k.startswith(prefix) and (k.endswith(".lora_A.weight") or k.endswith(".lora_B.weight"))
                   for k in adapter) and len(adapter) == 2 * 3 * layers and cfg["fan_in_fan_out"] == gpt2
    moved = max(float(np.abs(v).max()) for k, v in adapter.items() if k.endswith("lora_B.weight"))
    losses = [st["loss"] for st in r["steps"]]
    ok = ok_names and moved > 0 and losses[-1] < losses[0]
    print("ckpt   %-44s %d tensors, max|B| %.2e, loss %.3f -> %.3f%s"
          % ("LoRA run, %s (PEFT names, B moved, loss fell)" % arch, len(adapter), moved, losses[0], losses[-1],
             "" if ok else "  FAIL"))
    if not ok:
        failures.append("LoRA run " + arch)
    cases = [("LoRA merged folder, " + arch, r["merged"], None),
             ("PEFT adapter on the base, " + arch, r["merged"], folder)]
    if not gpt2:
        cases.insert(0, ("full sft checkpoint", os.path.join(tmp, "sft-out"), None))
    for label, scored, base in cases:
        outp = os.path.join(tmp, "scored.jsonl")
        run(cli, "lm", "score", "--model", scored, "--input", inputs, "--output", outp)
        got = [json.loads(l) for l in open(outp)]
        lm = TorchLM(base or scored, torch.float64)
        if base is not None:
            for k in [k for k in adapter if k.endswith(".lora_A.weight")]:
                name = k[len("base_model.model."):-len(".lora_A.weight")] + ".weight"
                A = torch.tensor(np.array(adapter[k]), dtype=torch.float64)
                B = torch.tensor(np.array(adapter[k.replace("lora_A", "lora_B")]), dtype=torch.float64)
                delta = scale * (B @ A)
                lm.w[name] = lm.w[name] + (delta.T if cfg["fan_in_fan_out"] else delta)
        worst = 0.0
        for g in got:
            pi = json.loads(run(cli, "lm", "tokenize", "--tokenizer", folder, "--text", g["prompt"], "--json"))["ids"]
            lp = lm.logprobs(torch.tensor(pi + g["token_ids"])[None], len(pi))[0]
            for j, tok in enumerate(g["token_ids"]):
                worst = max(worst, abs(g["logprobs"][j] - float(lp[j])))
        ok = worst <= 1e-4 and (base is None or ok_names)
        print("ckpt   %-44s max|assay lm score - torch| = %.2e%s" % (label, worst, "" if ok else "  FAIL"))
        if not ok:
            failures.append(label)


def main():
    if torch is None:
        print("SKIP: python3-torch is not installed")
        return 77
    build = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for arch in ("llama", "qwen2", "gpt2"):
            check_model(build, arch, tmp, failures)
        check_lora(build, tmp, failures)
        check_lora(build, tmp, failures, "gpt2")
        check_sft(build, tmp, failures)
        check_dpo(build, tmp, failures)
        check_checkpoints(build, tmp, failures)
        check_checkpoints(build, tmp, failures, "gpt2")
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
