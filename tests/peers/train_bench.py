#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training speed and memory of full fine-tuning against PyTorch eager autograd, side by side.

Full: a ~20M-parameter Qwen2-shaped model (hidden 512, 6 layers, 8 heads sharing 2 key/value
heads, MLP 1408, vocabulary 8000, tied embeddings; random weights), 3 timed steps after one
warm-up. LoRA (--lora): a Qwen2.5-0.5B-shaped model with rank-16 adapters (alpha 32, no dropout)
on every linear, 1 timed step after one warm-up. Both: 8 sequences x 512 tokens, every position
scored, one AdamW step per batch, 2 threads, each side in a process of its own (peak RSS from
VmHWM). The PyTorch side is transformers' Qwen2 forward written in torch (tests/peers/lm_peers.py
and the LoRA linears of train_peers.py) in float32 with autograd and torch.optim.AdamW.

usage: train_bench.py BUILD_DIR [--lora]"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lm_peers  # noqa: E402
from lm_peers import TorchLM, torch  # noqa: E402
from train_peers import lora_llama  # noqa: E402

import numpy as np  # noqa: E402

lm_peers.SHAPES['20m'] = dict(hidden_size=512, num_hidden_layers=6, num_attention_heads=8, num_key_value_heads=2,
                              intermediate_size=1408, vocab_size=8000, tie_word_embeddings=True)


def torch_side(folder, batch, length, rounds, rank):
    torch.set_num_threads(2)
    lm = TorchLM(folder, torch.float32)
    if rank:
        c = lm.cfg
        H, hd = c['hidden_size'], c['hidden_size'] // c['num_attention_heads']
        q, kv, I = c['num_attention_heads'] * hd, c['num_key_value_heads'] * hd, c['intermediate_size']
        shapes = {'self_attn.q_proj': (q, H), 'self_attn.k_proj': (kv, H), 'self_attn.v_proj': (kv, H),
                  'self_attn.o_proj': (H, q), 'mlp.gate_proj': (I, H), 'mlp.up_proj': (I, H), 'mlp.down_proj': (H, I)}
        lora = {}
        for l in range(c['num_hidden_layers']):
            for m, (o, i) in shapes.items():
                lora['model.layers.%d.%s.lora_A.weight' % (l, m)] = (torch.rand(rank, i) - 0.5).requires_grad_(True)
                lora['model.layers.%d.%s.lora_B.weight' % (l, m)] = torch.zeros(o, rank).requires_grad_(True)
        params = list(lora.values())
    else:
        params = list(lm.w.values())
        for p in params:
            p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=1e-5)
    rng = np.random.default_rng(1)
    ids = torch.from_numpy(rng.integers(0, lm.cfg['vocab_size'], size=(batch, length)))
    head = lm.w['model.embed_tokens.weight']
    for r in range(rounds + 1):
        if r == 1:
            t0 = time.perf_counter()
        if rank:  # PEFT's way: W x + s B (A x), the sequences one by one (train_peers.lora_llama)
            flat = ids.reshape(-1).tolist()
            h = torch.stack(lora_llama(lm, lora, 2.0, 0.0, flat, [k * length for k in range(batch + 1)], 0))
        else:
            h = lm._llama(ids)
        logits = h[:, :-1] @ head.T
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    s = time.perf_counter() - t0
    rss = next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmHWM:'))
    print(json.dumps({'tokens_per_second': rounds * batch * (length - 1) / s, 'seconds_per_step': s / rounds,
                      'peak_rss_bytes': rss, 'loss': float(loss)}))


def main():
    if sys.argv[1] == '--torch':
        rank, batch = int(sys.argv[3]), int(sys.argv[4])
        torch_side(sys.argv[2], batch, 512, 1 if rank else 3, rank)
        return 0
    build = sys.argv[1]
    lora = '--lora' in sys.argv
    shape = '0.5b' if lora else '20m'
    folder = os.path.join(tempfile.gettempdir(), 'assay-train-bench-' + shape)
    lm_peers.make_shape(folder, shape)
    env = dict(os.environ, OMP_NUM_THREADS='2')

    def side(batch, ours):
        if ours:
            cmd = [os.path.join(build, 'tests', 'bench-train'), folder, '--threads', '2', '--batch', str(batch),
                   '--rounds', '1' if lora else '3', '--lora', '16' if lora else '0']
        else:
            cmd = [sys.executable, __file__, '--torch', folder, '16' if lora else '0', str(batch)]
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            return None  # (PyTorch killed by the kernel for memory, at 8 x 512 with LoRA here)
        return json.loads(p.stdout)

    for batch in ((8, 2) if lora else (8,)):
        ours, theirs = side(batch, True), side(batch, False)
        print('%s, %d x 512 tokens, 2 threads' % ('LoRA r 16, Qwen2.5-0.5B shape' if lora else 'full fine-tuning, 20M params', batch))
        for name, r in (('assay', ours), ('torch', theirs)):
            if r is None:
                print('  %s   did not finish (killed: out of memory)' % name)
            else:
                print('  %s   %8.0f tokens/s  %6.0f MiB peak  (loss %.4f)' % (name, r['tokens_per_second'],
                                                                           r['peak_rss_bytes'] / 2**20, r['loss']))
        if ours is not None and theirs is not None:
            print('  speed ratio %.2f (goal >= 1.5), memory ratio %.2f (goal <= 0.6)'
                  % (ours['tokens_per_second'] / theirs['tokens_per_second'],
                     ours['peak_rss_bytes'] / theirs['peak_rss_bytes']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
