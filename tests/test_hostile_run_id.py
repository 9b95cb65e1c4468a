"""A run id written to fool a SQL predicate changes no other run's rows.

The chain's last steps (resolve, evaluate) run with the run id ``x' OR '1'='1``
on a copy of the shared resolved sample; the rows of every other run in the
tables shared by runs (evaluation, error analysis) stay exactly as they were.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from jobs import evaluate, resolve
from jobs.runtime.delta import read_table
from tests.conftest import E2E_TRACKS
from tests.conftest import test_config as config_in  # not collected as a test

HOSTILE = "x' OR '1'='1"


def _rows(spark, path: str) -> dict[str, set]:
    """Rows by run id, each row as a tuple of its values (timestamps aside)."""
    by_run: dict[str, set] = {}
    df = read_table(spark, path)
    keep = [c for c, t in df.dtypes if t != "timestamp"]
    for row in df.select(*keep).collect():
        by_run.setdefault(row["run_id"], set()).add(tuple(str(v) for v in row))
    return by_run


def test_a_hostile_run_id_leaves_other_runs_rows_alone(spark, resolved_sample, tmp_path):
    shared_cfg, _, results = resolved_sample
    root = tmp_path / "copy"
    shutil.copytree(Path(shared_cfg.paths.warehouse).parent, root)
    cfg = config_in(root, f"sample.n_tracks={E2E_TRACKS}")
    entity = "recordings"
    shared = [cfg.table_path(t) for t in (cfg.evaluation_table, cfg.error_analysis_table) if t]
    before = {path: _rows(spark, path) for path in shared}
    assert all(results["run_id"] in rows for rows in before.values())

    resolve.run(spark, cfg, entity=entity, run_id=HOSTILE)
    evaluate.run(spark, cfg, entity=entity, run_id=HOSTILE)

    for path in shared:
        after = _rows(spark, path)
        assert HOSTILE in after, path
        assert {k: v for k, v in after.items() if k != HOSTILE} == before[path], path
