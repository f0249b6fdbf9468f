#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Text embeddings against PyTorch (Debian python3-torch).

  encoder_peers.py --check BUILD DATA   tiny random BERT, RoBERTa and XLM-R encoders and a tiny
                                        Llama used as an embedder: `assay-cli embed` against the
                                        same forward pass written here in float64 (transformers'
                                        modeling_bert / modeling_roberta, eager attention), on
                                        AG News headlines and edge cases; exit 1 when any
                                        |assay - torch float64| > 1e-5, when a text's embedding
                                        changes with the texts batched beside it, or when a bad
                                        folder is not refused with a clear message.

The PyTorch encoder takes the token ids `assay-cli lm tokenize` gives (the tokenizers have their
own peer test) and adds the special tokens and the cut to the longest text itself.
"""
import csv, json, math, os, struct, subprocess, sys, tempfile

import numpy as np

try:
    import torch
except ImportError:
    torch = None

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lm_peers import TorchLM, read_safetensors  # noqa: E402

TOL = 1e-5
failures = []


def fail(message):
    failures.append(message)
    print('FAIL: ' + message)


def write_safetensors(path, tensors, dtype='F32'):
    header, off, blobs = {}, 0, []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype=np.float32)
        raw = (a.view(np.uint32) >> 16).astype(np.uint16).tobytes() if dtype == 'BF16' else a.tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [off, off + len(raw)]}
        off += len(raw)
        blobs.append(raw)
    hb = json.dumps(header).encode()
    hb += b' ' * (-len(hb) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(hb)) + hb)
        for b in blobs:
            f.write(b)


def wordpiece_tokenizer(texts):
    """A BERT tokenizer.json (uncased WordPiece) whose vocabulary covers the texts' frequent words
    and every character, so that words split into ## pieces too."""
    import collections, re, unicodedata
    specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    words = collections.Counter()
    chars = set()
    for t in texts:
        t = unicodedata.normalize('NFD', t.lower())
        t = ''.join(c for c in t if unicodedata.category(c) != 'Mn')
        for w in re.findall(r'\w+|[^\w\s]', t):
            words[w] += 1
            chars.update(w)
    vocab = list(specials)
    vocab += sorted(chars)
    vocab += ['##' + c for c in sorted(chars)]
    vocab += [w for w, n in words.most_common(300) if len(w) > 1 and w not in vocab]
    vocab += ['##ing', '##ed', '##s', '##er', '##tion']
    seen, unique = set(), []
    for v in vocab:
        if v not in seen:
            seen.add(v)
            unique.append(v)
    ids = {v: i for i, v in enumerate(unique)}
    return {
        'version': '1.0',
        'added_tokens': [{'id': i, 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False,
                          'normalized': False, 'special': True} for i, s in enumerate(specials)],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True,
                       'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {'type': 'TemplateProcessing',
                           'single': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}},
                                      {'Sequence': {'id': 'A', 'type_id': 0}},
                                      {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}],
                           'pair': [], 'special_tokens': {
                               '[CLS]': {'id': '[CLS]', 'ids': [2], 'tokens': ['[CLS]']},
                               '[SEP]': {'id': '[SEP]', 'ids': [3], 'tokens': ['[SEP]']}}},
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##',
                  'max_input_chars_per_word': 100, 'vocab': ids},
    }, 2, 3


def unigram_tokenizer(texts):
    """An XLM-R tokenizer.json (Unigram; <s> <pad> </s> <unk> first, <mask> last; Metaspace) whose
    pieces are the texts' frequent words with "▁" before them and every character, scored by
    log frequency; no character map (the Precompiled normaliser is read and checked against
    SentencePiece in unigram_peers.py)."""
    import collections, math, re
    words, chars = collections.Counter(), collections.Counter()
    for t in texts:
        for w in re.findall(r'\S+', t):
            words['\u2581' + w] += 1
            chars.update(w)
    pieces = [('\u2581', 1000)] + list(chars.items()) + [(w, n) for w, n in words.most_common(400)]
    total = sum(n for _, n in pieces)
    vocab = [['<s>', 0.0], ['<pad>', 0.0], ['</s>', 0.0], ['<unk>', 0.0]]
    vocab += [[p, math.log(n / total)] for p, n in pieces] + [['<mask>', 0.0]]
    specials = [('<s>', 0), ('<pad>', 1), ('</s>', 2), ('<unk>', 3), ('<mask>', len(vocab) - 1)]
    return {
        'version': '1.0',
        'added_tokens': [{'id': i, 'content': s, 'single_word': False, 'lstrip': s == '<mask>', 'rstrip': False,
                          'normalized': False, 'special': True} for s, i in specials],
        'normalizer': {'type': 'Sequence', 'normalizers': [
            {'type': 'Precompiled', 'precompiled_charsmap': None},
            {'type': 'Replace', 'pattern': {'Regex': ' {2,}'}, 'content': ' '}]},
        'pre_tokenizer': {'type': 'Metaspace', 'replacement': '\u2581', 'add_prefix_space': True},
        'post_processor': {'type': 'TemplateProcessing',
                           'single': [{'SpecialToken': {'id': '<s>', 'type_id': 0}},
                                      {'Sequence': {'id': 'A', 'type_id': 0}},
                                      {'SpecialToken': {'id': '</s>', 'type_id': 0}}],
                           'pair': [], 'special_tokens': {
                               '<s>': {'id': '<s>', 'ids': [0], 'tokens': ['<s>']},
                               '</s>': {'id': '</s>', 'ids': [2], 'tokens': ['</s>']}}},
        'decoder': {'type': 'Metaspace', 'replacement': '\u2581', 'add_prefix_space': True},
        'model': {'type': 'Unigram', 'unk_id': 3, 'vocab': vocab},
    }, 0, 2


def roberta_tokenizer(data):
    """GPT-2's byte-level BPE with RoBERTa's <s> text </s> around it."""
    enc = json.load(open(os.path.join(data, 'tokenizers', 'gpt2', 'encoder.json')))
    merges = [l for l in open(os.path.join(data, 'tokenizers', 'gpt2', 'vocab.bpe'), encoding='utf-8')
              .read().split('\n')[1:] if l]
    n = len(enc)
    added = [('<s>', n), ('</s>', n + 1), ('<pad>', n + 2)]
    return {
        'version': '1.0',
        'added_tokens': [{'id': i, 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False,
                          'normalized': False, 'special': True} for s, i in added],
        'normalizer': None,
        'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True,
                          'use_regex': True},
        'post_processor': {'type': 'RobertaProcessing', 'sep': ['</s>', n + 1], 'cls': ['<s>', n],
                           'trim_offsets': True, 'add_prefix_space': False},
        'decoder': {'type': 'ByteLevel'},
        'model': {'type': 'BPE', 'vocab': enc, 'merges': merges},
    }, n, n + 1, n + 3


def make_encoder(folder, arch, vocab, seed, prefix='', dtype='F32', extra=None, dims=(32, 2, 4, 64), **cfg):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    H, L, nh, I = dims
    maxpos = cfg.pop('max_position_embeddings', 64)
    c = dict(architectures=[arch], hidden_size=H, num_hidden_layers=L, num_attention_heads=nh,
             intermediate_size=I, vocab_size=vocab, max_position_embeddings=maxpos,
             type_vocab_size=2, layer_norm_eps=1e-12, hidden_act='gelu', pad_token_id=0,
             position_embedding_type='absolute')
    c.update(cfg)
    w = {}
    g = lambda *s, scale=0.5: rng.standard_normal(s).astype(np.float32) * np.float32(scale)
    w[prefix + 'embeddings.word_embeddings.weight'] = g(vocab, H)
    w[prefix + 'embeddings.position_embeddings.weight'] = g(c['max_position_embeddings'], H)
    w[prefix + 'embeddings.token_type_embeddings.weight'] = g(c['type_vocab_size'], H)
    w[prefix + 'embeddings.LayerNorm.weight'] = 1 + g(H, scale=0.1)
    w[prefix + 'embeddings.LayerNorm.bias'] = g(H, scale=0.1)
    for l in range(L):
        p = f'{prefix}encoder.layer.{l}.'
        for n in ('query', 'key', 'value'):
            w[p + f'attention.self.{n}.weight'] = g(H, H, scale=H ** -0.5)
            w[p + f'attention.self.{n}.bias'] = g(H, scale=0.1)
        w[p + 'attention.output.dense.weight'] = g(H, H, scale=H ** -0.5)
        w[p + 'attention.output.dense.bias'] = g(H, scale=0.1)
        w[p + 'attention.output.LayerNorm.weight'] = 1 + g(H, scale=0.1)
        w[p + 'attention.output.LayerNorm.bias'] = g(H, scale=0.1)
        w[p + 'intermediate.dense.weight'] = g(I, H, scale=H ** -0.5)
        w[p + 'intermediate.dense.bias'] = g(I, scale=0.1)
        w[p + 'output.dense.weight'] = g(H, I, scale=I ** -0.5)
        w[p + 'output.dense.bias'] = g(H, scale=0.1)
        w[p + 'output.LayerNorm.weight'] = 1 + g(H, scale=0.1)
        w[p + 'output.LayerNorm.bias'] = g(H, scale=0.1)
    for name, shape in (extra or {}).items():
        w[name] = g(*shape)
    if dtype == 'BF16':  # the reference sees the values the file holds
        for k in w:
            w[k] = ((w[k].view(np.uint32) >> 16) << 16).astype(np.uint32).view(np.float32)
    write_safetensors(os.path.join(folder, 'model.safetensors'), w, dtype)
    json.dump(c, open(os.path.join(folder, 'config.json'), 'w'))
    return c


class TorchEncoder:
    """transformers' BertModel / RobertaModel forward (eager attention), without padding."""
    def __init__(self, folder, dtype=torch.float64 if torch else None):
        self.cfg = json.load(open(os.path.join(folder, 'config.json')))
        w = read_safetensors(os.path.join(folder, 'model.safetensors'))
        self.pre = next(p for p in ('bert.', 'roberta.', '') if p + 'embeddings.word_embeddings.weight' in w)
        self.w = {k: torch.from_numpy(np.array(v)).to(dtype) for k, v in w.items()}
        roberta = not self.cfg['architectures'][0].startswith('Bert')
        self.offset = self.cfg['pad_token_id'] + 1 if roberta else 0

    def hidden(self, ids):
        return self.batch(torch.tensor([ids]))[0]

    @torch.inference_mode()
    def batch(self, t):
        """t: LongTensor [B, L] of equal lengths (no padding): hidden states [B, L, H]."""
        c, w, p0 = self.cfg, self.w, self.pre
        H, nh = c['hidden_size'], c['num_attention_heads']
        hd, eps, (B, L) = H // nh, c['layer_norm_eps'], t.shape
        ln = lambda x, n: torch.nn.functional.layer_norm(x, (H,), w[n + '.weight'], w[n + '.bias'], eps)
        lin = lambda x, n: torch.nn.functional.linear(x, w[n + '.weight'], w[n + '.bias'])
        pos = torch.arange(L) + self.offset
        x = w[p0 + 'embeddings.word_embeddings.weight'][t] + w[p0 + 'embeddings.position_embeddings.weight'][pos] \
            + w[p0 + 'embeddings.token_type_embeddings.weight'][torch.zeros(L, dtype=torch.long)]
        x = ln(x, p0 + 'embeddings.LayerNorm')
        act = {'gelu': lambda h: torch.nn.functional.gelu(h),
               'gelu_new': lambda h: torch.nn.functional.gelu(h, approximate='tanh')}[c['hidden_act']]
        for l in range(c['num_hidden_layers']):
            p = f'{p0}encoder.layer.{l}.'
            q, k, v = (lin(x, p + f'attention.self.{n}').view(B, L, nh, hd).transpose(1, 2)
                       for n in ('query', 'key', 'value'))
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), dim=-1) @ v
            x = ln(x + lin(a.transpose(1, 2).reshape(B, L, H), p + 'attention.output.dense'), p + 'attention.output.LayerNorm')
            h = act(lin(x, p + 'intermediate.dense'))
            x = ln(x + lin(h, p + 'output.dense'), p + 'output.LayerNorm')
        return x


def pool(h, mode, normalize):
    v = h[0] if mode == 'cls' else h[-1] if mode == 'last' else h.mean(0)
    if normalize:
        v = v / max(float(v.norm()), 1e-12)
    return v.numpy()


def texts_of(data, n):
    rows = list(csv.reader(open(os.path.join(data, 'text', 'ag_news_test.csv'), encoding='utf-8')))
    out = [r[1] for r in rows[:n]]
    out += ['', 'Ünïcödé Straße 東京 café 🙂🚀 naïve', 'word ' * 200 + 'end',
            'A' * 150, rows[n][2]]
    return out


def run(cli, *args, ok=True):
    r = subprocess.run([cli] + list(args), capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise RuntimeError(f'{" ".join(args)}: {r.stderr}')
    return r


def embed(cli, folder, texts, tmp, *opts):
    inp, out = os.path.join(tmp, 'in.jsonl'), os.path.join(tmp, 'out.jsonl')
    with open(inp, 'w') as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({'id': f't{i}', 'text': t}) + '\n')
    if os.path.exists(out):
        os.unlink(out)
    run(cli, 'embed', '--model', folder, '--input', inp, '--output', out, *opts)
    rows = [json.loads(l) for l in open(out)]
    assert [r['id'] for r in rows] == [f't{i}' for i in range(len(texts))], 'ids out of order'
    return np.array([r['embedding'] for r in rows], dtype=np.float64)


def token_ids(cli, folder, texts, tmp):
    out = []
    for t in texts:  # one call per text: a text may hold what --input would split at
        r = run(cli, 'lm', 'tokenize', '--tokenizer', folder, '--text', t, '--json')
        out.append(json.loads(r.stdout)['ids'])
    return out


def check_model(cli, folder, texts, tmp, bos, eos, max_tokens, label, modes=(('mean', True),)):
    ref = TorchEncoder(folder)
    bodies = token_ids(cli, folder, texts, tmp)
    room = max_tokens - 2
    seqs = [[bos] + b[:room] + [eos] for b in bodies]
    hidden = [ref.hidden(s) for s in seqs]
    for mode, norm in modes:
        ours = embed(cli, folder, texts, tmp, '--pooling', mode, '--normalize' if norm else '--no-normalize')
        want = np.array([pool(h, mode, norm) for h in hidden])
        d = float(np.abs(ours - want).max())
        print(f'{label:22s} {mode:4s} normalize={int(norm)}  max|assay - torch f64| = {d:.2e}'
              f'  ({len(texts)} texts, {sum(map(len, seqs))} tokens, longest {max(map(len, seqs))})')
        if not d <= TOL:
            fail(f'{label} {mode}: {d:.2e} > {TOL}')
    # a text alone equals the same text packed with 44 others: no padding, no attention across
    # texts. Not bit for bit: BLAS takes other kernels for other row counts (float32 rounding,
    # ~1e-8 here); a text seeing another would move it by ~1e-1.
    ours = embed(cli, folder, texts, tmp)
    worst = 0.0
    for k in (0, 1, len(texts) - 3, len(texts) - 1):
        alone = embed(cli, folder, [texts[k]], tmp)[0]
        worst = max(worst, float(np.abs(alone - ours[k]).max()))
    print(f'{label:22s} max|alone - in a batch| = {worst:.2e} on 4 texts (tolerance 1e-6)')
    if not worst <= 1e-6:
        fail(f'{label}: a text alone differs from it in a batch by {worst:.2e}')


def check(build, data):
    if torch is None:
        print('python3-torch is missing: skipped')
        return 77
    cli = os.path.join(build, 'app', 'cli', 'assay-cli')
    maker = os.path.join(build, 'tests', 'make-test-lm')
    texts = texts_of(data, 40)
    with tempfile.TemporaryDirectory() as tmp:
        wp, cls, sep = wordpiece_tokenizer(texts)
        # BERT with a pooler beside it (not read), names bare
        bert = os.path.join(tmp, 'bert')
        make_encoder(bert, 'BertModel', len(wp['model']['vocab']), 1,
                     extra={'pooler.dense.weight': (32, 32), 'pooler.dense.bias': (32,)})
        json.dump(wp, open(os.path.join(bert, 'tokenizer.json'), 'w'))
        check_model(cli, bert, texts, tmp, cls, sep, 64, 'BertModel',
                    (('mean', True), ('cls', True), ('cls', False), ('last', False)))
        # BertForMaskedLM names under bert., its head beside them, bf16 on disk, tanh GELU
        bert2 = os.path.join(tmp, 'bert-mlm')
        make_encoder(bert2, 'BertForMaskedLM', len(wp['model']['vocab']), 2, prefix='bert.', dtype='BF16',
                     hidden_act='gelu_new', extra={'cls.predictions.bias': (len(wp['model']['vocab']),),
                                                   'cls.predictions.transform.dense.weight': (32, 32)})
        json.dump(wp, open(os.path.join(bert2, 'tokenizer.json'), 'w'))
        check_model(cli, bert2, texts, tmp, cls, sep, 64, 'BertForMaskedLM bf16')
        # RoBERTa: byte-level BPE, positions from pad_token_id + 1, names under roberta.
        rt, s, e, vocab = roberta_tokenizer(data)
        rob = os.path.join(tmp, 'roberta')
        make_encoder(rob, 'RobertaForMaskedLM', vocab, 3, prefix='roberta.', pad_token_id=1,
                     max_position_embeddings=66, type_vocab_size=1,
                     extra={'lm_head.dense.weight': (32, 32), 'lm_head.bias': (vocab,)})
        json.dump(rt, open(os.path.join(rob, 'tokenizer.json'), 'w'))
        check_model(cli, rob, texts, tmp, s, e, 64, 'RobertaForMaskedLM')
        # XLM-R: RoBERTa's layout with its Unigram tokenizer, <s> text </s>
        ut, s, e = unigram_tokenizer(texts)
        xlmr = os.path.join(tmp, 'xlmr')
        make_encoder(xlmr, 'XLMRobertaModel', len(ut['model']['vocab']), 4, pad_token_id=1,
                     max_position_embeddings=34, type_vocab_size=1)
        json.dump(ut, open(os.path.join(xlmr, 'tokenizer.json'), 'w'))
        check_model(cli, xlmr, texts, tmp, s, e, 32, 'XLMRobertaModel')

        # sentence-transformers files: CLS pooling, no Normalize module -> not normalised
        os.makedirs(os.path.join(bert, '1_Pooling'))
        json.dump({'word_embedding_dimension': 32, 'pooling_mode_cls_token': True,
                   'pooling_mode_mean_tokens': False}, open(os.path.join(bert, '1_Pooling', 'config.json'), 'w'))
        json.dump([{'idx': 0, 'name': '0', 'path': '', 'type': 'sentence_transformers.models.Transformer'},
                   {'idx': 1, 'name': '1', 'path': '1_Pooling', 'type': 'sentence_transformers.models.Pooling'}],
                  open(os.path.join(bert, 'modules.json'), 'w'))
        ours = embed(cli, bert, texts[:3], tmp)
        ref = TorchEncoder(bert)
        want = np.array([pool(ref.hidden([cls] + b[:62] + [sep]), 'cls', False)
                         for b in token_ids(cli, bert, texts[:3], tmp)])
        d = float(np.abs(ours - want).max())
        print(f'{"modules.json cls":22s} max|assay - torch f64| = {d:.2e}')
        if not d <= TOL:
            fail(f'modules.json: {d:.2e}')

        # what must be refused, with a message naming the cause
        def refused(args, needle, what):
            r = run(cli, *args, ok=False)
            if r.returncode == 0 or needle not in r.stderr:
                fail(f'{what}: exit {r.returncode}, stderr {r.stderr.strip()!r} lacks {needle!r}')
            else:
                print(f'refused: {what}: {r.stderr.strip().splitlines()[-1][:110]}')
        inp = os.path.join(tmp, 'in.jsonl')
        modules = json.load(open(os.path.join(bert, 'modules.json')))
        json.dump(modules + [{'idx': 2, 'name': '2', 'path': '2_Dense', 'type': 'sentence_transformers.models.Dense'}],
                  open(os.path.join(bert, 'modules.json'), 'w'))
        refused(['embed', '--model', bert, '--input', inp, '--output', os.path.join(tmp, 'x.jsonl')], 'Dense',
                'a Dense module')
        json.dump({'pooling_mode_max_tokens': True}, open(os.path.join(bert, '1_Pooling', 'config.json'), 'w'))
        json.dump(modules, open(os.path.join(bert, 'modules.json'), 'w'))
        refused(['embed', '--model', bert, '--input', inp, '--output', os.path.join(tmp, 'x.jsonl')],
                'pooling_mode_max_tokens', 'max pooling')
        with open(os.path.join(tmp, 'bad.jsonl'), 'w') as f:
            f.write('{"id": 1, "text": "fine"}\n{"id": 2, "body": "no text"}\n')
        refused(['embed', '--model', rob, '--input', os.path.join(tmp, 'bad.jsonl'), '--output',
                 os.path.join(tmp, 'x.jsonl')], 'bad.jsonl:2', 'a line without text')
        with open(os.path.join(tmp, 'score.jsonl'), 'w') as f:
            f.write('{"id": 1, "prompt": "a", "response": "b"}\n')
        refused(['lm', 'score', '--model', rob, '--input', os.path.join(tmp, 'score.jsonl'), '--output',
                 os.path.join(tmp, 'x.jsonl')], 'is an encoder', 'scoring with an encoder')
        cfg = json.load(open(os.path.join(xlmr, 'config.json')))
        json.dump(dict(cfg, position_embedding_type='relative_key'), open(os.path.join(xlmr, 'config.json'), 'w'))
        refused(['embed', '--model', xlmr, '--input', inp, '--output', os.path.join(tmp, 'x.jsonl')],
                'relative_key', 'relative positions')
        json.dump(dict(cfg, hidden_size=48), open(os.path.join(xlmr, 'config.json'), 'w'))
        refused(['embed', '--model', xlmr, '--input', inp, '--output', os.path.join(tmp, 'x.jsonl')],
                'has shape', 'weights of another shape')

        # a causal LM as an embedder: last-token pooling after the final norm
        llama = os.path.join(tmp, 'llama')
        subprocess.run([maker, llama, '--arch', 'llama', '--dtype', 'f32', '--seed', '5'], check=True)
        short = texts[:8]
        ours = embed(cli, llama, short, tmp)
        lm = TorchLM(llama, torch.float64)
        assert json.load(open(os.path.join(llama, 'tokenizer.json'))).get('post_processor') is None
        worst = 0.0
        for k, ids in enumerate(token_ids(cli, llama, short, tmp)):  # no special tokens to add
            h = lm._llama(torch.tensor([ids]))[0]
            want = pool(h, 'last', True)
            worst = max(worst, float(np.abs(ours[k] - want).max()))
        print(f'{"Llama (last token)":22s} max|assay - torch f64| = {worst:.2e}')
        if not worst <= TOL:
            fail(f'llama embedder: {worst:.2e}')
        # the same weights saved as a bare LlamaModel (names without "model.", no lm_head), as
        # embedders such as E5-Mistral are: the same vectors; scoring with it is refused
        bare = os.path.join(tmp, 'llama-bare')
        os.makedirs(bare)
        w = read_safetensors(os.path.join(llama, 'model.safetensors'))
        write_safetensors(os.path.join(bare, 'model.safetensors'),
                          {k[len('model.'):] if k.startswith('model.') else k: v for k, v in w.items() if k != 'lm_head.weight'})
        cfg = json.load(open(os.path.join(llama, 'config.json')))
        json.dump(dict(cfg, architectures=['LlamaModel']), open(os.path.join(bare, 'config.json'), 'w'))
        import shutil
        shutil.copy(os.path.join(llama, 'tokenizer.json'), bare)
        d = float(np.abs(embed(cli, bare, short, tmp) - ours).max())
        print(f'{"LlamaModel (bare)":22s} max|bare - LlamaForCausalLM| = {d:.2e}')
        if d != 0.0:
            fail(f'a bare LlamaModel embeds differently: {d:.2e}')
        refused(['lm', 'score', '--model', bare, '--input', os.path.join(tmp, 'score.jsonl'), '--output',
                 os.path.join(tmp, 'x.jsonl')], 'no language-model head', 'scoring with a bare LlamaModel')
    print(f'{len(failures)} failure(s)')
    return 1 if failures else 0


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == '--check':
        sys.exit(check(sys.argv[2], sys.argv[3]))
    print(__doc__)
    sys.exit(2)
