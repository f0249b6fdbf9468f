#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A one-node Slurm cluster on this machine (munge, slurmctld, slurmd from Debian's packages, a
generated slurm.conf with the machine's CPUs), a 4-task array of `traces credit` on a tiny model
pair submitted with `assay-cli slurm submit`, its merge job, and the merged run checked against a
single-machine run bit for bit. Exit 77 (skipped) with the reason when a cluster cannot be
brought up here (not root, a daemon missing, the node never idle).

usage: slurm_cluster.py ASSAY_CLI MAKE_TEST_LM"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shard_util import Cli, make_models, same_run, write_traces  # noqa: E402

TASKS = 4


def skip(why):
    print("SKIP: %s" % why)
    sys.exit(77)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(root):
    for program in ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"):
        if shutil.which(program) is None and not os.path.exists("/usr/sbin/" + program):
            skip("%s is not installed (Debian packages munge and slurm-wlm)" % program)
    if os.geteuid() != 0:
        skip("slurmd must run as root to start jobs; this test runs as uid %d" % os.geteuid())
    sbin = lambda p: shutil.which(p) or "/usr/sbin/" + p  # noqa: E731
    for d in ("state", "spool", "log", "run"):
        os.makedirs(os.path.join(root, d))
    key = os.path.join(root, "munge.key")
    sock = os.path.join(root, "run", "munge.sock")
    subprocess.run([sbin("mungekey"), "--create", "--keyfile=" + key], check=True, capture_output=True)
    os.chmod(key, 0o600)
    subprocess.run([sbin("munged"), "--key-file=" + key, "--socket=" + sock,
                    "--pid-file=" + os.path.join(root, "run", "munged.pid"),
                    "--log-file=" + os.path.join(root, "log", "munged.log"),
                    "--seed-file=" + os.path.join(root, "run", "munge.seed"), "--force"],
                   check=True, capture_output=True)
    host = socket.gethostname().split(".")[0]
    conf = os.path.join(root, "slurm.conf")
    with open(conf, "w") as f:
        f.write("""ClusterName=assaytest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld}
SlurmdPort={slurmd}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=1000 State=UNKNOWN
PartitionName=assay Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""".format(host=host, ctld=free_port(), slurmd=free_port(), sock=sock, root=root, cpus=os.cpu_count()))
    env = dict(os.environ, SLURM_CONF=conf)
    for daemon in ("slurmctld", "slurmd"):
        p = subprocess.run([sbin(daemon), "-f", conf], env=env, capture_output=True, text=True)
        if p.returncode != 0:
            skip("%s did not start: %s" % (daemon, (p.stderr or p.stdout).strip().splitlines()[-1:]))
    for _ in range(60):
        p = subprocess.run(["sinfo", "-h", "-o", "%t"], env=env, capture_output=True, text=True)
        if p.returncode == 0 and p.stdout.strip() == "idle":
            return env
        time.sleep(0.5)
    skip("the node never became idle: sinfo says %r; %s" % (p.stdout.strip() or p.stderr.strip(), tail(root)))


def tail(root):
    out = []
    for name in ("slurmctld.log", "slurmd.log"):
        path = os.path.join(root, "log", name)
        if os.path.exists(path):
            with open(path) as f:
                out.append("%s: %s" % (name, " | ".join(f.read().splitlines()[-3:])))
    return "; ".join(out)


def stop_cluster(root, env):
    if env is not None:
        subprocess.run(["scancel", "--user=root"], env=env, capture_output=True)
    for name in ("slurmd.pid", "slurmctld.pid", "munged.pid"):
        path = os.path.join(root, "run", name)
        try:
            with open(path) as f:
                os.kill(int(f.read().strip()), 15)
        except (OSError, ValueError):
            pass
    time.sleep(0.5)


def main():
    exe = os.path.abspath(sys.argv[1])
    make_lm = sys.argv[2]
    root = tempfile.mkdtemp(prefix="assay-slurm-")
    env = None
    try:
        env = start_cluster(os.path.join(root, "cluster"))
        cli = Cli(exe, {"SLURM_CONF": env["SLURM_CONF"]})
        ws = os.path.join(root, "ws.assay")
        policy, reference = make_models(make_lm, root)
        traces = os.path.join(root, "traces.jsonl")
        write_traces(traces, 80)
        cli.run("traces", "import", "-w", ws, traces)
        verb = ["traces", "credit", "--policy", policy, "--reference", reference, "--batch-tokens", "600"]

        t0 = time.monotonic()
        single = cli.run(*verb, "-w", ws)["run"]
        one_process = time.monotonic() - t0

        t0 = time.monotonic()
        sub = cli.run("slurm", "submit", "-w", ws, "--array", TASKS, "--cpus-per-task", 1, *verb)
        assert sub["array_job"] and sub["merge_job"], sub
        state, status = None, None
        for _ in range(600):
            status = cli.run("slurm", "status", "-w", ws)
            job = status["jobs"][-1]
            state = job["state"]
            if state in ("merged", "failed", "incomplete"):
                break
            time.sleep(0.2)
        array_wall = time.monotonic() - t0
        logs = ""
        for name in sorted(os.listdir(sub["folder"])):
            if name.endswith(".log"):
                with open(os.path.join(sub["folder"], name)) as f:
                    logs += "%s: %s\n" % (name, f.read().strip()[-400:])
        assert state == "merged", "cluster job ended %s: %r\n%s" % (state, status, logs)
        assert job["shards_written"] == TASKS and job["shards_merged"] == TASKS, job

        import sqlite3
        db = sqlite3.connect(ws)
        merged = db.execute("SELECT DISTINCT run_id FROM shard_merges").fetchall()
        db.close()
        assert len(merged) == 1, merged
        n = same_run(ws, single, merged[0][0], "traces credit")
        print("slurm: %d-task array of traces credit merged by its merge job equals one run "
              "(%d rows, bit for bit)" % (TASKS, n))
        print("wall time: one process %.2f s; %d-task array, submit to merged %.2f s (this machine's "
              "%d cores, scheduler polling included)" % (one_process, TASKS, array_wall, os.cpu_count()))
        print("sacct: %s" % status["sacct"])
    finally:
        stop_cluster(os.path.join(root, "cluster"), env)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
