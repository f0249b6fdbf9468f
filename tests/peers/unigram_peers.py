#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unigram tokenizers (XLM-R, T5) against SentencePiece itself and transformers.js.

No XLM-R or T5 tokenizer.json can be fetched here, so the test makes its own the way they were
made: SentencePiece (Debian's spm_train) trains 32 000-piece Unigram models on Reuters and
AG News with its default nmt_nfkc character map (one also with byte fallback, one with the
case-folding map), and each model is written as a tokenizer.json as transformers' converters
write them: the XLM-R layout (fairseq's four special tokens first, ids shifted by one, <mask>
last; Precompiled + Replace(" {2,}", " "), Metaspace with add_prefix_space, as on the Hub since
2020) and the current T5 layout (Precompiled + Strip(right) + Replace(" {2,}", "▁"), Metaspace
with prepend_scheme "always", byte fallback).

Peers, on the same >= 2 000 lines as tests/peers/tokenizer_peers.py plus lines of accents
(composed and not), full-width forms, ligatures, Hangul, emoji sequences, control characters
and runs of white space:
  - SentencePiece (python3-sentencepiece) encoding the original .model: ids identical on every
    line for the T5 layout; for the XLM-R layout, which keeps a trailing space as "▁" (Hugging
    Face's known difference from SentencePiece), on every line without white space at its end;
  - transformers.js (@lenml/tokenizers, node) on the same tokenizer.json: ids identical on every
    line its Precompiled stand-in (plain NFKC, it does not read the map) normalises as the map
    does (SentencePiece's own normaliser decides which lines those are).
Exit 77 (skipped) without spm_train or python3-sentencepiece; the transformers.js part is skipped
alone without node or the npm packages (tools/fetch-tokenizer-peers).

usage: unigram_peers.py ASSAY_CLI SHARED_DATA NPM_FOLDER"""
import base64
import csv
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

SKIP = 77

HARD = [
    "café naïve résumé", "cafe\u0301 nai\u0308ve", "Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ１２３", "ﬁnance ﬂow ﬀ ǆ ㎏ ㍻ ½",
    "ｶﾞｷﾞ ﾊﾟﾋﾟ half-width", "한국어 문장입니다 각", "emoji 👩‍👩‍👧 👍🏽 🇩🇪🇫🇷 ❤️ ok",
    "tab\tsep\tline", "ctrl\x01\x02\x7fchars", "zero\u200bwidth\u200djoin\ufeffbom",
    "  two  spaces   three    four ", "\u00a0nbsp\u2009thin\u3000ideo\u2028ls",
    "ÅÆØ ß ẞ İstanbul ǅ Σίσυφος", "日本語のテキストと漢字", "中文分词测试，标点！", "العربية نص עברית",
    "x" * 300, "▁already▁marked▁", "<s> not special </s> <unk> <mask>", "Ⅻ ⅻ ① ⑴ ⒜ ™ ℃ №",
    "e\u0301\u0301\u0301 stacked", "\u0301leading mark", "a\u20dd enclosing", "quote ‘single’ “double”",
]


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokenizer_peers import PEER, assay_ids, lines_of_text as base_lines  # noqa: E402


def lines_of_text(data, n_min=2000):
    out = base_lines(data, n_min) + HARD * 4
    return [l.replace("\n", " ") for l in out]


def corpus(data, path):
    with open(path, "w", encoding="utf-8") as out:
        for f in sorted(glob.glob(os.path.join(data, "xmtc", "reuters21578", "*.sgm"))):
            text = open(f, encoding="latin-1").read()
            for body in re.findall(r"<BODY>(.*?)</BODY>", text, re.S):
                for line in body.split("\n"):
                    if line.strip():
                        out.write(line.strip() + "\n")
        ag = os.path.join(data, "text", "ag_news_test.csv")
        if os.path.exists(ag):
            with open(ag, encoding="utf-8") as f:
                for row in csv.reader(f):
                    out.write(" ".join(row[1:]) + "\n")


def train(spm_train, text, prefix, extra):
    subprocess.run([spm_train, "--input=" + text, "--model_prefix=" + prefix, "--vocab_size=32000",
                    "--model_type=unigram", "--num_threads=2", "--minloglevel=2"] + extra,
                   check=True, capture_output=True)
    return prefix + ".model"


def to_tokenizer_json(model_path, layout, out_path):
    """Writes the .model as transformers' converters write a tokenizer.json; returns the map from
    SentencePiece ids to the file's ids."""
    from sentencepiece import sentencepiece_model_pb2 as pb
    m = pb.ModelProto()
    m.ParseFromString(open(model_path, "rb").read())
    charsmap = base64.b64encode(m.normalizer_spec.precompiled_charsmap).decode()
    pieces = [(p.piece, p.score) for p in m.pieces]
    unk = m.trainer_spec.unk_id
    added = []
    if layout == "xlmr":
        specials = ["<s>", "<pad>", "</s>", "<unk>"]
        vocab = [[s, 0.0] for s in specials] + [[p, s] for p, s in pieces[3:]] + [["<mask>", 0.0]]
        sp_to_file = {i: (i + 1 if i >= 3 else 3) for i in range(len(pieces))}
        sp_to_file[1], sp_to_file[2] = 0, 2
        unk_id = 3
        for i, s in enumerate(specials + ["<mask>"]):
            added.append({"id": i if s != "<mask>" else len(vocab) - 1, "content": s, "single_word": False,
                          "lstrip": s == "<mask>", "rstrip": False, "normalized": False, "special": True})
        normalizer = {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": charsmap},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
        pre = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}
        post = {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                                               "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}}
        model = {"type": "Unigram", "unk_id": unk_id, "vocab": vocab}
    else:
        vocab = [[p, s] for p, s in pieces]
        sp_to_file = {i: i for i in range(len(pieces))}
        for i, p in enumerate(m.pieces):
            if p.type in (2, 3):  # unknown, control
                added.append({"id": i, "content": p.piece, "single_word": False, "lstrip": False,
                              "rstrip": False, "normalized": False, "special": True})
        normalizer = {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": charsmap},
            {"type": "Strip", "strip_left": False, "strip_right": True},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"}]}
        # as tokenizers 0.15 to 0.18 wrote it (transformers.js reads add_prefix_space, newer files
        # have prepend_scheme alone)
        pre = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True, "prepend_scheme": "always",
               "split": True}
        post = {"type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "pair": [], "special_tokens": {"</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}}
        model = {"type": "Unigram", "unk_id": unk, "vocab": vocab,
                 "byte_fallback": bool(m.trainer_spec.byte_fallback)}
    tj = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
          "normalizer": normalizer, "pre_tokenizer": pre, "post_processor": post,
          "decoder": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
          "model": model}
    json.dump(tj, open(out_path, "w"), ensure_ascii=False)
    return sp_to_file, [a["content"] for a in added]


EXTEND = {"Mn", "Me", "Mc"}


def hf_quirk(text):
    """Whether the Hugging Face reading of the map (whole graphemes under 6 bytes by their
    shortest key, longer ones character by character) differs from SentencePiece's (longest key
    at each byte) on some grapheme of text: a base character with marks after it whose cluster is
    6 bytes or more, or whose first character alone has a key."""
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and (unicodedata.category(text[j]) in EXTEND or text[j] in "\uff9e\uff9f"
                                 or "\u1160" <= text[j] <= "\u11ff"):  # (Hangul vowel and final jamo)
            j += 1
        cluster = text[i:j]
        if j - i > 1 and unicodedata.normalize("NFKC", cluster) != cluster and (
                len(cluster.encode()) >= 6 or unicodedata.normalize("NFKC", text[i]) != text[i]):
            return True
        i = j
    return False


def js_precompiled(text):
    """transformers.js's stand-in for the map (it does not read it): Nmt's rules, then NFKC."""
    text = re.sub("[\u0001-\u0008\u000B\u000E-\u001F\u007F\u008F\u009F]", "", text)
    text = re.sub("[\u0009\u000A\u000C\u000D\u00A0\u1680\u2000-\u200F\u2028\u2029\u202F\u205F"
                  "\u2581\u3000\uFEFF\uFFFD]", " ", text)
    return "\uff5e".join(unicodedata.normalize("NFKC", part) for part in text.split("\uff5e"))


def sp_normalized(sp, text):
    """SentencePiece's normalisation of text (its map, then white space collapsed and trimmed)."""
    proto = sp.encode(text, out_type="immutable_proto")
    return "".join(p.piece for p in proto.pieces).replace("\u2581", " ").strip(" ")


def trailing_dropped(sp, text):
    """Whether SentencePiece dropped something at the end of text (white space, or characters its
    map removes), where the XLM-R layout keeps a "▁"."""
    pieces = sp.encode(text, out_type="immutable_proto").pieces
    return len(pieces) > 0 and pieces[-1].end != len(text)


def report(name, lines, got, want, checked, tie=None):
    """Prints and returns whether any compared line differs; tie(i), when given, says that line i's
    two segmentations have the same total score (both are best: Viterbi may return either)."""
    bad = [i for i in checked if got[i] != want[i]]
    ties = [i for i in bad if tie is not None and tie(i)]
    bad = [i for i in bad if i not in ties]
    print("%s: %d of %d lines compared, %d tokens, %d differ%s"
          % (name, len(checked), len(lines), sum(len(want[i]) for i in checked), len(bad),
             " (and %d ties between equally scored segmentations)" % len(ties) if ties else ""))
    for i in bad[:5]:
        print("  %r\n    assay %s\n    peer  %s" % (lines[i][:80], got[i][:24], want[i][:24]))
    return bool(bad)


def main():
    cli, data, npm = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3])
    spm_train = shutil.which("spm_train")
    try:
        import sentencepiece as spm
        from sentencepiece import sentencepiece_model_pb2  # noqa: F401 (needs python3-protobuf)
    except ImportError as e:
        print("SKIP: python3-sentencepiece / python3-protobuf are not installed (%s)" % e)
        return SKIP
    if spm_train is None:
        print("SKIP: spm_train (Debian's sentencepiece) is not installed")
        return SKIP
    if not os.path.isdir(os.path.join(data, "xmtc", "reuters21578")):
        print("SKIP: no Reuters text in %s" % data)
        return SKIP
    node = shutil.which("node")
    have_js = node is not None and os.path.isdir(os.path.join(npm, "node_modules", "@lenml", "tokenizers"))
    lines = lines_of_text(data)
    tmp = tempfile.mkdtemp(prefix="assay-unigram-peers-")
    try:
        text = os.path.join(tmp, "corpus.txt")
        corpus(data, text)
        cases = [
            ("xlmr layout, nmt_nfkc", train(spm_train, text, os.path.join(tmp, "plain"), []), "xlmr"),
            ("t5 layout, byte fallback", train(spm_train, text, os.path.join(tmp, "bytes"),
                                               ["--byte_fallback=true"]), "t5"),
            ("t5 layout, nmt_nfkc_cf", train(spm_train, text, os.path.join(tmp, "cf"),
                                             ["--normalization_rule_name=nmt_nfkc_cf"]), "t5"),
        ]
        lines_json = os.path.join(tmp, "lines.json")
        json.dump(lines, open(lines_json, "w"), ensure_ascii=False)
        if have_js:
            script = os.path.join(npm, "unigram-peer.mjs")
            with open(script, "w") as f:
                f.write(PEER)
        else:
            print("transformers.js part skipped: no node or no @lenml/tokenizers in %s" % npm)
        failed = 0
        for name, model_path, layout in cases:
            tok = os.path.join(tmp, os.path.basename(model_path) + ".tokenizer.json")
            sp_to_file, added = to_tokenizer_json(model_path, layout, tok)
            file_to_sp = {v: k for k, v in sp_to_file.items() if k not in (0, 1, 2) or v in (0, 2, 3)}
            sp = spm.SentencePieceProcessor(model_file=model_path)
            got = assay_ids(cli, tok, lines, tmp)
            want = [[sp_to_file[i] for i in sp.encode(t)] for t in lines]
            # not compared: added tokens (split out by Hugging Face, text to SentencePiece), the
            # Hugging Face reading of the map where it differs, and for the XLM-R layout the "▁"
            # it keeps for trailing white space
            checked = [i for i, t in enumerate(lines) if not any(a in t for a in added) and not hf_quirk(t)
                       and not (layout == "xlmr" and trailing_dropped(sp, t))]

            def score(ids):
                sp_ids = [file_to_sp.get(x) for x in ids]
                if any(x is None or sp.is_unknown(x) or sp.is_byte(x) for x in sp_ids):
                    return None
                return sum(sp.get_score(x) for x in sp_ids)

            def tie(i):
                x, y = got[i], want[i]
                k = 0
                while k < min(len(x), len(y)) and x[k] == y[k]:
                    k += 1
                while len(x) > k and len(y) > k and x[-1] == y[-1]:
                    x, y = x[:-1], y[:-1]
                a, b = score(x[k:]), score(y[k:])
                return a is not None and b is not None and abs(a - b) <= 1e-6 * max(1.0, abs(a))
            failed += report(name + " vs SentencePiece", lines, got, want, checked, tie)
            if have_js:
                p = subprocess.run([node, script, tok, lines_json], capture_output=True, text=True, cwd=npm)
                if p.returncode != 0:
                    raise SystemExit("transformers.js failed on %s: %s" % (name, p.stderr[-500:]))
                js = json.loads(p.stdout)
                same_norm = [i for i, t in enumerate(lines) if not hf_quirk(t)
                             and " ".join(w for w in js_precompiled(t).split(" ") if w) == sp_normalized(sp, t)]
                failed += report(name + " vs transformers.js", lines, got, js, same_norm)
        return 1 if failed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
