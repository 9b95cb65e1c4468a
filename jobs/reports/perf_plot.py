"""The scaling plot of jobs.benchmark: seconds against catalog size, log-log.

Three lines from the rows of reports/benchmarks/perf.json: predict + cluster +
write on Spark and on DuckDB (each engine's stage "resolve"), and Spark's end
to end chain (stage "total"). Drawn with matplotlib's Agg canvas, so it needs
no display and sets no global backend.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

# Spark's "total": the nightly chain (jobs.benchmark imports it from here)
TOTAL_STAGES = ("features", "train", "resolve")
# (label, engine, stage): one line each
LINES = (
    ("Spark: predict + cluster + write", "spark", "resolve"),
    ("DuckDB: predict + cluster + write", "duckdb", "resolve"),
    ("Spark: end to end (features + train on a sample + resolve)", "spark", "total"),
)


def series(rows: Iterable[Mapping[str, Any]], engine: str, stage: str) -> list[tuple[int, float]]:
    """(n_tracks, seconds) of one engine's stage, by size.

    A "total" row over another chain than TOTAL_STAGES (rows written by
    earlier versions of the harness, which counted generate or evaluate in it)
    is left out, so one line never mixes two definitions.
    """
    points = []
    for r in rows:
        if r.get("engine") != engine or r.get("stage") != stage or r.get("seconds") is None:
            continue
        if stage == "total" and tuple(r.get("stages", ())) != TOTAL_STAGES:
            logger.warning(
                "perf plot: %s total at %s tracks sums %s, not %s: left out",
                engine,
                r["n_tracks"],
                r.get("stages", "unknown stages"),
                TOTAL_STAGES,
            )
            continue
        points.append((int(r["n_tracks"]), float(r["seconds"])))
    return sorted(points)


def plot_perf(rows: Iterable[Mapping[str, Any]], path: str | Path) -> Path:
    """Write the scaling plot as a PNG (through a temporary file and a rename)."""
    rows = list(rows)
    figure = Figure(figsize=(7.5, 5.5), dpi=120)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    drawn = 0
    for label, engine, stage in LINES:
        points = series(rows, engine, stage)
        if not points:
            continue
        sizes, seconds = zip(*points, strict=True)
        ax.plot(sizes, seconds, marker="o", label=label)
        drawn += 1
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("catalog size (tracks)")
    ax.set_ylabel("wall seconds")
    ax.set_title("Recording resolution: time against catalog size")
    ax.grid(True, which="both", alpha=0.3)
    if drawn:  # under the axes: the lines rise to the upper right, where a legend would sit
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize="small", frameon=False)
    figure.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".png")
    os.close(fd)
    figure.savefig(tmp, format="png")
    os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; reports are for everyone
    os.replace(tmp, target)
    return target
