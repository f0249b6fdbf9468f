#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Language-model scoring against PyTorch (Debian python3-torch).

  lm_peers.py --check BUILD            tiny random Llama/Qwen2/GPT-2 models (make-test-lm): the
                                       log-probs of `assay-cli lm score` against the same forward
                                       pass written in PyTorch (float64 and float32); exit 1 when
                                       |assay - torch float64| > 1e-4.
  lm_peers.py --bench BUILD SHAPE      SHAPE 0.5b or 1.5b (random weights shaped like Qwen2.5):
                                       bench-lm and PyTorch eager on the same weights and ids,
                                       8 x 512 tokens, float32, side by side in one run.

The PyTorch model follows transformers' modeling_qwen2 / modeling_llama / modeling_gpt2 (eager
attention); transformers itself is not packaged in Debian 12.
"""
import json, math, os, resource, struct, subprocess, sys, tempfile, time

import numpy as np

try:
    import torch
except ImportError:
    torch = None


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
    mm = np.memmap(path, dtype=np.uint8, mode='r', offset=8 + n)
    out = {}
    for name, t in header.items():
        if name == '__metadata__':
            continue
        b, e = t['data_offsets']
        raw = mm[b:e]
        if t['dtype'] == 'F32':
            a = raw.view(np.float32)
        elif t['dtype'] == 'BF16':
            a = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif t['dtype'] == 'F16':
            a = raw.view(np.float16).astype(np.float32)
        else:
            raise ValueError(t['dtype'])
        out[name] = a.reshape(t['shape'])
    return out


class TorchLM:
    def __init__(self, folder, dtype):
        self.cfg = json.load(open(os.path.join(folder, 'config.json')))
        self.arch = self.cfg['architectures'][0]
        self.dtype = dtype
        self.w = {k: torch.from_numpy(np.ascontiguousarray(v)).to(dtype)
                  for k, v in read_safetensors(os.path.join(folder, 'model.safetensors')).items()}

    def inv_freq(self):
        c = self.cfg
        hd = c.get('head_dim') or c['hidden_size'] // c['num_attention_heads']
        inv = 1.0 / (c.get('rope_theta', 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
        rs = c.get('rope_scaling')
        if rs and rs.get('rope_type', rs.get('type')) == 'llama3':
            factor, low, high = rs['factor'], rs['low_freq_factor'], rs['high_freq_factor']
            old = rs['original_max_position_embeddings']
            wavelen = 2 * math.pi / inv
            llama = torch.where(wavelen > old / low, inv / factor, inv)
            smooth = (old / wavelen - low) / (high - low)
            smoothed = (1 - smooth) * llama / factor + smooth * llama
            medium = ~(wavelen < old / high) * ~(wavelen > old / low)
            inv = torch.where(medium, smoothed, llama)
        return inv

    @torch.inference_mode()
    def logprobs(self, ids, start):
        """ids: LongTensor [B, L] (equal lengths); log p(ids[:, t]) for t >= start."""
        if self.arch == 'GPT2LMHeadModel':
            h = self._gpt2(ids)
        else:
            h = self._llama(ids)
        head = self.w.get('lm_head.weight')
        if head is None:
            head = self.w['transformer.wte.weight'] if self.arch == 'GPT2LMHeadModel' else self.w['model.embed_tokens.weight']
        logits = h[:, start - 1:-1] @ head.T   # the full logits tensor, as eager PyTorch does
        lp = torch.log_softmax(logits, dim=-1)
        return lp.gather(-1, ids[:, start:, None])[..., 0]

    def _attend(self, q, k, v):
        B, nh, L, hd = q.shape
        groups = nh // k.shape[1]
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        mask = torch.full((L, L), float('-inf'), dtype=s.dtype).triu(1)
        p = torch.softmax(s + mask, dim=-1)
        return (p @ v).transpose(1, 2).reshape(B, L, nh * hd)

    def _llama(self, ids):
        c, w = self.cfg, self.w
        B, L = ids.shape
        H, nh = c['hidden_size'], c['num_attention_heads']
        nkv = c.get('num_key_value_heads', nh)
        hd = c.get('head_dim') or H // nh
        eps = c.get('rms_norm_eps', 1e-6)
        inv = self.inv_freq()
        freqs = torch.arange(L, dtype=torch.float32)[:, None] * inv[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(self.dtype), emb.sin().to(self.dtype)

        def rms(x, g):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g

        def rot(x):
            x1, x2 = x[..., :hd // 2], x[..., hd // 2:]
            return torch.cat((-x2, x1), dim=-1)

        x = w['model.embed_tokens.weight'][ids]
        for l in range(c['num_hidden_layers']):
            p = f'model.layers.{l}.'
            xn = rms(x, w[p + 'input_layernorm.weight'])
            def proj(name):
                y = xn @ w[p + f'self_attn.{name}.weight'].T
                b = w.get(p + f'self_attn.{name}.bias')
                return y + b if b is not None else y
            q = proj('q_proj').view(B, L, nh, hd).transpose(1, 2)
            k = proj('k_proj').view(B, L, nkv, hd).transpose(1, 2)
            v = proj('v_proj').view(B, L, nkv, hd).transpose(1, 2)
            q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
            x = x + self._attend(q, k, v) @ w[p + 'self_attn.o_proj.weight'].T
            xn = rms(x, w[p + 'post_attention_layernorm.weight'])
            g = xn @ w[p + 'mlp.gate_proj.weight'].T
            u = xn @ w[p + 'mlp.up_proj.weight'].T
            x = x + (torch.nn.functional.silu(g) * u) @ w[p + 'mlp.down_proj.weight'].T
        return rms(x, w['model.norm.weight'])

    def _gpt2(self, ids):
        c, w = self.cfg, self.w
        B, L = ids.shape
        H, nh = c['n_embd'], c['n_head']
        hd = H // nh
        eps = c.get('layer_norm_epsilon', 1e-5)
        pre = 'transformer.' if 'transformer.wte.weight' in w else ''
        ln = lambda x, n: torch.nn.functional.layer_norm(x, (H,), w[n + '.weight'], w[n + '.bias'], eps)
        x = w[pre + 'wte.weight'][ids] + w[pre + 'wpe.weight'][:L]
        for l in range(c['n_layer']):
            p = f'{pre}h.{l}.'
            qkv = ln(x, p + 'ln_1') @ w[p + 'attn.c_attn.weight'] + w[p + 'attn.c_attn.bias']
            q, k, v = (t.view(B, L, nh, hd).transpose(1, 2) for t in qkv.split(H, dim=-1))
            x = x + self._attend(q, k, v) @ w[p + 'attn.c_proj.weight'] + w[p + 'attn.c_proj.bias']
            hmid = ln(x, p + 'ln_2') @ w[p + 'mlp.c_fc.weight'] + w[p + 'mlp.c_fc.bias']
            hmid = torch.nn.functional.gelu(hmid, approximate='tanh')
            x = x + hmid @ w[p + 'mlp.c_proj.weight'] + w[p + 'mlp.c_proj.bias']
        return ln(x, pre + 'ln_f')


def check(build):
    cli = os.path.join(build, 'app', 'cli', 'assay-cli')
    maker = os.path.join(build, 'tests', 'make-test-lm')
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, 'in.jsonl')
        rows = [{'id': i, 'prompt': p, 'response': r} for i, (p, r) in enumerate([
            ('the', ' answer is in the middle of the text'),
            ('Question: what is 12 + 30?', ' The answer is 42, in the end.'),
            ('x' * 60, ' ' + 'the other ' * 20)])]
        with open(inp, 'w') as f:
            for r in rows:
                f.write(json.dumps(r) + '\n')
        for arch in ('llama', 'qwen2', 'gpt2'):
            for dtype in ('f32', 'bf16'):
                model = os.path.join(tmp, f'{arch}-{dtype}')
                subprocess.run([maker, model, '--arch', arch, '--dtype', dtype, '--seed', '5'], check=True)
                out = os.path.join(tmp, f'out-{arch}-{dtype}.jsonl')
                subprocess.run([cli, 'lm', 'score', '--model', model, '--input', inp, '--output', out],
                               check=True, stdout=subprocess.DEVNULL)
                t64, t32 = TorchLM(model, torch.float64), TorchLM(model, torch.float32)
                d64 = d32 = 0.0
                for line in open(out):
                    r = json.loads(line)
                    ids = torch.tensor([r['token_ids']])
                    # the prompt's ids are the tokens before the response: recompute them
                    full = json.loads(subprocess.run([cli, 'lm', 'tokenize', '--tokenizer', model, '--text',
                                                      r['prompt'], '--json'], check=True,
                                                     capture_output=True).stdout)['ids']
                    seq = torch.tensor([full + r['token_ids']])
                    ours = np.array(r['logprobs'], dtype=np.float64)
                    ref64 = t64.logprobs(seq, len(full)).numpy()[0]
                    ref32 = t32.logprobs(seq, len(full)).numpy()[0]
                    d64 = max(d64, float(np.abs(ours - ref64).max()))
                    d32 = max(d32, float(np.abs(ours - ref32).max()))
                print(f'{arch:6s} {dtype:5s} max|assay - torch f64| = {d64:.2e}   max|assay - torch f32| = {d32:.2e}')
                worst = max(worst, d64)
    print(f'worst {worst:.2e} (tolerance 1e-4)')
    return 0 if worst <= 1e-4 else 1


SHAPES = {
    '0.5b': dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                 intermediate_size=4864, vocab_size=151936, tie_word_embeddings=True),
    '1.5b': dict(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2,
                 intermediate_size=8960, vocab_size=151936, tie_word_embeddings=True),
}


def make_shape(folder, shape):
    """Random Qwen2.5-shaped weights, bf16 on disk (they become float32 on the CPU)."""
    if os.path.exists(os.path.join(folder, 'model.safetensors')):
        return
    os.makedirs(folder, exist_ok=True)
    c = dict(SHAPES[shape], architectures=['Qwen2ForCausalLM'], max_position_embeddings=32768,
             rms_norm_eps=1e-6, rope_theta=1000000.0, hidden_act='silu', torch_dtype='bfloat16')
    H, I, V, L = c['hidden_size'], c['intermediate_size'], c['vocab_size'], c['num_hidden_layers']
    hd = H // c['num_attention_heads']
    q, kv = c['num_attention_heads'] * hd, c['num_key_value_heads'] * hd
    names = [('model.embed_tokens.weight', (V, H), 0.02)]
    for l in range(L):
        p = f'model.layers.{l}.'
        names += [(p + 'input_layernorm.weight', (H,), 1.0),
                  (p + 'self_attn.q_proj.weight', (q, H), H ** -0.5), (p + 'self_attn.q_proj.bias', (q,), 0.02),
                  (p + 'self_attn.k_proj.weight', (kv, H), H ** -0.5), (p + 'self_attn.k_proj.bias', (kv,), 0.02),
                  (p + 'self_attn.v_proj.weight', (kv, H), H ** -0.5), (p + 'self_attn.v_proj.bias', (kv,), 0.02),
                  (p + 'self_attn.o_proj.weight', (H, q), q ** -0.5),
                  (p + 'post_attention_layernorm.weight', (H,), 1.0),
                  (p + 'mlp.gate_proj.weight', (I, H), H ** -0.5), (p + 'mlp.up_proj.weight', (I, H), H ** -0.5),
                  (p + 'mlp.down_proj.weight', (H, I), I ** -0.5)]
    header, off = {}, 0
    for n, s, _ in names:
        size = int(np.prod(s)) * 2
        header[n] = {'dtype': 'BF16', 'shape': list(s), 'data_offsets': [off, off + size]}
        off += size
    header['model.norm.weight'] = {'dtype': 'BF16', 'shape': [H], 'data_offsets': [off, off + 2 * H]}
    names.append(('model.norm.weight', (H,), 1.0))
    hb = json.dumps(header).encode()
    hb += b' ' * (-len(hb) % 8)
    rng = np.random.default_rng(1)
    with open(os.path.join(folder, 'model.safetensors'), 'wb') as f:
        f.write(struct.pack('<Q', len(hb)) + hb)
        for n, s, scale in names:
            if n.endswith('layernorm.weight') or n == 'model.norm.weight':
                a = np.ones(s, dtype=np.float32)
            else:
                a = rng.standard_normal(s, dtype=np.float32) * np.float32(scale)
            f.write((a.view(np.uint32) >> 16).astype(np.uint16).tobytes())
    json.dump(c, open(os.path.join(folder, 'config.json'), 'w'))


def torch_bench(folder, batch, length, rounds):
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '2')))
    lm = TorchLM(folder, torch.float32)
    cfg = lm.cfg
    rng = np.random.default_rng(1)
    ids = torch.from_numpy(rng.integers(0, cfg['vocab_size'], size=(batch, length)))
    lm.logprobs(ids, 1)  # warm-up
    t0 = time.perf_counter()
    for _ in range(rounds):
        lm.logprobs(ids, 1)
    s = time.perf_counter() - t0
    # VmHWM starts afresh at exec; ru_maxrss would keep the parent's peak
    rss = next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmHWM:'))
    print(json.dumps({'tokens_per_second': rounds * batch * (length - 1) / s, 'seconds_per_batch': s / rounds,
                      'peak_rss_bytes': rss, 'threads': torch.get_num_threads()}))


def agree(build, folder):
    """Log-probs of two texts through assay-cli and the PyTorch model on the large shape."""
    data = os.environ.get('ASSAY_SHARED_DATA', os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'data'))
    tok = os.path.join(data, 'tokenizers', 'qwen2_5', 'tokenizer.json')
    if not os.path.exists(os.path.join(folder, 'tokenizer.json')):
        import shutil
        shutil.copy(tok, os.path.join(folder, 'tokenizer.json'))
    cli = os.path.join(build, 'app', 'cli', 'assay-cli')
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = os.path.join(tmp, 'in.jsonl'), os.path.join(tmp, 'out.jsonl')
        with open(inp, 'w') as f:
            f.write(json.dumps({'id': 1, 'prompt': 'Question: 12 + 30 = ?', 'response': ' Step 1: add the tens. The answer is 42.'}) + '\n')
            f.write(json.dumps({'id': 2, 'prompt': 'Describe the video.', 'response': ' A rabbit wakes up under a tree and stretches.'}) + '\n')
        subprocess.run([cli, 'lm', 'score', '--model', folder, '--input', inp, '--output', out], check=True,
                       stdout=subprocess.DEVNULL)
        lm = TorchLM(folder, torch.float64)
        worst = 0.0
        for line in open(out):
            r = json.loads(line)
            prompt = json.loads(subprocess.run([cli, 'lm', 'tokenize', '--tokenizer', folder, '--text', r['prompt'],
                                                '--json'], check=True, capture_output=True).stdout)['ids']
            ref = lm.logprobs(torch.tensor([prompt + r['token_ids']]), len(prompt)).numpy()[0]
            worst = max(worst, float(np.abs(np.array(r['logprobs']) - ref).max()))
        del lm
        import gc
        gc.collect()
        return worst


def bench(build, shape, cache):
    folder = os.path.join(cache, f'qwen2.5-{shape}-shaped')
    make_shape(folder, shape)
    print(f'{shape}: max |assay-cli lm score - torch float64| on two texts = {agree(build, folder):.2e}')
    batch, length, rounds = 8, 512, 2
    env = dict(os.environ)
    res = {}
    for coretype in (os.environ.get('OPENBLAS_CORETYPE'), None):
        e = dict(env)
        label = coretype or 'auto'
        if coretype is None:
            e.pop('OPENBLAS_CORETYPE', None)
        elif 'OPENBLAS_CORETYPE' not in e:
            continue
        ours = json.loads(subprocess.run([os.path.join(build, 'tests', 'bench-lm'), folder, '--batch', str(batch),
                                          '--length', str(length), '--rounds', str(rounds)],
                                         env=e, check=True, capture_output=True, text=True).stdout)
        theirs = json.loads(subprocess.run([sys.executable, __file__, '--torch-bench', folder, str(batch),
                                            str(length), str(rounds)], env=e, check=True,
                                           capture_output=True, text=True).stdout)
        res[label] = (ours, theirs)
        print(f'{shape} OPENBLAS_CORETYPE={label}: assay {ours["tokens_per_second"]:.1f} tok/s '
              f'({ours["fraction_of_ceiling"] * 100:.0f}% of sgemm {ours["gemm_ceiling_gflops"]:.0f} GFLOP/s, '
              f'peak RSS {ours["peak_rss_bytes"] / 2**30:.2f} GiB) | torch {theirs["tokens_per_second"]:.1f} tok/s '
              f'(peak RSS {theirs["peak_rss_bytes"] / 2**30:.2f} GiB) | ratio {ours["tokens_per_second"] / theirs["tokens_per_second"]:.2f}x')
        print('  assay:', json.dumps(ours))
        print('  torch:', json.dumps(theirs))
    return 0


if __name__ == '__main__':
    if len(sys.argv) >= 2 and sys.argv[1] == '--torch-bench':
        torch_bench(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        sys.exit(0)
    if torch is None:
        print('SKIP: python3-torch is not installed')
        sys.exit(77)
    if sys.argv[1] == '--check':
        sys.exit(check(sys.argv[2]))
    if sys.argv[1] == '--bench':
        sys.exit(bench(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else tempfile.gettempdir()))
    print(__doc__)
    sys.exit(2)
