#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Encoder speed beside PyTorch eager, in one run on the same weights.

  encoder_bench.py BUILD [CACHE]   random weights shaped like bge-small (384 x 12 layers) and
                                   bge-base (768 x 12), float32, sequences of 128 and 512 tokens:
                                   bench-embed (2 threads) and the same forward pass in PyTorch
                                   eager (torch.set_num_threads(2)); embeddings per second, the
                                   ratio, and the fraction of the sgemm ceiling; then exact 10-NN
                                   of 10^5 x 10^5 384-dim unit vectors.
"""
import json, os, subprocess, sys, tempfile, time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from encoder_peers import TorchEncoder, make_encoder, wordpiece_tokenizer  # noqa: E402

import torch

SHAPES = {'bge-small': (384, 12, 12, 1536), 'bge-base': (768, 12, 12, 3072)}


def torch_eps(folder, batch, length, rounds):
    torch.set_num_threads(2)
    enc = TorchEncoder(folder, torch.float32)
    rng = np.random.default_rng(1)
    ids = torch.from_numpy(rng.integers(0, enc.cfg['vocab_size'], size=(batch, length)))
    enc.batch(ids[:2])
    t0 = time.perf_counter()
    for _ in range(rounds):
        enc.batch(ids)[:, 0]
    return batch * rounds / (time.perf_counter() - t0)


def main(build, cache):
    bench = os.path.join(build, 'tests', 'bench-embed')
    env = dict(os.environ, OMP_NUM_THREADS='2', OPENBLAS_NUM_THREADS='1')
    for name, dims in SHAPES.items():
        folder = os.path.join(cache, name + '-shaped')
        if not os.path.exists(os.path.join(folder, 'model.safetensors')):
            make_encoder(folder, 'BertModel', 30522, 1, dims=dims, max_position_embeddings=512)
            tok, _, _ = wordpiece_tokenizer(['a b c'])
            json.dump(tok, open(os.path.join(folder, 'tokenizer.json'), 'w'))
        for length, batch in ((128, 64), (512, 16)):
            r = json.loads(subprocess.run([bench, folder, '--threads', '2', '--batch', str(batch), '--length', str(length),
                                           '--rounds', '2'], check=True, capture_output=True, text=True, env=env).stdout)
            t = torch_eps(folder, batch, length, 2)
            print(f'{name:10s} L={length:3d}  assay {r["embeddings_per_second"]:8.1f}/s  torch {t:8.1f}/s  '
                  f'ratio {r["embeddings_per_second"] / t:4.2f}  {r["achieved_gflops"]:.0f} of '
                  f'{r["gemm_ceiling_gflops"]:.0f} GFLOP/s ({100 * r["fraction_of_ceiling"]:.0f}%)', flush=True)
    r = json.loads(subprocess.run([bench, os.path.join(cache, 'bge-small-shaped'), '--threads', '2', '--batch', '1',
                                   '--length', '8', '--rounds', '1', '--knn', '100000'], check=True,
                                  capture_output=True, text=True, env=env).stdout)
    print(f'exact 10-NN of 100000 x 100000 x 384: {r["knn_seconds"]:.1f} s ({r["backend"]})')


if __name__ == '__main__':
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp())
