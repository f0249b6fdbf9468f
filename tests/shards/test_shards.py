#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shards and merge, through assay-cli: for each sharded verb, N shards merged equal one run row
for row and bit for bit; merging is idempotent and partial merges complete later; a shard task
never writes the workspace; a killed task leaves no shard file; and every wrong set of shards is
refused with a message naming the file.

usage: test_shards.py ASSAY_CLI MAKE_TEST_LM"""
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shard_util import Cli, make_models, same_records, same_run, write_traces  # noqa: E402

checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def digest(path):
    h = hashlib.sha256()
    for p in (path, path + "-wal"):
        if os.path.exists(p):
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def ws2_for_checks(ws, tmp):
    """A copy of the workspace with nothing merged, to try merges that must fail."""
    path = os.path.join(tmp, "checks.assay")
    if not os.path.exists(path):
        shutil.copy(ws, path)
        db = sqlite3.connect(path)
        db.execute("DELETE FROM shard_merges")
        db.commit()
        db.close()
    return path


def refused(p, *words):
    check(p.returncode == 1, "expected failure (exit 1), got %d: %s" % (p.returncode, p.stdout + p.stderr))
    for w in words:
        check(w in p.stderr, "expected “%s” in: %s" % (w, p.stderr.strip()))


def main():
    cli = Cli(os.path.abspath(sys.argv[1]))
    make_lm = os.path.abspath(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="assay-shards-")
    try:
        ws = os.path.join(tmp, "ws.assay")
        policy, reference = make_models(make_lm, tmp)
        traces = os.path.join(tmp, "traces.jsonl")
        write_traces(traces, 61)
        cli.run("traces", "import", "-w", ws, traces)
        credit = ["traces", "credit", "-w", ws, "--policy", policy, "--reference", reference,
                  "--batch-tokens", "700"]

        # ---- traces credit: one run, then 4 shards merged (partly, then the rest) ----------
        single = cli.run(*credit)["run"]
        before = digest(ws)
        shards = []
        for k in range(4):
            out = os.path.join(tmp, "credit-%d.assay" % k)
            r = cli.run(*credit, "--shard", "%d/4" % k, "--shard-out", out)
            check(r["k"] == k and r["n"] == 4 and r["traces"] > 0, "shard %d did some work: %r" % (k, r))
            shards.append(out)
        check(digest(ws) == before, "shard tasks did not write the workspace")
        refused(cli.run("merge", "-w", ws, shards[2], shards[0], ok=False), "missing", "1, 3 of 4")
        m = cli.run("merge", "-w", ws, shards[2], shards[0], "--partial")
        check(m["merged"] == [0, 2] and m["missing"] == [1, 3] and not m["complete"], "partial merge: %r" % m)
        m = cli.run("merge", "-w", ws, *shards)
        check(m["merged"] == [1, 3] and m["already"] == [0, 2] and m["complete"], "rest merged: %r" % m)
        merged = m["run"]
        n = same_run(ws, single, merged, "traces credit")
        check(n == 61, "every trace compared (%d)" % n)
        print("traces credit: 4 shards merged equal one run, %d rows, bit for bit" % n)

        # idempotent: merging again changes nothing
        before = digest(ws)
        m = cli.run("merge", "-w", ws, *reversed(shards))
        check(m["merged"] == [] and m["already"] == [0, 1, 2, 3] and m["run"] == merged, "again: %r" % m)
        db = sqlite3.connect(ws)
        check(db.execute("SELECT count(*) FROM trace_tokens WHERE run_id = ?", (merged,)).fetchone()[0] == 61,
              "no rows added by merging twice")
        check(db.execute("SELECT count(*) FROM runs WHERE kind = 'credit'").fetchone()[0] == 2,
              "no run added by merging twice")
        db.close()

        # ---- wrong sets of shards -----------------------------------------------------------
        # rows lost, or a part of the work not its own, after the shard was written
        lost = os.path.join(tmp, "lost.assay")
        shutil.copy(shards[1], lost)
        db = sqlite3.connect(lost)
        db.execute("DELETE FROM trace_tokens WHERE id = (SELECT min(id) FROM trace_tokens)")
        db.commit()
        db.close()
        refused(cli.run("merge", "-w", ws2_for_checks(ws, tmp), shards[0], lost, shards[2], shards[3], ok=False),
                "changed after it was written")
        moved = os.path.join(tmp, "moved.assay")
        shutil.copy(shards[1], moved)
        db = sqlite3.connect(moved)
        db.execute("UPDATE meta SET value = json_set (value, '$.begin', 0) WHERE key = 'shard'")
        db.commit()
        db.close()
        refused(cli.run("merge", "-w", ws, shards[0], moved, ok=False), "is not shard 1 of 4")
        # merge --output never writes over a shard or a workspace
        for target in (ws, shards[0]):
            p = cli.run("merge", "--output", target, shards[0], ok=False)
            check(p.returncode == 2 and ("not overwritten" in p.stderr or "one of the shards" in p.stderr),
                  "merge --output refuses %s: %s" % (target, p.stderr))
        dup = os.path.join(tmp, "copy.assay")
        shutil.copy(shards[1], dup)
        refused(cli.run("merge", "-w", ws, shards[1], dup, ok=False), "both shard 1 of 4")
        other = os.path.join(tmp, "other.assay")
        cli.run(*credit[:-1], "300", "--shard", "0/4", "--shard-out", other)
        refused(cli.run("merge", "-w", ws, shards[0], other, ok=False), "different runs")
        three = os.path.join(tmp, "three.assay")
        cli.run(*credit, "--shard", "0/3", "--shard-out", three)
        refused(cli.run("merge", "-w", ws, shards[0], three, ok=False), "different runs")
        garbage = os.path.join(tmp, "garbage.assay")
        with open(garbage, "wb") as f:
            f.write(b"SQLite format 3\0" + os.urandom(3000))
        refused(cli.run("merge", "-w", ws, garbage, ok=False), garbage)
        refused(cli.run("merge", "-w", ws, ws, ok=False), "not a finished shard")
        refused(cli.run("merge", "-w", ws, os.path.join(tmp, "none.assay"), ok=False), "no such shard")
        p = cli.run(*credit, "--shard", "4/4", "--shard-out", other, ok=False)
        check(p.returncode == 2 and "K must be" in p.stderr, "--shard 4/4 is wrong usage: %s" % p.stderr)
        p = cli.run(*credit, "--shard", "1/4", ok=False)
        check(p.returncode == 2 and "--shard-out" in p.stderr, "--shard needs --shard-out: %s" % p.stderr)
        # the shard file may not replace anything but a shard (the workspace, given by mistake)
        before = digest(ws)
        refused(cli.run(*credit, "--shard", "0/4", "--shard-out", ws, ok=False), "not a shard file")
        check(digest(ws) == before, "the workspace is left as it was")
        cli.run(*credit, "--shard", "0/4", "--shard-out", shards[0])  # a task run again: replaced
        # the records the shards were made from changed, or another workspace: refused
        ws2 = os.path.join(tmp, "ws2.assay")
        shutil.copy(ws, ws2)
        db = sqlite3.connect(ws2)
        db.execute("DELETE FROM shard_merges")
        db.execute("UPDATE gen_records SET text = text || ' (edited)' WHERE id = (SELECT max(id) FROM gen_records)")
        db.commit()
        db.close()
        refused(cli.run("merge", "-w", ws2, *shards, ok=False), "other traces than this workspace holds")
        ws4 = os.path.join(tmp, "ws4.assay")
        write_traces(os.path.join(tmp, "few.jsonl"), 61, words=3)
        cli.run("traces", "import", "-w", ws4, os.path.join(tmp, "few.jsonl"))
        refused(cli.run("merge", "-w", ws4, *shards, ok=False), "other traces than this workspace holds")

        # ---- a task killed half-way leaves no shard file ------------------------------------
        big = os.path.join(tmp, "big.jsonl")
        write_traces(big, 1500, steps_per=8, words=20)
        ws3 = os.path.join(tmp, "ws3.assay")
        cli.run("traces", "import", "-w", ws3, big)
        out = os.path.join(tmp, "killed.assay")
        cmd = [cli.exe, "traces", "credit", "-w", ws3, "--policy", policy, "--reference", reference,
               "--batch-tokens", "256", "--shard", "0/2", "--shard-out", out]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        still_running = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check(still_running, "the task was still working when killed (make the workload larger)")
        check(not os.path.exists(out), "no shard file after a kill")
        refused(cli.run("merge", "-w", ws3, out, ok=False), "no such shard")
        leftovers = [f for f in os.listdir(tmp) if f.startswith(".killed.assay.")]
        print("killed task: no shard file (%d temporary file(s) left beside it, never merged)" % len(leftovers))

        # ---- cpd score: 5 shards of 12 series ----------------------------------------------
        d = cli.run("cpd", "simulate", "-w", ws, "--type", "connection", "--count", "12", "--seed", "5")["dataset"]
        single = cli.run("cpd", "score", "-w", ws, "--dataset", d)["run"]
        cshards = []
        for k in range(5):
            out = os.path.join(tmp, "cpd-%d.assay" % k)
            cli.run("cpd", "score", "-w", ws, "--dataset", d, "--shard", "%d/5" % k, "--shard-out", out)
            cshards.append(out)
        m = cli.run("merge", "-w", ws, *cshards)
        check(m["complete"] and m["merged"] == [0, 1, 2, 3, 4], "cpd merged: %r" % m)
        n = same_run(ws, single, m["run"], "cpd score")
        print("cpd score: 5 shards merged equal one run, %d rows, bit for bit" % n)
        refused(cli.run("merge", "-w", ws, cshards[0], shards[0], ok=False), "different runs")

        # ---- lm score: a file verb, merged into --output in input order --------------------
        pairs = os.path.join(tmp, "pairs.jsonl")
        with open(pairs, "w") as f:
            for i in range(45):
                f.write(json.dumps({"id": i, "prompt": "Question %d: what is %d + %d?" % (i, i, 2 * i),
                                    "response": " ".join(["The answer is %d." % (3 * i)] * (1 + i % 4))}) + "\n")
        one = os.path.join(tmp, "one.jsonl")
        score = ["lm", "score", "--model", policy, "--reference", reference, "--input", pairs,
                 "--batch-tokens", "300"]
        cli.run(*score, "--output", one)
        lshards = []
        for k in range(3):
            out = os.path.join(tmp, "lm-%d.assay" % k)
            cli.run(*score, "--shard", "%d/3" % k, "--shard-out", out)
            lshards.append(out)
        refused(cli.run("merge", "-w", ws, *lshards, ok=False), "--output")
        refused(cli.run("merge", "--output", os.path.join(tmp, "x.jsonl"), lshards[0], lshards[2], ok=False),
                "missing")
        merged_file = os.path.join(tmp, "merged.jsonl")
        m = cli.run("merge", "--output", merged_file, *reversed(lshards))
        check(m["complete"] and m["output"] == merged_file, "lm score merged: %r" % m)
        with open(one, "rb") as a, open(merged_file, "rb") as b:
            one_bytes, merged_bytes = a.read(), b.read()
        check(one_bytes == merged_bytes, "lm score: the merged file equals one run's, byte for byte")
        print("lm score: 3 shards merged into a file equal to one run's (%d lines, %d bytes)"
              % (one_bytes.count(b"\n"), len(one_bytes)))

        # ---- embed: whole chunks of 256 texts; a text's vector does not depend on its chunk ---
        bert = os.path.join(tmp, "bert")
        subprocess.run([make_lm, bert, "--arch", "bert", "--seed", "3"], check=True)
        texts = os.path.join(tmp, "texts.jsonl")
        with open(texts, "w") as f:
            for i in range(600):
                f.write(json.dumps({"id": "t%d" % i, "text": "text number %d about %s" % (i, "xyz" * (i % 7))}) + "\n")
        emb = ["embed", "--model", bert, "--input", texts]
        one_e = os.path.join(tmp, "one-e.jsonl")
        cli.run(*emb, "--output", one_e)
        eshards, done = [], 0
        for k in range(2):
            out = os.path.join(tmp, "embed-%d.assay" % k)
            r = cli.run(*emb, "--shard", "%d/2" % k, "--shard-out", out)
            check(k == 1 or r["texts"] % 256 == 0, "embed shard %d: whole chunks (%r)" % (k, r))
            done += r["texts"]
            eshards.append(out)
        check(done == 600, "embed shards: every text once (%d)" % done)
        merged_e = os.path.join(tmp, "merged-e.jsonl")
        cli.run("merge", "--output", merged_e, *eshards)
        with open(one_e, "rb") as a, open(merged_e, "rb") as b:
            check(a.read() == b.read(), "embed: the merged file equals one run's, byte for byte")
        dry = cli.run("slurm", "submit", "-w", ws, "--array", "2", "--dry-run", *emb, "--output", one_e)
        check("'embed' '--model'" in dry["array"] and "'--output'" in dry["merge"], "embed as a cluster job: %r" % dry)
        print("embed: 2 shards merged into a file equal to one run's (600 texts)")

        # ---- lm generate: whole groups of prompts, each candidate on its own random stream -----
        prompts = os.path.join(tmp, "prompts.jsonl")
        with open(prompts, "w") as f:
            for i in range(13):
                f.write(json.dumps({"id": "q%d" % i, "prompt": "Tell me about %d and %s" % (i, "x" * (i % 7))}) + "\n")
        gen = ["lm", "generate", "--model", policy, "--input", prompts, "--n", "3", "--temperature", "1.0",
               "--top-p", "0.9", "--max-tokens", "24", "--seed", "7", "--max-batch", "6"]
        one = os.path.join(tmp, "gen-one.jsonl")
        cli.run(*gen, "--output", one)
        gshards = []
        for k in range(4):
            out = os.path.join(tmp, "gen-%d.assay" % k)
            cli.run(*gen, "--shard", "%d/4" % k, "--shard-out", out)
            gshards.append(out)
        merged_file = os.path.join(tmp, "gen-merged.jsonl")
        cli.run("merge", "--output", merged_file, *gshards)
        with open(one, "rb") as a, open(merged_file, "rb") as b:
            one_bytes, merged_bytes = a.read(), b.read()
        check(one_bytes.count(b"\n") == 39, "13 prompts x 3 candidates")
        check(one_bytes == merged_bytes, "lm generate: the merged file equals one run's, byte for byte")
        other = os.path.join(tmp, "gen-seed8.assay")
        cli.run(*gen[:-3], "8", *gen[-2:], "--shard", "1/4", "--shard-out", other)  # another seed
        refused(cli.run("merge", "--output", merged_file, gshards[0], other, gshards[2], gshards[3], ok=False),
                "different runs")
        print("lm generate: 4 shards merged into a file equal to one run's (%d candidates, %d bytes)"
              % (one_bytes.count(b"\n"), len(one_bytes)))

        # ---- traces sample: a verb that makes datasets -------------------------------------
        sample = ["traces", "sample", "-w", ws, "--model", policy, "--n", "3", "--max-tokens", "12",
                  "--temperature", "1.0", "--seed", "3", "--max-batch", "9", "--limit", "20"]
        r = cli.run(*sample)
        single = r["dataset"]
        sshards = []
        for k in range(3):
            out = os.path.join(tmp, "sample-%d.assay" % k)
            cli.run(*sample, "--shard", "%d/3" % k, "--shard-out", out)
            sshards.append(out)
        m = cli.run("merge", "-w", ws, sshards[1], "--partial")
        check(m["dataset"] > 0 and m["missing"] == [0, 2], "partial sample merge: %r" % m)
        m2 = cli.run("merge", "-w", ws, *sshards)
        check(m2["dataset"] == m["dataset"] and m2["merged"] == [0, 2], "rest into the same dataset: %r" % m2)
        n = same_records(ws, single, m2["dataset"])
        check(n == r["candidates"] == 60, "every candidate compared (%d)" % n)
        if r["pairs_dataset"]:
            same_records(ws, r["pairs_dataset"], m2["dataset"] + 1)
        print("traces sample: 3 shards merged equal one run, %d records (%d pairs in one run)"
              % (n, r["pairs"]))
        # pairs: a random model is never right, so none were drawn; give two shards a pairs
        # dataset by hand, as a run with a mix of right and wrong candidates writes it
        pair_ws = os.path.join(tmp, "pairs.assay")
        shutil.copy(ws, pair_ws)
        db = sqlite3.connect(pair_ws)
        db.execute("DELETE FROM shard_merges")
        db.commit()
        db.close()
        pshards = []
        for k in range(3):
            out = os.path.join(tmp, "pairs-%d.assay" % k)
            shutil.copy(sshards[k], out)
            if k != 1:
                db = sqlite3.connect(out)
                db.execute("INSERT INTO datasets (area, name, source) VALUES ('gen', 'DPO pairs of x', 'm')")
                pid = db.execute("SELECT max(id) FROM datasets").fetchone()[0]
                db.execute("INSERT INTO gen_records (dataset_id, ext_id, kind, prompt, text, rejected) "
                           "VALUES (?, ?, 'pair', 'q', 'good', 'bad')", (pid, "q%d:0>1" % k))
                db.commit()
                db.close()
            pshards.append(out)
        m = cli.run("merge", "-w", pair_ws, *pshards)
        db = sqlite3.connect(pair_ws)
        rows = db.execute("SELECT d.name, r.ext_id FROM gen_records r JOIN datasets d ON d.id = r.dataset_id "
                          "WHERE r.kind = 'pair' AND json_extract (d.params, '$.run_key') = ? ORDER BY r.ext_id",
                          (m["key"],)).fetchall()
        db.close()
        check(rows == [("DPO pairs of x", "q0:0>1"), ("DPO pairs of x", "q2:0>1")],
              "the pairs of two shards in one pairs dataset: %r" % rows)

        # ---- gen generate: answers as a dataset, and a judge's ratings into the records -----
        gen_ws = os.path.join(tmp, "gen.assay")
        cli.run("traces", "import", "-w", gen_ws, traces)
        elab = ["gen", "generate", "-w", gen_ws, "--template", "genco-elaboration", "--model", policy, "--n", "2",
                "--max-tokens", "10", "--max-batch", "8", "--limit", "25", "--seed", "4", "--temperature", "1.0"]
        r = cli.run(*elab)
        eshards = []
        for k in range(3):
            out = os.path.join(tmp, "elab-%d.assay" % k)
            cli.run(*elab, "--shard", "%d/3" % k, "--shard-out", out)
            eshards.append(out)
        m = cli.run("merge", "-w", gen_ws, *eshards)
        n = same_records(gen_ws, r["dataset"], m["dataset"])
        check(n == 50, "every answer compared (%d)" % n)
        print("gen generate: 3 shards merged equal one run, %d records" % n)
        # a judge over 2 048 positions whose answer is the token "3"
        digit = cli.run("lm", "tokenize", "--tokenizer", policy, "--text", "3")["ids"][0]
        judge_model = os.path.join(tmp, "judge")
        subprocess.run([make_lm, judge_model, "--max-positions", "2048", "--favour", str(digit)], check=True,
                       capture_output=True)
        judge = ["gen", "generate", "--template", "judge", "--model", judge_model + "-favoured", "--max-tokens", "1",
                 "--max-batch", "4", "--limit", "18", "--kind", "trace"]
        one_ws = os.path.join(tmp, "judged-once.assay")
        shutil.copy(gen_ws, one_ws)
        r = cli.run(*judge, "-w", one_ws)
        check(r["rated"] == 18, "the judge rated every record: %r" % r)
        jshards = []
        for k in range(4):
            out = os.path.join(tmp, "judge-%d.assay" % k)
            cli.run(*judge, "-w", gen_ws, "--shard", "%d/4" % k, "--shard-out", out)
            jshards.append(out)
        cli.run("merge", "-w", gen_ws, *jshards)
        a, b = sqlite3.connect(one_ws), sqlite3.connect(gen_ws)
        q = "SELECT id, scores FROM gen_records WHERE kind = 'trace' ORDER BY id"
        sa, sb = a.execute(q).fetchall(), b.execute(q).fetchall()
        a.close()
        b.close()
        check(sa == sb and sum(1 for _, sc in sa if sc) == 18, "judge: merged ratings equal one run's")
        refused(cli.run("gen", "generate", "-w", gen_ws, "--template", "llminer", "--model", policy,
                        "--shard", "0/2", "--shard-out", os.path.join(tmp, "llm.assay"), ok=False),
                "does not run in shards")
        print("gen generate: a judge in 4 shards rates the records as one run does (18 ratings)")

        # ---- xmtc train by blocks of labels (1 300 labels: three chunks of 512 problems) -------
        import random
        rng = random.Random(1)
        vocab = ["w%d" % i for i in range(3000)]
        for split, path in (("train", "xm-train.jsonl"), ("test", "xm-test.jsonl")):
            with open(os.path.join(tmp, path), "w") as f:
                for d in range(2080 if split == "train" else 520):
                    labels = sorted(set(rng.randrange(1300) for _ in range(rng.choice([1, 2, 3]))))
                    text = " ".join(rng.choice(vocab) for _ in range(30)) + " " + " ".join("k%d" % x for x in labels)
                    f.write(json.dumps({"id": "%s%d" % (split, d), "text": text,
                                        "labels": ["L%d" % x for x in labels]}) + "\n")
        xws = os.path.join(tmp, "xmtc.assay")
        d = cli.run("xmtc", "import", "-w", xws, os.path.join(tmp, "xm-train.jsonl"), "--test",
                    os.path.join(tmp, "xm-test.jsonl"))["dataset"]
        single = cli.run("xmtc", "train", "-w", xws, "--dataset", d)["run"]
        xshards = []
        for k in range(3):
            out = os.path.join(tmp, "xmtc-%d.assay" % k)
            cli.run("xmtc", "train", "-w", xws, "--dataset", d, "--shard", "%d/3" % k, "--shard-out", out)
            xshards.append(out)
        m = cli.run("merge", "-w", xws, xshards[2], xshards[0], "--partial")
        check(m["missing"] == [1], "partial: %r" % m)
        m = cli.run("merge", "-w", xws, *xshards)
        check(m["complete"] and m["run"] > single, "xmtc merged: %r" % m)
        n = same_run(xws, single, m["run"], "xmtc train")
        print("xmtc train: 3 shards of label blocks merged equal one run (weights, predictions, per-label "
              "results, terms, metrics: %d rows, bit for bit)" % n)

        # ---- slurm submit --dry-run: the scripts ---------------------------------------------
        dry = cli.run("slurm", "submit", "-w", ws, "--array", "3", "--partition", "gpu", "--gpus-per-task", "1",
                      "--time", "01:00:00", "--dry-run", *credit[:2], *credit[4:])
        check("#SBATCH --array=0-2" in dry["array"] and "--gpus-per-task=1" in dry["array"]
              and "--partition=gpu" in dry["array"] and '--shard "${SLURM_ARRAY_TASK_ID}/3"' in dry["array"],
              "array script: %s" % dry["array"])
        check("merge" in dry["merge"] and dry["folder"] in dry["merge"], "merge script: %s" % dry["merge"])
        # values that would break out of a #SBATCH line are refused; relative paths made absolute
        p = cli.run("slurm", "submit", "-w", ws, "--array", "2", "--time", "01:00:00\ntouch /tmp/x", "--dry-run",
                    *credit[:2], *credit[4:], ok=False)
        check(p.returncode == 2 and "--time" in p.stderr, "a newline in --time is refused: %s" % p.stderr)
        here = os.getcwd()
        os.chdir(tmp)
        try:
            dry = cli.run("slurm", "submit", "-w", ws, "--array", "2", "--dry-run", "traces", "credit",
                          "--policy", os.path.basename(policy), "--reference=" + os.path.basename(reference))
        finally:
            os.chdir(here)
        check("'--policy' '%s'" % policy in dry["array"] and "'--reference=%s'" % reference in dry["array"],
              "relative model paths made absolute: %s" % dry["array"])
        check(not os.path.exists(dry["folder"]), "a dry run writes nothing")
        p = cli.run("slurm", "submit", "-w", ws, "--array", "2", "--dry-run", "traces", "import", "x", ok=False)
        check(p.returncode == 2 and "does not run in shards" in p.stderr, "unsharded verb refused: %s" % p.stderr)
        dry = cli.run("slurm", "submit", "-w", ws, "--array", "2", "--dry-run", *score, "--output", one)
        check("'--output'" in dry["merge"] and "'--output'" not in dry["array"], "lm score: merge writes --output")

        print("%d checks passed" % checks)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
