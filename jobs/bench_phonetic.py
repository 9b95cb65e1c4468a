"""Phonetic key for artists: Spark's soundex against jellyfish's metaphone and NYSIIS.

    python -m jobs.bench_phonetic --n-tracks 20000

Writes reports/benchmarks/phonetic.json and prints a table (see jobs.bench.phonetic).
"""

from __future__ import annotations

from jobs.bench.phonetic import main
from jobs.runtime.job import run_main

if __name__ == "__main__":
    run_main(main)
