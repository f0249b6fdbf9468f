#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generation speed of Assay against a PyTorch eager generate loop with a key/value cache, on the
same random Qwen2.5-0.5B-shaped weights (bf16 on disk), side by side in one run.

  generate_bench.py BUILD [CACHE]

Assay (bench-generate): the weights stay bf16 in memory. PyTorch (python3-torch, eager): the
weights in float32, its fastest CPU path, with the cache grown by torch.cat as transformers'
DynamicCache does. Both: 2 threads; one sequence decoded greedily (seconds per token), and 16
candidates of one 256-token prompt with 256 new tokens each, sampled at T = 1 (new tokens per
second, prefill included); peak resident memory of each process.
"""
import json, math, os, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
import lm_peers  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None


class CachedQwen2:
    def __init__(self, folder):
        self.cfg = json.load(open(os.path.join(folder, 'config.json')))
        w = lm_peers.read_safetensors(os.path.join(folder, 'model.safetensors'))
        self.w = {k: torch.from_numpy(v.copy()) for k, v in w.items()}
        c = self.cfg
        self.H, self.nh = c['hidden_size'], c['num_attention_heads']
        self.nkv = c['num_key_value_heads']
        self.hd = self.H // self.nh
        self.L = c['num_hidden_layers']
        self.eps = c['rms_norm_eps']
        self.inv = 1.0 / (c['rope_theta'] ** (torch.arange(0, self.hd, 2, dtype=torch.int64).float() / self.hd))
        self.head = self.w.get('lm_head.weight', self.w['model.embed_tokens.weight'])

    def rms(self, x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * g

    def rope(self, x, pos):
        f = pos[:, None].float() * self.inv[None, :]
        emb = torch.cat((f, f), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        h = self.hd // 2
        rot = torch.cat((-x[..., h:], x[..., :h]), dim=-1)
        return x * cos + rot * sin

    @torch.inference_mode()
    def step(self, ids, pos, cache):
        """ids [B, T], pos [T] (same for every row); cache: list of (k, v) [B, nkv, S, hd] or None.
        Returns the last position's logits [B, V] and the grown cache."""
        B, T = ids.shape
        w = self.w
        x = w['model.embed_tokens.weight'][ids]
        out = []
        for l in range(self.L):
            p = f'model.layers.{l}.'
            xn = self.rms(x, w[p + 'input_layernorm.weight'])
            q = F.linear(xn, w[p + 'self_attn.q_proj.weight'], w[p + 'self_attn.q_proj.bias']).view(B, T, self.nh, self.hd).transpose(1, 2)
            k = F.linear(xn, w[p + 'self_attn.k_proj.weight'], w[p + 'self_attn.k_proj.bias']).view(B, T, self.nkv, self.hd).transpose(1, 2)
            v = F.linear(xn, w[p + 'self_attn.v_proj.weight'], w[p + 'self_attn.v_proj.bias']).view(B, T, self.nkv, self.hd).transpose(1, 2)
            q, k = self.rope(q, pos), self.rope(k, pos)
            if cache is not None:
                k = torch.cat((cache[l][0], k), dim=2)
                v = torch.cat((cache[l][1], v), dim=2)
            out.append((k, v))
            g = self.nh // self.nkv
            kk, vv = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)
            s = (q @ kk.transpose(-1, -2)) / math.sqrt(self.hd)
            if T > 1:
                S = kk.shape[2]
                s = s + torch.full((T, S), float('-inf')).triu(S - T + 1)
            a = (torch.softmax(s, dim=-1) @ vv).transpose(1, 2).reshape(B, T, self.H)
            x = x + F.linear(a, w[p + 'self_attn.o_proj.weight'])
            xn = self.rms(x, w[p + 'post_attention_layernorm.weight'])
            x = x + F.linear(F.silu(F.linear(xn, w[p + 'mlp.gate_proj.weight'])) * F.linear(xn, w[p + 'mlp.up_proj.weight']),
                             w[p + 'mlp.down_proj.weight'])
        h = self.rms(x[:, -1], w['model.norm.weight'])
        return F.linear(h, self.head), out


def torch_run(folder, prompt_len, n, new, single):
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '2')))
    torch.manual_seed(3)
    m = CachedQwen2(folder)
    V = m.cfg['vocab_size']
    g = torch.Generator().manual_seed(1)
    prompt = torch.randint(0, V, (1, prompt_len), generator=g)
    short = prompt[:, :16]
    # one sequence, greedy: time per token after the first (and a few warm-up tokens)
    logits, cache = m.step(short, torch.arange(16), None)
    tok = logits.argmax(-1, keepdim=True)
    for i in range(4):
        logits, _ = m.step(tok, torch.tensor([16]), cache)
    t0 = time.perf_counter()
    for i in range(single):
        logits, cache = m.step(tok, torch.tensor([16 + i]), cache)
        tok = logits.argmax(-1, keepdim=True)
    single_s = (time.perf_counter() - t0) / single
    # n candidates of one prompt: prefill once, the cache repeated n times, sampled at T = 1
    t0 = time.perf_counter()
    logits, cache = m.step(prompt, torch.arange(prompt_len), None)
    cache = [(k.expand(n, -1, -1, -1).contiguous(), v.expand(n, -1, -1, -1).contiguous()) for k, v in cache]
    logits = logits.expand(n, -1)
    for i in range(new):
        tok = torch.multinomial(torch.softmax(logits, dim=-1), 1)
        if i == new - 1:
            break
        logits, cache = m.step(tok, torch.tensor([prompt_len + i]), cache)
    many_s = time.perf_counter() - t0
    rss = next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmHWM:'))
    print(json.dumps({'single_seconds_per_token': single_s, 'many_seconds': many_s,
                      'many_tokens_per_second': n * new / many_s, 'peak_rss_bytes': rss,
                      'threads': torch.get_num_threads()}))


def main(build, cache):
    folder = os.path.join(cache, 'qwen2.5-0.5b-shaped')
    lm_peers.make_shape(folder, '0.5b')
    prompt_len, n, new, single = 256, 16, 256, 64
    env = dict(os.environ, OMP_NUM_THREADS='2')
    ours = json.loads(subprocess.run([os.path.join(build, 'tests', 'bench-generate'), folder, '--prompt', str(prompt_len),
                                      '--n', str(n), '--new', str(new), '--single', str(single), '--threads', '2'],
                                     env=env, check=True, capture_output=True, text=True).stdout)
    theirs = json.loads(subprocess.run([sys.executable, __file__, '--torch', folder, str(prompt_len), str(n), str(new), str(single)],
                                       env=env, check=True, capture_output=True, text=True).stdout)
    print(f'read bandwidth {ours["read_bandwidth_gbs"]:.1f} GB/s; weights read per token {ours["weight_bytes_per_token"] / 2**30:.2f} GiB ({ours["weights"]})')
    print(f'one sequence: assay {ours["single_seconds_per_token"] * 1e3:.1f} ms/token = '
          f'{ours["fraction_of_bandwidth_bound"] * 100:.0f}% of the bandwidth bound ({ours["single_bound_seconds"] * 1e3:.1f} ms) | '
          f'torch {theirs["single_seconds_per_token"] * 1e3:.1f} ms/token | ratio {theirs["single_seconds_per_token"] / ours["single_seconds_per_token"]:.2f}x')
    print(f'{n} x {new} tokens of a {prompt_len}-token prompt: assay {ours["many_tokens_per_second"]:.1f} tok/s | '
          f'torch {theirs["many_tokens_per_second"]:.1f} tok/s | ratio {ours["many_tokens_per_second"] / theirs["many_tokens_per_second"]:.2f}x')
    print(f'peak memory: assay {ours["peak_rss_bytes"] / 2**30:.2f} GiB | torch {theirs["peak_rss_bytes"] / 2**30:.2f} GiB')
    print('  assay:', json.dumps(ours))
    print('  torch:', json.dumps(theirs))
    return 0


if __name__ == '__main__':
    if torch is None:
        print('SKIP: python3-torch is not installed')
        sys.exit(77)
    if len(sys.argv) >= 2 and sys.argv[1] == '--torch':
        torch_run(sys.argv[2], *(int(a) for a in sys.argv[3:7]))
        sys.exit(0)
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else tempfile.gettempdir()))
