"""Spark fixtures shared by the suite: one real SparkSession per worker, real Delta and MLflow.

The session is built by the project's own builder (jobs.runtime.session.build_spark)
from the `local` profile with paths moved under a temporary folder, so the
tests exercise exactly the configuration the jobs use.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from jobs.runtime.config import AppConfig, load_config
from jobs.runtime.session import build_spark

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

E2E_TRACKS = int(os.environ.get("MUSIC_RES_E2E_TRACKS", "2500"))


def overrides_under(root: Path, *extra: str) -> list[str]:
    """The overrides that move the local profile's paths under ``root``."""
    return [
        "spark.master=local[2]",
        "spark.shuffle_partitions=4",
        "spark.driver_memory=3g",
        f"paths.warehouse={root}/delta",
        f"paths.checkpoint_dir={root}/checkpoints",
        f"paths.models_dir={root}/models",
        f"paths.reports_dir={root}/reports",
        f"mlflow.tracking_uri=sqlite:///{root}/mlflow.db",
        f"mlflow.artifact_location={root}/mlflow-artifacts",
        # u from 100k random pairs instead of 1M: the samples here have a few
        # million possible pairs, and every training in the suite saves time
        "entities.recordings.training.max_pairs_for_u=100000",
        "entities.videos.training.max_pairs_for_u=100000",
        *extra,
    ]


def test_config(root: Path, *extra: str) -> AppConfig:
    """The local profile with every path under ``root``: what the tests run against."""
    return load_config("local", overrides=overrides_under(root, *extra))


@pytest.fixture(scope="session")
def session_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("music-res")


@pytest.fixture(scope="session")
def cfg(session_root) -> AppConfig:
    return test_config(session_root)


# The suite's one JVM runs thousands of small queries on 2 cores, a quarter of its CPU
# in the JIT compiler: Spark keeps 100 generated classes by default and compiles
# (and the JIT warms) a query again once it is evicted; the serial collector spares
# a core that G1's threads take. tests/test_entity_kinds.py: 155 s -> 143 s.
SUITE_SPARK_CONF = {
    "spark.sql.codegen.cache.maxEntries": "2000",
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC",
}


@pytest.fixture(scope="session")
def spark(cfg):
    conf = {**cfg.spark.extra_conf, **SUITE_SPARK_CONF}
    session = build_spark(replace(cfg, spark=replace(cfg.spark, extra_conf=conf)))
    yield session
    session.stop()


@pytest.fixture(scope="session")
def resolved_sample(spark, cfg):
    """The whole chain run once on a small sample: generate, features, train, resolve, evaluate.

    Returns (cfg, report, results) for the end-to-end, schema and Scala tests.
    """
    from jobs import build_features, evaluate, generate_sample, resolve, train

    small = test_config(Path(cfg.paths.warehouse).parent, f"sample.n_tracks={E2E_TRACKS}")
    run_id = "e2e-run-1"
    generate_sample.run(spark, small)
    feats = build_features.run(spark, small, entity="recordings", run_id=run_id)
    train.run(spark, small, entity="recordings", run_id=run_id)
    resolved = resolve.run(spark, small, entity="recordings", run_id=run_id)
    report = evaluate.run(spark, small, entity="recordings", run_id=run_id)
    return small, report, {"features": feats, "resolve": resolved, "run_id": run_id}


@pytest.fixture(scope="session")
def resolved_works(spark, resolved_sample):
    """SongDNA works derived from the shared sample's recording groups: features to evaluate."""
    from jobs import build_features, evaluate, resolve, train

    small, _, results = resolved_sample
    run_id = results["run_id"]
    build_features.run(spark, small, entity="works", run_id=run_id)
    path = train.run(spark, small, entity="works", run_id=run_id)
    resolve.run(spark, small, entity="works", run_id=run_id, model_path=str(path))
    report = evaluate.run(spark, small, entity="works", run_id=run_id)
    return small, report, path


def _chain_on_sample(spark, resolved_sample, entity: str):
    """features -> train -> resolve -> evaluate of ``entity`` on the shared sample, its run id.

    Returns (cfg, features result, resolve result, report).
    """
    from jobs import build_features, evaluate, resolve, train

    cfg, _, results = resolved_sample
    run_id = results["run_id"]
    feats = build_features.run(spark, cfg, entity=entity, run_id=run_id)
    train.run(spark, cfg, entity=entity, run_id=run_id)
    resolved = resolve.run(spark, cfg, entity=entity, run_id=run_id)
    report = evaluate.run(spark, cfg, entity=entity, run_id=run_id)
    return cfg, feats, resolved, report


@pytest.fixture(scope="session")
def resolved_releases(spark, resolved_sample):
    """The shared sample's releases deduplicated: features to evaluate.

    Returns (cfg, features result, resolve result, report).
    """
    return _chain_on_sample(spark, resolved_sample, "releases")


@pytest.fixture(scope="session")
def compared_releases(spark, resolved_releases):
    """A second releases model (another prior: prior_recall 0.3) compared with the first.

    Fills the shared lakehouse's model comparison table, so its readers check it too.
    Returns (cfg, comparison).
    """
    from jobs import compare, train

    cfg = resolved_releases[0]
    other = test_config(
        Path(cfg.paths.warehouse).parent,
        f"sample.n_tracks={E2E_TRACKS}",
        "entities.releases.training.prior_recall=0.3",
    )
    challenger = train.run(spark, other, entity="releases", run_id="e2e-releases-prior-0.3")
    return cfg, compare.run(
        spark, cfg, entity="releases", run_id="e2e-compare", a="1", b=str(challenger)
    )


@pytest.fixture(scope="session")
def resolved_contributors(spark, resolved_sample):
    """The shared sample's credits resolved into people (SongDNA contributors).

    Returns (cfg, features result, resolve result, report).
    """
    return _chain_on_sample(spark, resolved_sample, "contributors")


@pytest.fixture(scope="session")
def resolved_graph(
    spark, resolved_sample, resolved_releases, resolved_videos, resolved_works, resolved_contributors
):
    """The knowledge graph of the shared sample, once every entity is resolved.

    Returns (cfg, jobs.stages.graph.GraphResult).
    """
    from jobs import graph

    cfg = resolved_sample[0]
    return cfg, graph.run(spark, cfg, run_id="e2e-graph")


@pytest.fixture(scope="session")
def resolved_videos(spark, resolved_sample):
    """Music videos of the shared sample linked to its recording groups: features to evaluate.

    Returns (cfg, features result, resolve result, report).
    """
    return _chain_on_sample(spark, resolved_sample, "videos")


# Under pytest-xdist (`make test`: two workers, --dist loadgroup) every test that uses
# the shared lakehouse runs on one worker, so it is built once there. That worker
# has the most to do: the tests marked `second_sample` (they only copy or read the
# recordings sample) run on the other one, which builds the sample for them once
# more. Any other test stays with its module, whose fixtures are then built once.
SHARED_LAKEHOUSE = "resolved_sample"


def xdist_group(item) -> str:
    if item.get_closest_marker("second_sample"):
        return "second-sample"
    if SHARED_LAKEHOUSE in getattr(item, "fixturenames", ()):
        return "shared-lakehouse"
    return item.nodeid.split("::")[0]


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(xdist_group(item)))
