"""The load test's server CPU counts the workers gunicorn has replaced, as their master's
reaped children's time: a busy run recycles workers and would otherwise lose their CPU."""

import subprocess
import sys

from bench.loadtest import _cpu_seconds

# A master that forks a worker, lets it burn 0.3 s of CPU, reaps it, then waits.
MASTER = """
import os, sys, time
pid = os.fork()
if pid == 0:
    started = time.process_time()
    while time.process_time() - started < 0.3:
        pass
    os._exit(0)
os.waitpid(pid, 0)
print("reaped", flush=True)
sys.stdin.read()
"""


def test_a_reaped_workers_cpu_still_counts() -> None:
    master = subprocess.Popen(
        [sys.executable, "-c", MASTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert master.stdout is not None and master.stdout.readline().strip() == "reaped"
        assert _cpu_seconds(master.pid) >= 0.25
    finally:
        assert master.stdin is not None
        master.stdin.close()
        master.wait(timeout=10)
