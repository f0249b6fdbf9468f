# SPDX-License-Identifier: GPL-3.0-or-later
"""What the shard tests share: running assay-cli, a workspace with traces and a tiny model pair,
and the comparison of a merged run with one run, row for row and bit for bit."""
import json
import os
import sqlite3
import subprocess

# the columns of each sharded verb's rows that one run and a merge must give alike
CREDIT_COLUMNS = ("record_id, side, n_tokens, offsets, logprobs, ref_logprobs, reward, steps, "
                  "step_rewards, first_error")
CPD_SCORE_COLUMNS = "series_id, name, data"
CPD_RESULT_COLUMNS = "series_id, change_points, change_types, metrics, graphs"
# run metrics that measure time or say how the run was made, not what it found
TIMING = {"seconds", "tokens_per_second", "shards", "shards_missing", "run", "seconds_features",
          "seconds_train", "seconds_predict"}


class Cli:
    def __init__(self, exe, env=None):
        self.exe = exe
        self.env = dict(os.environ, **(env or {}))

    def run(self, *args, ok=True, json_out=True):
        cmd = [self.exe] + [str(a) for a in args] + (["--json"] if json_out else [])
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.env)
        if ok and p.returncode != 0:
            raise AssertionError("%s\nexit %d\n%s" % (" ".join(cmd), p.returncode, p.stderr))
        if not ok:
            return p
        return json.loads(p.stdout) if json_out else p.stdout


def write_traces(path, n, steps_per=4, words=6):
    """ProcessBench-style rows: a problem, numbered steps, a first-error label."""
    with open(path, "w") as f:
        for i in range(n):
            steps = ["Step %d: we take %d and add %d to get %d, then %s." %
                     (s + 1, i + s, s * 3, i + 4 * s, " ".join("w%d" % ((i * 7 + s + w) % 50)
                                                               for w in range(words)))
                     for s in range(steps_per)]
            label = -1 if i % 3 == 0 else i % steps_per
            steps[-1] += " The answer is %d." % (i + (i + 1) * (i % 5))
            f.write(json.dumps({"id": "p%d" % i, "problem": "What is %d plus %d times %d?" % (i, i + 1, i % 5),
                                "steps": steps, "label": label,
                                "final_answer_correct": label == -1}) + "\n")


def make_models(make_lm, folder):
    """A tiny policy and its reference (the same model with one token favoured)."""
    base = os.path.join(folder, "model")
    subprocess.run([make_lm, base, "--favour", "17"], check=True, capture_output=True)
    return base + "-favoured", base


def rows(db, table, columns, run, order):
    return db.execute("SELECT %s FROM %s WHERE run_id = ? ORDER BY %s" % (columns, table, order),
                      (run,)).fetchall()


def metrics(db, run):
    text = db.execute("SELECT metrics FROM runs WHERE id = ?", (run,)).fetchone()[0]
    return {k: v for k, v in json.loads(text).items() if k not in TIMING}


def same_run(workspace, single, merged, verb):
    """Asserts that the merged run equals the single one; returns the number of rows compared."""
    db = sqlite3.connect(workspace)
    try:
        n = 0
        if verb == "traces credit":
            tables = [("trace_tokens", CREDIT_COLUMNS, "record_id, side")]
        elif verb == "xmtc train":
            tables = [("xmtc_weights", "label_idx, intercept, indices, weights", "label_idx"),
                      ("xmtc_predictions", "doc_id, labels, scores", "doc_id"),
                      ("xmtc_label_results", "k, label_idx, tp, fp, fn", "k, label_idx"),
                      ("xmtc_run_terms", "idx, term, idf", "idx")]
        else:
            tables = [("cpd_scores", CPD_SCORE_COLUMNS, "series_id, name"),
                      ("cpd_results", CPD_RESULT_COLUMNS, "series_id")]
        for table, columns, order in tables:
            a, b = rows(db, table, columns, single, order), rows(db, table, columns, merged, order)
            assert len(a) == len(b) and len(a) > 0, "%s: %d rows in one run, %d merged" % (table, len(a), len(b))
            for x, y in zip(a, b):
                assert x == y, "%s: a row differs:\n%r\n%r" % (table, x[:3], y[:3])
            n += len(a)
        ma, mb = metrics(db, single), metrics(db, merged)
        assert ma == mb, "run metrics differ:\n%r\n%r" % (ma, mb)
        return n
    finally:
        db.close()


RECORD_COLUMNS = ("ext_id, kind, source, highlight, condition, prompt, text, rejected, model, params, steps, "
                  "step_label, answer, correct, scores, rating, status, edited, extra")


def same_records(workspace, single, merged):
    """Asserts that two datasets hold the same records (by ext_id); returns how many."""
    db = sqlite3.connect(workspace)
    try:
        q = "SELECT %s FROM gen_records WHERE dataset_id = ? ORDER BY ext_id" % RECORD_COLUMNS
        a, b = db.execute(q, (single,)).fetchall(), db.execute(q, (merged,)).fetchall()
        assert len(a) == len(b) and len(a) > 0, "%d records in one run, %d merged" % (len(a), len(b))
        for x, y in zip(a, b):
            assert x == y, "a record differs:\n%r\n%r" % (x, y)
        names = db.execute("SELECT name FROM datasets WHERE id IN (?, ?)", (single, merged)).fetchall()
        assert len(set(names)) == 1, "dataset names differ: %r" % names
        return len(a)
    finally:
        db.close()
