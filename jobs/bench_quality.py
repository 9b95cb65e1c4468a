"""Quality benchmarks on real labelled data: precision, recall and F1 per data set and split.

    python -m jobs.bench_quality --datasets-dir ../shared/datasets
    make bench-quality

For each data set of conf/bench_quality.yaml, in one Spark session, under a
scratch warehouse of its own (tables, models and an MLflow store; never the
demo's data/):

1. ingest the data set's source mapping: records to the entity's input table,
   labelled pairs to its labelled pairs table (jobs.ingest);
2. features (jobs._pipeline.build_features);
3. train: prior, u, EM, then, when the data set sets
   ``training.m_from_labels``, m from the matches of the split the threshold is
   chosen on; the model links the mapping's sources when its linkage says so
   (``entities.<entity>.link_type``);
4. score exactly the labelled pairs; a pair blocking never generates is a
   predicted non-match (splink_models.pair_evaluation);
5. choose the F1-maximising threshold on that split and report every split of
   ``report_splits`` at it.

Then the SHS100K rShort rows (jobs._quality_rshort). Writes
reports/benchmarks/quality.json (a list of {dataset, split, precision, recall,
f1, threshold, ...}) and the precision-recall curves beside it, and prints a
table. When the datasets folder is absent it says so and exits 0.
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pyspark.sql import SparkSession

from jobs import ingest
from jobs._mapping import load_mapping
from jobs._pipeline import build_features, score_labelled_pairs, train
from jobs._runtime import (
    DEFAULT_CONF_DIR,
    PROJECT_ROOT,
    AppConfig,
    ConfigError,
    build_spark,
    load_config,
    new_run_id,
    scratch_overrides,
    setup_logging,
    stage,
    text_table,
    write_json_atomic,
)
from splink_models.pair_evaluation import LabelledScore, by_split, choose_and_report, curve_rows

logger = logging.getLogger(__name__)

DEFAULT_DATASETS_DIR = Path(
    os.environ.get("MUSIC_RES_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets")
)
BENCH_CONFIG = DEFAULT_CONF_DIR / "bench_quality.yaml"
METHOD = "splink_recordings_model"


@dataclass(frozen=True, kw_only=True)
class QualityDataset:
    name: str
    mapping: Path
    choose_threshold_on: str
    report_splits: tuple[str, ...]
    overrides: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class QualityBench:
    scratch_dir: str
    report: str  # under paths.reports_dir
    datasets: tuple[QualityDataset, ...]
    rshort: bool


def load_bench(path: str | Path = BENCH_CONFIG) -> QualityBench:
    """Read conf/bench_quality.yaml; every problem is reported at once, under its key."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"benchmark config {file} not found")
    tree = yaml.safe_load(file.read_text()) or {}
    problems: list[str] = []
    for key in ("scratch_dir", "report"):
        if not isinstance(tree.get(key), str) or not tree[key]:
            problems.append(f"{key}: missing")
    datasets = []
    raw_datasets = tree.get("datasets")
    if not isinstance(raw_datasets, list):
        problems.append("datasets: expected a list of data sets")
        raw_datasets = []
    for i, node in enumerate(raw_datasets):
        key = f"datasets[{i}]"
        if not isinstance(node, dict):
            problems.append(f"{key}: expected a mapping with name, mapping, ...")
            continue
        for needed in ("name", "mapping", "choose_threshold_on"):
            if not isinstance(node.get(needed), str) or not node[needed]:
                problems.append(f"{key}.{needed}: missing")
        splits = node.get("report_splits")
        if not isinstance(splits, list) or not all(isinstance(s, str) for s in splits):
            problems.append(f"{key}.report_splits: expected a list of split names")
            splits = []
        overrides = node.get("set") or []
        if not isinstance(overrides, list) or not all(
            isinstance(o, str) and "=" in o for o in overrides
        ):
            problems.append(f"{key}.set: expected a list of key=value overrides")
            overrides = []
        mapping = Path(str(node.get("mapping", "")))
        datasets.append(
            QualityDataset(
                name=str(node.get("name")),
                mapping=mapping if mapping.is_absolute() else PROJECT_ROOT / mapping,
                choose_threshold_on=str(node.get("choose_threshold_on")),
                report_splits=tuple(splits),
                overrides=tuple(overrides),
            )
        )
    if problems:
        raise ConfigError(f"benchmark config {file} has problems:\n  - " + "\n  - ".join(problems))
    return QualityBench(
        scratch_dir=tree["scratch_dir"],
        report=tree["report"],
        datasets=tuple(datasets),
        rshort=bool(tree.get("rshort", False)),
    )


def dataset_config(
    dataset: QualityDataset,
    *,
    scratch_dir: str,
    datasets_dir: Path,
    profile: str = "local",
    conf_dir: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> AppConfig:
    """The config one data set runs with: scratch paths, its linkage and label split, its set.

    Order of precedence, lowest first: the profile, the scratch paths, the
    mapping's linkage, the data set's ``set``, the command line's ``--set``.
    """
    mapping = load_mapping(dataset.mapping, datasets_dir=datasets_dir)
    derived = [
        f"entities.{mapping.entity}.link_type={mapping.linkage}",
        f"entities.{mapping.entity}.training.label_split={dataset.choose_threshold_on}",
    ]
    return load_config(
        profile,
        conf_dir=conf_dir,
        overrides=[
            *scratch_overrides(scratch_dir, dataset.name),
            *derived,
            *dataset.overrides,
            *overrides,
        ],
    )


def missing_files(dataset: QualityDataset, datasets_dir: Path) -> list[str]:
    """The data set's files (sources, labelled pairs) that are not in ``datasets_dir``."""
    mapping = load_mapping(dataset.mapping, datasets_dir=datasets_dir)
    paths = [s.path for s in mapping.sources]
    if mapping.labelled_pairs is not None:
        paths += [path for _, path in mapping.labelled_pairs.files]
    return [p for p in paths if "://" not in p and not glob.glob(p.removeprefix("file://"))]


def run_dataset(
    spark: SparkSession,
    cfg: AppConfig,
    dataset: QualityDataset,
    *,
    datasets_dir: Path,
    run_id: str,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """ingest -> features -> train -> score the labelled pairs -> threshold on one split.

    Returns:
        The report rows (one per reported split) and the precision-recall
        curves (per split, at every distinct score).
    """
    timings: dict[str, float] = {}
    mapping = load_mapping(dataset.mapping, datasets_dir=datasets_dir)
    if mapping.labelled_pairs is None:
        raise ConfigError(f"{dataset.name}: mapping {mapping.file} has no labelled_pairs")
    entity = cfg.entity(mapping.entity)
    with stage(f"{dataset.name}: ingest", timings):
        ingested = ingest.run(
            spark, cfg, mapping_path=dataset.mapping, datasets_dir=datasets_dir, run_id=run_id
        )
    with stage(f"{dataset.name}: features", timings):
        build_features(spark, cfg, entity, run_id)
    with stage(f"{dataset.name}: train", timings):
        model, _ = train(spark, cfg, entity, run_id)
    with stage(f"{dataset.name}: score labelled pairs", timings):
        scored = score_labelled_pairs(spark, cfg, entity, model).collect()
    idc = entity.id_column
    pairs = [
        LabelledScore(
            label=int(r["label"]),
            score=r["match_weight"],
            generated=bool(r["generated"]),
            split=r["split"],
        )
        for r in scored
    ]
    unscored = sum(1 for p in pairs if p.score is None)
    if unscored:
        logger.warning(
            "%s: %d labelled pairs have a record missing from the features (ingest "
            "quarantine?): counted as predicted non-matches",
            dataset.name,
            unscored,
        )
    threshold, rows = choose_and_report(
        pairs, choose_on=dataset.choose_threshold_on, report=dataset.report_splits
    )
    seconds = round(sum(timings.values()), 1)
    out = [
        {
            "dataset": dataset.name,
            "method": METHOD + ("+m_from_labels" if entity.training.m_from_labels else ""),
            **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()},
            "threshold_chosen_on": dataset.choose_threshold_on,
            "threshold_kind": "match_weight",
            "link_type": entity.link_type,
            "model_version": model.version,
            "n_records": ingested.rows_written,
            "seconds": seconds,
        }
        for row in rows
    ]
    curves = {
        "dataset": dataset.name,
        "model_version": model.version,
        "threshold": threshold,
        "pairs_not_scored": unscored,
        "id_column": idc,
        "curves": {str(split): curve_rows(part) for split, part in by_split(pairs).items()},
    }
    logger.info("%s done in %.0f s (%s)", dataset.name, seconds, timings)
    return out, curves


COLUMNS = ("dataset", "method", "split", "precision", "recall", "f1", "threshold", "n_pairs")


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as an aligned text table (pair completeness where known)."""
    return text_table(rows, (*COLUMNS, "pair_completeness"))


def run(
    spark: SparkSession,
    bench: QualityBench,
    *,
    datasets_dir: Path,
    profile: str = "local",
    conf_dir: str | Path | None = None,
    overrides: Sequence[str] = (),
    run_id: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every data set of the bench config whose files are present, then the rShort rows."""
    run_id = run_id or new_run_id()
    rows: list[dict[str, Any]] = []
    curves: list[dict[str, Any]] = []
    for dataset in bench.datasets:
        missing = missing_files(dataset, datasets_dir)
        if missing:
            logger.warning("%s skipped: %s not found", dataset.name, ", ".join(missing))
            continue
        cfg = dataset_config(
            dataset,
            scratch_dir=bench.scratch_dir,
            datasets_dir=datasets_dir,
            profile=profile,
            conf_dir=conf_dir,
            overrides=overrides,
        )
        spark.sparkContext.setCheckpointDir(cfg.paths.checkpoint_dir)
        dataset_rows, dataset_curves = run_dataset(
            spark, cfg, dataset, datasets_dir=datasets_dir, run_id=run_id
        )
        rows += dataset_rows
        curves.append(dataset_curves)
    if bench.rshort:
        from jobs._quality_rshort import RSHORT_FILE, rshort_rows

        if (datasets_dir / RSHORT_FILE).is_file():
            with stage("rShort"):
                rows += rshort_rows(spark, datasets_dir)
        else:
            logger.warning("rShort skipped: %s not found", datasets_dir / RSHORT_FILE)
    return rows, curves


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DATASETS_DIR)
    parser.add_argument("--bench-config", type=Path, default=BENCH_CONFIG)
    parser.add_argument("--profile", default=os.environ.get("MUSIC_RES_PROFILE", "local"))
    parser.add_argument("--config-dir", default=None)
    parser.add_argument("--run-id", default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    setup_logging()
    if not args.datasets_dir.is_dir():
        logger.warning(
            "bench-quality skipped: no datasets folder at %s (give --datasets-dir or set "
            "MUSIC_RES_DATASETS; see README, 'Quality benchmarks')",
            args.datasets_dir,
        )
        return 0
    started = time.perf_counter()
    bench = load_bench(args.bench_config)
    base = load_config(
        args.profile,
        conf_dir=args.config_dir,
        overrides=[*scratch_overrides(bench.scratch_dir, "session"), *args.overrides],
    )
    spark = build_spark(base)
    try:
        rows, curves = run(
            spark,
            bench,
            datasets_dir=args.datasets_dir,
            profile=args.profile,
            conf_dir=args.config_dir,
            overrides=args.overrides,
            run_id=args.run_id,
        )
    finally:
        spark.stop()
    if not rows:
        logger.warning(
            "bench-quality: no data set of %s found in %s", args.bench_config, args.datasets_dir
        )
        return 0
    report = Path(base.paths.reports_dir) / bench.report
    write_json_atomic(report, rows)
    write_json_atomic(report.with_name(report.stem + "_curves.json"), curves)
    logger.info(
        "\n%s\nreport  %s\ntook    %.0f s",
        format_table(rows),
        report,
        time.perf_counter() - started,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
