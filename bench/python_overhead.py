"""Per-event cost of reporting from a Python training loop, in one process (bench/run.ts runs it).

Prints one JSON line: microseconds per call in the caller's thread for
* prometheus_client: a labelled Histogram observe, as the original metrics module did it
  (``.labels(agent_id).observe(x)``), the baseline;
* trainwatch: ``run.training(loss=..., mean_reward=..., iteration=i)`` against a live engine
  (TRAINWATCH_ADDR), including the GIL time its sender thread takes while the loop runs, and
  the time until every event is acknowledged (``flush``).

usage: python3 bench/python_overhead.py N ROUNDS
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))

import trainwatch  # noqa: E402
from prometheus_client import CollectorRegistry, Histogram  # noqa: E402


def prometheus_observe(n):
    reg = CollectorRegistry()
    h = Histogram("bench_seconds", "bench", ["agent_id"], buckets=[0.1, 0.5, 1, 2, 5, 10, 30], registry=reg)
    t0 = time.perf_counter()
    for i in range(n):
        h.labels("agent").observe((i % 100) / 10.0)
    return (time.perf_counter() - t0) / n * 1e6


def trainwatch_events(n, round_no):
    client = trainwatch.Client(client_id="bench-py-%d-%d" % (os.getpid(), round_no), max_buffer=n + 10)
    run = client.start(job_id="bench-py-%d-%d" % (os.getpid(), round_no), agent_id="bench", total_iterations=n)
    t0 = time.perf_counter()
    for i in range(n):
        run.training(loss=1.0 / (i + 1), mean_reward=i * 0.001, iteration=i)
    loop = time.perf_counter() - t0
    ok = client.flush(timeout=60)
    acked = time.perf_counter() - t0
    run.finish()
    stats = client.close(timeout=10)
    return loop / n * 1e6, acked / n * 1e6, ok, stats


def main():
    n = int(sys.argv[1])
    rounds = int(sys.argv[2])
    out = {"prometheus_observe_us": [], "trainwatch_call_us": [], "trainwatch_acked_us": [], "dropped": 0, "flushed": True}
    for r in range(rounds):
        out["prometheus_observe_us"].append(prometheus_observe(n))
        call, acked, ok, stats = trainwatch_events(n, r)
        out["trainwatch_call_us"].append(call)
        out["trainwatch_acked_us"].append(acked)
        out["dropped"] += int(stats.get("dropped", 0))
        out["flushed"] = out["flushed"] and bool(ok)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
