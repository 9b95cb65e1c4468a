"""SongDNA lookup time on a published knowledge graph (see jobs.bench.songdna).

    python -m jobs.bench_songdna

Writes reports/benchmarks/songdna.json and prints a table.
"""

from __future__ import annotations

from jobs.bench.songdna import main
from jobs.runtime.job import run_main

if __name__ == "__main__":
    run_main(main)
