"""A day-2 delivery (jobs.deliver) against a full rebuild of the same catalog: time, partition, ids.

    python -m jobs.bench_incremental --n-tracks 1000000     # make bench-incremental

Under data/bench/incremental/<size>; the figures go to
reports/benchmarks/incremental.json (see jobs.bench.incremental).
"""

from __future__ import annotations

from jobs.bench.incremental import main
from jobs.runtime.job import run_main

if __name__ == "__main__":
    run_main(main)
