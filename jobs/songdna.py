"""Print a song's DNA from the knowledge graph: a track id, or "title - artist" to search.

Its recording and the recording's other tracks, the releases and videos of
it, its work, its writers, composers, producers, mixers, remixers and
performers, the work's other versions (covers, live takes, remixes, ...),
samples and interpolations both ways, and more by the same writers. Reads
kg_nodes and kg_edges (python -m jobs.graph writes them).

    python -m jobs.songdna T00000042
    python -m jobs.songdna "Golden Hour - Kacey Musgraves" --json
    songdna T00000042          (the console script)
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from pyspark.sql import SparkSession

from features.errors import ResolutionError
from jobs.reports.songdna import Graph, dna_lines, find_tracks, song_dna
from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, start_job

logger = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: AppConfig, query: str) -> dict[str, Any]:
    """The DNA of the track a query names (the best of its matches), with the matches."""
    graph = Graph(spark, cfg)
    start = time.perf_counter()
    matches = find_tracks(graph, query)
    if not matches:
        raise ResolutionError(f"no track matches {query!r} (a track id, or 'title - artist')")
    dna = song_dna(graph, matches[0]["id"])
    dna["query"] = query
    dna["matches"] = matches
    dna["seconds"] = round(time.perf_counter() - start, 3)
    return dna


def main(argv: Sequence[str] | None = None) -> None:
    def extra(parser) -> None:
        parser.add_argument("query", help="a track id, or 'title - artist' to search")
        parser.add_argument("--json", action="store_true", help="print the DNA as JSON")

    ctx = start_job(__doc__, argv, extra, entity=False)
    dna = run(ctx.spark, ctx.cfg, ctx.args.query)
    if ctx.args.json:
        json.dump(dna, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    others = len(dna["matches"]) - 1
    lines = dna_lines(dna)
    if others:
        lines.append(f"  ({others} other tracks match {ctx.args.query!r}: --json lists them)")
    lines.append(f"  looked up in {dna['seconds']:.2f}s")
    print("\n".join(lines))


if __name__ == "__main__":
    run_main(main)
