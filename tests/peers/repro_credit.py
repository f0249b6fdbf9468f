#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
""""Credit finds the first mistake" (thesis ch.7, Fig 7.6) reproduced end to end in Assay, on a
task whose ground truth is known at every step.

The task: questions "((a + b) * c - d) / e" answered in four numbered steps and a final
"### Answer:" line; every step is checkable. The pipeline, all in `assay-cli`:
  1. a byte-level BPE tokenizer trained here on the task's text (so the output layer stays
     small) and a Llama-shaped model initialised at random (std 0.02);
  2. SFT from scratch on correct traces (`train sft`), prompts as `traces sample` asks;
  3. `traces sample`: N candidates per question from the SFT model, checked by answer, DPO pairs
     as in ch.7 §7.3.3 (questions with accuracy in [0.25, 0.85], up to 3 pairs each);
  4. `train dpo` on those pairs (the SFT model is the reference);
  5. held-out candidates of the SFT model whose first wrong step is found here by checking every
     step, imported as traces with that label; `traces credit` of the DPO model against the SFT
     model; the step with the lowest summed credit against the first wrong step, first-error F1
     (ProcessBench's definition: the harmonic mean of the accuracy on wrong and on correct
     candidates, a candidate called correct when no step's summed credit falls below 0), beside
     two baselines decided the same way: the SFT model's own log-prob per step (lowest mean
     log-prob; correct when all steps are above their median over the correct candidates) and a
     random step.
Prints SFT accuracy per epoch, DPO's reward accuracy per epoch, and the F1s.

--quick (the CI test): a tiny model and a few hundred steps; asserts that SFT's loss falls and
that DPO's rewards/accuracies end above 0.5. When sampling from so small a model yields too few
pairs, pairs with one step corrupted are added (and said so), so that DPO always has data.

usage: repro_credit.py BUILD_DIR [--quick] [--keep DIR] [--dpo-questions N] [--dpo-epochs E] [--dpo-lr LR]
(77 without numpy)"""
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections import Counter

try:
    import numpy as np
except ImportError:
    np = None

INSTRUCTION = ("Solve the problem step by step, one step per paragraph, and end with a line \"### Answer: \" "
               "followed by the final answer alone.")


# ---- the task ----

def make_question(rng):
    a, b, c, e = rng.randint(1, 9), rng.randint(1, 9), rng.randint(2, 5), rng.randint(2, 5)
    s2 = (a + b) * c
    d = rng.choice([d for d in range(1, min(s2, 21)) if (s2 - d) % e == 0] or [s2 % e or e])
    if (s2 - d) % e != 0 or s2 - d <= 0:
        return make_question(rng)
    return (a, b, c, d, e)


def question_text(q):
    a, b, c, d, e = q
    return "Question: ((%d + %d) * %d - %d) / %d" % (a, b, c, d, e)


def prompt_of(q):
    """What `traces sample` asks (assay_trace_sample_prompt)."""
    return "%s\n\n%s\n\n" % (question_text(q), INSTRUCTION)


def solution(q):
    a, b, c, d, e = q
    s1 = a + b
    s2 = s1 * c
    s3 = s2 - d
    s4 = s3 // e
    steps = ["Step 1: %d + %d = %d" % (a, b, s1), "Step 2: %d * %d = %d" % (s1, c, s2),
             "Step 3: %d - %d = %d" % (s2, d, s3), "Step 4: %d / %d = %d" % (s3, e, s4)]
    return steps, s4


def trace_text(steps, answer):
    return "\n\n".join(steps) + "\n\n### Answer: %s" % answer


STEP = re.compile(r"^Step (\d+): (-?\d+) ([-+*/]) (-?\d+) = (-?\d+)$")


def first_wrong_step(q, response):
    """The index of the first wrong step of a response (-1: all right and the answer right; None:
    not a readable 4-step trace)."""
    a, b, c, d, e = q
    parts = [p.strip() for p in response.split("\n\n") if p.strip()]
    steps = [p for p in parts if p.startswith("Step")]
    want_ops = [("+", b), ("*", c), ("-", d), ("/", e)]
    prev = a
    for k, s in enumerate(steps[:4]):
        m = STEP.match(s)
        if m is None:
            return k
        x, op, y, z = int(m.group(2)), m.group(3), int(m.group(4)), int(m.group(5))
        if k >= len(want_ops) or op != want_ops[k][0] or y != want_ops[k][1] or x != prev:
            return k
        value = {"+": x + y, "-": x - y, "*": x * y, "/": x // y if y and x % y == 0 else None}[op]
        if value != z:
            return k
        prev = z
    if len(steps) < 4:
        return len(steps)
    m = re.search(r"### Answer:\s*(-?\d+)", response)
    if m is None or int(m.group(1)) != prev:
        return 3
    return -1


def corrupt(q, rng):
    """A trace with one step wrong (and the steps after it following it), and its index."""
    steps, _ = solution(q)
    k = rng.randrange(4)
    a, b, c, d, e = q
    vals = [a + b]
    vals.append(vals[0] * c)
    vals.append(vals[1] - d)
    vals.append(vals[2] // e)
    vals[k] += rng.choice([-2, -1, 1, 2])
    for j in range(k + 1, 4):
        vals[j] = [None, vals[0] * c, vals[1] - d, vals[2] // e if vals[2] % e == 0 else vals[2] // e][j]
    ops = [("%d + %d" % (a, b)), ("%d * %d" % (vals[0], c)), ("%d - %d" % (vals[1], d)), ("%d / %d" % (vals[2], e))]
    steps = ["Step %d: %s = %d" % (j + 1, ops[j], vals[j]) for j in range(4)]
    return trace_text(steps, vals[3]), k


# ---- tokenizer and model ----

PRE = re.compile(r" ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def train_bpe(texts, merges_wanted):
    """Byte-level BPE: the most frequent adjacent pair merged, again and again."""
    b2u = bytes_to_unicode()
    words = Counter()
    for t in texts:
        for w in PRE.findall(t):
            words[tuple(b2u[b] for b in w.encode())] += 1
    vocab = [b2u[b] for b in range(256)]
    merges = []
    words = dict(words)
    for _ in range(merges_wanted):
        pairs = Counter()
        for w, n in words.items():
            for i in range(len(w) - 1):
                pairs[w[i], w[i + 1]] += n
        if not pairs:
            break
        (x, y), n = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if n < 2:
            break
        merges.append((x, y))
        vocab.append(x + y)
        new = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == x and w[i + 1] == y:
                    out.append(x + y)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    return vocab, merges


def write_tokenizer(folder, vocab, merges):
    specials = ["<s>", "</s>"]
    ids = {t: i for i, t in enumerate(vocab)}
    for s in specials:
        ids[s] = len(ids)
    tj = {"version": "1.0", "truncation": None, "padding": None,
          "added_tokens": [{"id": ids[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                            "normalized": False, "special": True} for s in specials],
          "normalizer": None,
          "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": r" ?\p{L}+| ?\p{N}| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"},
               "behavior": "Isolated", "invert": False},
              {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
          "post_processor": {"type": "TemplateProcessing",
                             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                        {"Sequence": {"id": "A", "type_id": 0}}],
                             "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [ids["<s>"]], "tokens": ["<s>"]}}},
          "decoder": {"type": "ByteLevel"},
          "model": {"type": "BPE", "dropout": None, "unk_token": None, "fuse_unk": False, "byte_fallback": False,
                    "vocab": ids, "merges": [a + " " + b for a, b in merges]}}
    json.dump(tj, open(os.path.join(folder, "tokenizer.json"), "w"), ensure_ascii=False)
    return len(ids), ids["<s>"], ids["</s>"]


def write_model(folder, vocab, bos, eos, hidden, layers, heads, kv, inter, seed):
    cfg = {"architectures": ["LlamaForCausalLM"], "hidden_size": hidden, "num_hidden_layers": layers,
           "num_attention_heads": heads, "num_key_value_heads": kv, "intermediate_size": inter,
           "vocab_size": vocab, "max_position_embeddings": 512, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
           "hidden_act": "silu", "tie_word_embeddings": False, "torch_dtype": "float32",
           "bos_token_id": bos, "eos_token_id": eos}
    json.dump(cfg, open(os.path.join(folder, "config.json"), "w"))
    rng = np.random.default_rng(seed)
    hd = hidden // heads
    names = [("model.embed_tokens.weight", (vocab, hidden))]
    for l in range(layers):
        p = "model.layers.%d." % l
        names += [(p + "input_layernorm.weight", (hidden,)), (p + "self_attn.q_proj.weight", (heads * hd, hidden)),
                  (p + "self_attn.k_proj.weight", (kv * hd, hidden)), (p + "self_attn.v_proj.weight", (kv * hd, hidden)),
                  (p + "self_attn.o_proj.weight", (hidden, heads * hd)),
                  (p + "post_attention_layernorm.weight", (hidden,)), (p + "mlp.gate_proj.weight", (inter, hidden)),
                  (p + "mlp.up_proj.weight", (inter, hidden)), (p + "mlp.down_proj.weight", (hidden, inter))]
    names += [("model.norm.weight", (hidden,)), ("lm_head.weight", (vocab, hidden))]
    header, off, blobs = {}, 0, []
    for n, s in names:
        a = np.ones(s, np.float32) if len(s) == 1 else (rng.standard_normal(s) * 0.02).astype(np.float32)
        header[n] = {"dtype": "F32", "shape": list(s), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
        blobs.append(a.tobytes())
    hb = json.dumps(header).encode()
    hb += b" " * (-len(hb) % 8)
    with open(os.path.join(folder, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb)
        for b in blobs:
            f.write(b)


# ---- running assay-cli ----

class Cli:
    def __init__(self, build, ws):
        self.exe = os.path.join(build, "app", "cli", "assay-cli")
        self.ws = ws

    def __call__(self, *args, ws=True):
        cmd = [self.exe] + list(args[:2]) + (["-w", self.ws] if ws else []) + list(args[2:]) + ["--json"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit("%s failed: %s" % (" ".join(cmd[1:4]), p.stderr[-1500:]))
        return json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else {}


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def records(cli, dataset):
    out, offset = [], 0
    while True:
        page = cli("gen", "list", "--dataset", str(dataset), "--offset", str(offset), "--limit", "500")
        rows = page.get("records", [])
        out += rows
        if len(rows) < 500:
            return out
        offset += 500


def processbench(labels, predicted):
    """ProcessBench's F1: the harmonic mean of the accuracy on erroneous traces (the first error
    found exactly) and on correct ones (no error claimed)."""
    err = [p == l for l, p in zip(labels, predicted) if l >= 0]
    ok = [p < 0 for l, p in zip(labels, predicted) if l < 0]
    a = sum(err) / len(err) if err else 0.0
    b = sum(ok) / len(ok) if ok else 0.0
    return (2 * a * b / (a + b) if a + b > 0 else 0.0), a, b


def first_below(scores, t):
    for k, v in enumerate(scores):
        if v < t:
            return k
    return -1


def calibrated_f1(rows):
    """As `traces eval` does it: the threshold that maximises F1 on the even-numbered traces (the
    first step scoring below it is the first error), judged on the odd-numbered ones."""
    cal, judge = rows[0::2], rows[1::2]
    values = sorted(v for _, sc in cal for v in sc)
    cands = [values[0] - 1.0] + [(a + b) / 2 for a, b in zip(values, values[1:]) if a != b] + [values[-1] + 1.0]
    best_t = max(cands, key=lambda t: processbench([l for l, _ in cal], [first_below(sc, t) for _, sc in cal])[0])
    return processbench([l for l, _ in judge], [first_below(sc, best_t) for _, sc in judge])


def evaluate(ws, run, seed=11):
    """Per held-out trace, three step scores (lower: more suspicious): the DPO credit summed over
    the step, the SFT model's (the reference's) summed log-prob, and a random number; the
    lowest-scoring step of wrong traces against the first wrong step, and the calibrated
    ProcessBench F1 of each."""
    import sqlite3
    rng = random.Random(seed)
    db = sqlite3.connect(ws)
    methods = {"DPO credit": [], "SFT log-prob": [], "random step": []}
    for rid, label, n, offsets, lp, ref, steps in db.execute(
            "SELECT t.record_id, r.step_label, t.n_tokens, t.offsets, t.logprobs, t.ref_logprobs, t.steps "
            "FROM trace_tokens t JOIN gen_records r ON r.id = t.record_id "
            "WHERE t.run_id = ? AND t.side = 0 ORDER BY t.record_id", (run,)):
        off = np.frombuffer(offsets, dtype=np.uint32).reshape(-1, 2)
        lp = np.frombuffer(lp, dtype=np.float32).astype(np.float64)
        ref = np.frombuffer(ref, dtype=np.float32).astype(np.float64)
        spans = np.frombuffer(steps, dtype=np.uint32).reshape(-1, 2) if steps else np.zeros((0, 2), np.uint32)
        if label is None or len(spans) == 0:
            continue
        credit, own = [], []
        for b, e in spans:
            inside = (off[:, 0] >= b) & (off[:, 0] < e) & np.isfinite(lp) & np.isfinite(ref)
            credit.append(float((lp - ref)[inside].sum()))
            own.append(float(ref[inside].sum()))
        methods["DPO credit"].append((label, credit))
        methods["SFT log-prob"].append((label, own))
        methods["random step"].append((label, [rng.random() for _ in spans]))
    out = {}
    for name, rows in methods.items():
        wrong = [(l, sc) for l, sc in rows if l >= 0]
        hit = sum(int(np.argmin(sc)) == l for l, sc in wrong) / max(1, len(wrong))
        f1, a, b = calibrated_f1(rows) if len(rows) >= 4 else (float("nan"),) * 3
        out[name] = {"lowest_step_is_first_error": hit, "processbench_f1": f1, "acc_erroneous": a, "acc_correct": b}
    return out, sum(1 for l, _ in methods["DPO credit"] if l >= 0), len(methods["DPO credit"])


def main():
    if np is None:
        print("SKIP: python3-numpy is not installed")
        return 77
    build = os.path.abspath(sys.argv[1])
    quick = "--quick" in sys.argv
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    tmp = keep or tempfile.mkdtemp(prefix="assay-repro-")
    os.makedirs(tmp, exist_ok=True)
    rng = random.Random(7)
    def arg(name, default):
        return type(default)(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default
    n_train, n_dpo, n_held = (400, 60, 40) if quick else (4000, arg("--dpo-questions", 400), 300)
    n_samples = 8 if quick else 16
    size = dict(hidden=64, layers=2, heads=4, kv=2, inter=176) if quick else dict(hidden=192, layers=4, heads=6, kv=2, inter=512)
    sft_epochs = 3 if quick else 8
    try:
        qs = [make_question(rng) for _ in range(n_train + n_dpo + n_held)]
        train_q, dpo_q, held_q = qs[:n_train], qs[n_train:n_train + n_dpo], qs[n_train + n_dpo:]
        texts = [prompt_of(q) + trace_text(*solution(q)) for q in qs]
        base = os.path.join(tmp, "init")
        os.makedirs(base, exist_ok=True)
        vocab, merges = train_bpe(texts[:2000], 120 if quick else 300)
        V, bos, eos = write_tokenizer(base, vocab, merges)
        write_model(base, V, bos, eos, seed=1, **size)
        print("tokenizer: %d tokens (%d merges); model %s" % (V, len(merges), size))
        cli = Cli(build, os.path.join(tmp, "repro.assay"))

        # 2. SFT on correct traces
        sft_rows = [{"id": "t%d" % i, "prompt": prompt_of(q), "text": trace_text(*solution(q))} for i, q in enumerate(train_q)]
        write_jsonl(os.path.join(tmp, "sft.jsonl"), sft_rows)
        ds_sft = cli("gen", "import", os.path.join(tmp, "sft.jsonl"), "--map", "ext_id=id,prompt=prompt,text=text")["dataset"]
        sft = os.path.join(tmp, "sft")
        r = cli("train", "sft", "--model", base, "--dataset", str(ds_sft), "--status", "any", "--out", sft,
                "--epochs", str(sft_epochs), "--lr", "3e-3", "--batch-tokens", "4096", "--warmup", "0.05",
                "--weight-decay", "0.01", "--force")
        losses = [s["loss"] for s in r["steps"]]
        per_epoch = len(losses) // sft_epochs
        print("SFT: %d steps, loss %.3f -> %.3f; per epoch %s" % (len(losses), losses[0], losses[-1],
              ", ".join("%.3f" % (sum(losses[e * per_epoch:(e + 1) * per_epoch]) / per_epoch) for e in range(sft_epochs))))
        ok = losses[-1] < losses[0]

        # 3. sample N per question from the SFT model: accuracy, DPO pairs
        q_rows = [{"id": "q%d" % i, "question": question_text(q), "response": trace_text(*solution(q)),
                   "answer": str(solution(q)[1])} for i, q in enumerate(dpo_q)]
        write_jsonl(os.path.join(tmp, "questions.jsonl"), q_rows)
        ds_q = cli("traces", "import", os.path.join(tmp, "questions.jsonl"))["dataset"]
        s = cli("traces", "sample", "--model", sft, "--dataset", str(ds_q), "--n", str(n_samples), "--temperature", "1",
                "--max-tokens", "96", "--seed", "3")
        print("sampled: %d candidates, %.1f%% correct, %d pairs" % (s["candidates"], 100.0 * s["correct"] / s["candidates"],
                                                                    s["pairs"]))
        sampled = records(cli, s["pairs_dataset"]) if s["pairs"] > 0 and s.get("pairs_dataset", 0) > 0 else []
        pairs = [{"id": "p%d" % i, "prompt": rec["prompt"] + "\n\n" + INSTRUCTION + "\n\n", "chosen": rec["text"],
                  "rejected": rec["rejected"]} for i, rec in enumerate(sampled) if rec.get("rejected")]
        if len(pairs) < (16 if quick else 50):
            extra = (16 if quick else 50) - len(pairs)
            for i, q in enumerate(dpo_q[:extra]):
                bad, _ = corrupt(q, rng)
                pairs.append({"id": "c%d" % i, "prompt": prompt_of(q), "chosen": trace_text(*solution(q)), "rejected": bad})
            print("  (%d pairs with one step corrupted added: too few sampled)" % extra)
        write_jsonl(os.path.join(tmp, "pairs.jsonl"), pairs)
        ds_pairs = cli("gen", "import", os.path.join(tmp, "pairs.jsonl"), "--map",
                       "ext_id=id,prompt=prompt,text=chosen,rejected=rejected")["dataset"]

        # 4. DPO against the SFT model
        dpo = os.path.join(tmp, "dpo")
        dpo_epochs = arg("--dpo-epochs", 3)
        r = cli("train", "dpo", "--model", sft, "--dataset", str(ds_pairs), "--status", "any", "--out", dpo,
                "--epochs", str(dpo_epochs), "--lr", "1e-3" if quick else arg("--dpo-lr", "2e-4"), "--beta", "0.1",
                "--batch-tokens", "2048", "--force")
        accs = [st["rewards/accuracies"] for st in r["steps"]]
        dl = [st["loss"] for st in r["steps"]]
        per = max(1, len(accs) // dpo_epochs)
        by_epoch = [sum(accs[e * per:(e + 1) * per]) / len(accs[e * per:(e + 1) * per]) for e in range(dpo_epochs)]
        print("DPO: %d pairs, %d steps, loss %.3f -> %.3f, rewards/accuracies per epoch %s"
              % (len(pairs), len(accs), dl[0], dl[-1], ", ".join("%.2f" % a for a in by_epoch)))
        ok = ok and by_epoch[-1] > 0.5
        if quick:
            print("quick run: SFT loss fell %s, DPO reward accuracy above 0.5 in the last epoch %s"
                  % (losses[-1] < losses[0], by_epoch[-1] > 0.5))
            return 0 if ok else 1

        # 5. held-out candidates with their first wrong step, credit against it
        hq_rows = [{"id": "h%d" % i, "question": question_text(q), "response": trace_text(*solution(q)),
                    "answer": str(solution(q)[1])} for i, q in enumerate(held_q)]
        write_jsonl(os.path.join(tmp, "held.jsonl"), hq_rows)
        ds_h = cli("traces", "import", os.path.join(tmp, "held.jsonl"))["dataset"]
        s = cli("traces", "sample", "--model", sft, "--dataset", str(ds_h), "--n", "4", "--temperature", "1",
                "--max-tokens", "96", "--seed", "5")
        by_q = {question_text(q): q for q in held_q}
        cands = []
        for rec in records(cli, s["dataset"]):
            q = by_q.get(rec["prompt"])
            k = first_wrong_step(q, rec["text"]) if q is not None else None
            if k is not None and (k == -1 or k < 4):
                parts = [p.strip() for p in rec["text"].split("\n\n") if p.strip()]
                cands.append({"id": "c%d" % len(cands), "question": prompt_of(q), "response": "\n\n".join(parts),
                              "answer": str(solution(q)[1]), "steps": parts, "label": k})
        write_jsonl(os.path.join(tmp, "heldout.jsonl"), cands)
        ds_c = cli("traces", "import", os.path.join(tmp, "heldout.jsonl"))["dataset"]
        cr = cli("traces", "credit", "--policy", dpo, "--reference", sft, "--dataset", str(ds_c))
        ev = cli("traces", "eval", "--run", str(cr["run"]))
        scores, n_wrong, n_all = evaluate(cli.ws, cr["run"])
        print("held out: %d candidates of the SFT model, %d wrong (first wrong step known by checking every step)"
              % (n_all, n_wrong))
        for name, v in scores.items():
            print("  %-13s lowest step = first wrong step on %.1f%% of the wrong; ProcessBench F1 %.3f "
                  "(erroneous %.3f, correct %.3f; threshold calibrated on half, judged on the other)"
                  % (name, 100 * v["lowest_step_is_first_error"], v["processbench_f1"], v["acc_erroneous"], v["acc_correct"]))
        print("  (traces eval on the same run: ProcessBench F1 %s)" % ev.get("processbench_f1"))
        # the same on traces nobody sampled: one step corrupted at random (and as many correct
        # ones), where a step's own low probability under the SFT model is no given
        synth = []
        for i, q in enumerate(held_q):
            bad, k = corrupt(q, rng)
            for text, label in ((bad, k), (trace_text(*solution(q)), -1)):
                parts = text.split("\n\n")
                synth.append({"id": "s%d-%d" % (i, label), "question": prompt_of(q), "response": text,
                              "answer": str(solution(q)[1]), "steps": parts, "label": label})
        write_jsonl(os.path.join(tmp, "corrupted.jsonl"), synth)
        ds_s = cli("traces", "import", os.path.join(tmp, "corrupted.jsonl"))["dataset"]
        cr2 = cli("traces", "credit", "--policy", dpo, "--reference", sft, "--dataset", str(ds_s))
        scores, n_wrong, n_all = evaluate(cli.ws, cr2["run"])
        print("corrupted: %d traces, %d with one step corrupted" % (n_all, n_wrong))
        for name, v in scores.items():
            print("  %-13s lowest step = first wrong step on %.1f%% of the wrong; ProcessBench F1 %.3f "
                  "(erroneous %.3f, correct %.3f)" % (name, 100 * v["lowest_step_is_first_error"], v["processbench_f1"],
                                                     v["acc_erroneous"], v["acc_correct"]))
        return 0 if ok else 1
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
