"""Stage timings and peak memory of the chain at several catalog sizes, Spark vs DuckDB.

    python -m jobs.benchmark --entity recordings --sizes 10000,100000,1000000   # make bench
    python -m jobs.benchmark --entity recordings --n-tracks 100000               # make bench-100k

Each size runs in a process of its own under data/bench/perf/<size>; the rows
go to reports/benchmarks/perf.json and perf.png (see jobs.bench.perf).
"""

from __future__ import annotations

from jobs.bench.perf import main
from jobs.runtime.job import run_main

if __name__ == "__main__":
    run_main(main)
