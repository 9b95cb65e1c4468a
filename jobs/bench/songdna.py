"""How long a SongDNA lookup takes on a published knowledge graph, once the session is up.

Picks ``--lookups`` tracks of kg_nodes (seeded), then looks each up twice:
by its id and by a "title - artist" search built from its display name
(jobs.reports.songdna: find the track, then walk the graph). The first
lookup of the session is reported on its own (it plans and opens the
tables); the others give the median, p90 and max. Writes
reports/benchmarks/songdna.json and prints a table.

    python -m jobs.bench_songdna                   # the demo's lakehouse (make demo first)
    python -m jobs.bench_songdna --set paths.warehouse=/elsewhere/delta
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import functions as F

from jobs.reports.songdna import Graph, find_tracks, song_dna
from jobs.runtime.config import load_config
from jobs.runtime.job import setup_logging
from jobs.runtime.output import text_table, write_json_atomic
from jobs.runtime.session import build_spark

logger = logging.getLogger(__name__)


def _lookup(graph: Graph, query: str) -> tuple[float, bool]:
    start = time.perf_counter()
    matches = find_tracks(graph, query)
    if matches:
        song_dna(graph, matches[0]["id"])
    return time.perf_counter() - start, bool(matches)


def _figures(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_s": round(statistics.median(ordered), 3),
        "p90_s": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 3),
        "max_s": round(ordered[-1], 3),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    setup_logging()
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--profile", default="local")
    parser.add_argument("--lookups", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args(argv)
    cfg = load_config(args.profile, overrides=args.overrides)
    spark = build_spark(cfg)
    graph = Graph(spark, cfg)
    tracks = graph.nodes.where(F.col("node_type") == "track").select("id", "display_name")
    n_tracks = tracks.count()
    picked = tracks.orderBy(F.xxhash64("id", F.lit(args.seed))).limit(args.lookups).collect()
    first, _ = _lookup(graph, picked[0]["id"])
    by_id = [_lookup(graph, r["id"])[0] for r in picked[1:]]
    searches = []
    found = 0
    for row in picked[1:]:
        title, _, artists = (row["display_name"] or "").partition(" - ")
        query = f"{title} - {artists.split(', ')[0]}" if artists else title
        seconds, ok = _lookup(graph, query)
        searches.append(seconds)
        found += ok
    report = {
        "n_tracks": n_tracks,
        "n_lookups": len(picked),
        "first_lookup_s": round(first, 3),
        "by_id": _figures(by_id),
        "by_search": _figures(searches),
        "searches_found": found,
    }
    path = write_json_atomic(Path(cfg.paths.reports_dir) / "benchmarks" / "songdna.json", report)
    rows = [{"lookup": "first", "median_s": report["first_lookup_s"]}] + [
        {"lookup": name, **report[name]} for name in ("by_id", "by_search")
    ]
    logger.info(
        "SongDNA lookups on %s tracks\n%s\nwritten to %s",
        f"{n_tracks:,}",
        text_table(rows, ("lookup", "median_s", "p90_s", "max_s")),
        path,
    )
    return report
