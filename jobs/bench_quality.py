"""Quality benchmarks on real labelled data: precision, recall and F1 per data set and split.

    python -m jobs.bench_quality --datasets-dir ../shared/datasets     # make bench-quality

Each data set of conf/bench_quality.yaml runs the production chain in a
scratch warehouse of its own (see jobs.bench.quality); the rows go to
reports/benchmarks/quality.json. Without the datasets folder it says so and exits 0.
"""

from __future__ import annotations

import sys

from jobs.bench.quality import main
from jobs.runtime.job import run_main

if __name__ == "__main__":
    run_main(lambda: sys.exit(main()))
