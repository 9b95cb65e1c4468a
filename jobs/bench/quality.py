"""Quality benchmarks on real labelled data: precision, recall and F1 per data set and split.

    python -m jobs.bench_quality --datasets-dir ../shared/datasets
    make bench-quality

(jobs.bench_quality is the entry point; this module is the benchmark.)

For each data set of conf/bench_quality.yaml, in one Spark session, under a
scratch warehouse of its own (tables, models and an MLflow store; never the
demo's data/):

1. ingest the data set's source mapping: records to the entity's input table,
   labelled pairs to its labelled pairs table (jobs.ingest);
2. features (jobs.stages.features.build_features);
3. train: prior, u, EM, then, when the data set sets
   ``training.m_from_labels``, m from the matches of the split the threshold is
   chosen on; the model links the mapping's sources when its linkage says so
   (``entities.<entity>.link_type``);
4. score exactly the labelled pairs; a pair blocking never generates is a
   predicted non-match (splink_models.pair_evaluation);
5. choose the F1-maximising threshold on that split and report every split of
   ``report_splits`` at it.

Then the SHS100K rShort rows (jobs.bench.rshort). Writes
reports/benchmarks/quality.json (a list of {dataset, split, precision, recall,
f1, threshold, ...}) and the precision-recall curves beside it, and prints a
table. When the datasets folder is absent it says so and exits 0.
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from features.errors import ConfigError
from jobs import ingest
from jobs.bench.credits import agreement_rows
from jobs.runtime.config import (
    DEFAULT_CONF_DIR,
    PROJECT_ROOT,
    AppConfig,
    EntityConfig,
    load_config,
    scratch_overrides,
)
from jobs.runtime.delta import read_table
from jobs.runtime.job import new_run_id, setup_logging, stage
from jobs.runtime.mapping import load_mapping
from jobs.runtime.output import rounded, text_table, write_json_atomic
from jobs.runtime.session import build_spark
from jobs.stages.features import build_features
from jobs.stages.labels import score_labelled_pairs
from jobs.stages.resolve import resolve
from jobs.stages.train import train
from splink_models.model import TrainedModel
from splink_models.pair_evaluation import (
    CALIBRATION,
    HOLDOUT,
    LabelledScore,
    by_split,
    choose_and_report,
    cluster_figures,
    curve_rows,
    half_of,
)

logger = logging.getLogger(__name__)

DEFAULT_DATASETS_DIR = Path(
    os.environ.get("MUSIC_RES_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets")
)
BENCH_CONFIG = DEFAULT_CONF_DIR / "bench_quality.yaml"
DATASET_KEYS = (
    "name",
    "mapping",
    "set",
    "golden",
    "choose_threshold_on",
    "report_splits",
    "holdout_seed",
    "baseline",
    "through",
    "credits",
)


GOLDEN_SHAPES = ("labelled_pairs", "clusters")


@dataclass(frozen=True, kw_only=True)
class QualityDataset:
    name: str
    mapping: Path
    overrides: tuple[str, ...]
    # labelled_pairs: the mapping's labelled pairs, split by the labels' own splits;
    # clusters: the mapping's golden pairs (a closed world) as true clusters, halved
    golden: str = "labelled_pairs"
    choose_threshold_on: str = CALIBRATION
    report_splits: tuple[str, ...] = (CALIBRATION, HOLDOUT)
    holdout_seed: int = 42  # clusters: which true clusters choose the threshold
    baseline: tuple[str, ...] = ()  # clusters: feature columns whose equality is the baseline
    # clusters: a derived entity resolved after the mapping's entity; its clusters,
    # projected onto the mapped records (a record is in its group's cluster), are judged
    through: str | None = None
    # labelled_pairs: (entity, performers function): the records are resolved, then that
    # derived entity of their credits, and credit agreement is reported (jobs.bench.credits)
    credits: tuple[str, str] | None = None


@dataclass(frozen=True, kw_only=True)
class QualityBench:
    scratch_dir: str
    report: str  # under paths.reports_dir
    datasets: tuple[QualityDataset, ...]
    rshort: str | None  # the link entity measured on rShort (None: no rShort rows)


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
        unknown = sorted(set(node) - set(DATASET_KEYS))
        if unknown:
            problems.append(f"{key}: unknown keys {unknown} (known: {DATASET_KEYS})")
        golden = node.get("golden", "labelled_pairs")
        if golden not in GOLDEN_SHAPES:
            problems.append(f"{key}.golden: expected one of {GOLDEN_SHAPES}, got {golden!r}")
        needed_keys = ("name", "mapping") + (
            ("choose_threshold_on",) if golden != "clusters" else ()
        )
        for needed in needed_keys:
            if not isinstance(node.get(needed), str) or not node[needed]:
                problems.append(f"{key}.{needed}: missing")
        splits = node.get("report_splits", [CALIBRATION, HOLDOUT])
        if not isinstance(splits, list) or not all(isinstance(s, str) for s in splits):
            problems.append(f"{key}.report_splits: expected a list of split names")
            splits = []
        baseline = node.get("baseline") or []
        if not isinstance(baseline, list) or not all(isinstance(c, str) for c in baseline):
            problems.append(f"{key}.baseline: expected a list of feature columns")
            baseline = []
        seed = node.get("holdout_seed", 42)
        if not isinstance(seed, int):
            problems.append(f"{key}.holdout_seed: expected an integer, got {seed!r}")
            seed = 42
        overrides = node.get("set") or []
        if not isinstance(overrides, list) or not all(
            isinstance(o, str) and "=" in o for o in overrides
        ):
            problems.append(f"{key}.set: expected a list of key=value overrides")
            overrides = []
        credits = node.get("credits")
        if credits is not None and not (
            isinstance(credits, dict)
            and all(isinstance(credits.get(k), str) for k in ("entity", "performers"))
        ):
            problems.append(f"{key}.credits: expected entity and performers (module:function)")
            credits = None
        mapping = Path(str(node.get("mapping", "")))
        datasets.append(
            QualityDataset(
                name=str(node.get("name")),
                mapping=mapping if mapping.is_absolute() else PROJECT_ROOT / mapping,
                choose_threshold_on=str(node.get("choose_threshold_on", CALIBRATION)),
                report_splits=tuple(splits),
                overrides=tuple(overrides),
                golden=str(golden),
                holdout_seed=seed,
                baseline=tuple(baseline),
                through=node.get("through") if isinstance(node.get("through"), str) else None,
                credits=(credits["entity"], credits["performers"]) if credits else None,
            )
        )
    if problems:
        raise ConfigError(f"benchmark config {file} has problems:\n  - " + "\n  - ".join(problems))
    return QualityBench(
        scratch_dir=tree["scratch_dir"],
        report=tree["report"],
        datasets=tuple(datasets),
        rshort=_rshort_entity(tree.get("rshort"), problems),
    )


def _rshort_entity(node: Any, problems: list[str]) -> str | None:
    if node in (None, False):
        return None
    if not isinstance(node, dict) or not isinstance(node.get("entity"), str):
        problems.append("rshort: expected {entity: <a link entity>} or nothing")
        return None
    return node["entity"]


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
    for pairs in (mapping.labelled_pairs, mapping.golden_pairs):
        if pairs is not None:
            paths += [path for _, path in pairs.files]
    return [p for p in paths if "://" not in p and not glob.glob(p.removeprefix("file://"))]


def run_dataset(
    spark: SparkSession,
    cfg: AppConfig,
    dataset: QualityDataset,
    *,
    datasets_dir: Path,
    run_id: str,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """ingest -> features -> train -> scores against the golden data -> threshold on one split.

    Labelled pairs: exactly the labelled pairs are scored, the threshold is
    chosen on the labels' split ``choose_threshold_on``. Golden clusters: the
    chain resolves the whole catalog, the threshold is chosen on a seeded half
    of the true clusters and reported on the other half (pairwise, and the
    pairs of the clusters the threshold makes), beside the baseline.

    Returns:
        The report rows (one per reported split and method) and the
        precision-recall curves (per split, at every distinct score).
    """
    timings: dict[str, float] = {}
    mapping = load_mapping(
        dataset.mapping,
        datasets_dir=datasets_dir,
        entity_contracts={e.name: e.contracts for e in cfg.entities.values()},
    )
    if dataset.golden == "clusters":
        golden = mapping.golden_pairs or getattr(mapping, "golden_clusters", None)
    else:
        golden = mapping.labelled_pairs
    if golden is None:
        key = (
            "golden_pairs or golden_clusters" if dataset.golden == "clusters" else "labelled_pairs"
        )
        raise ConfigError(f"{dataset.name}: mapping {mapping.file} has no {key}")
    entity = cfg.entity(mapping.entity)
    with stage(f"{dataset.name}: ingest", timings):
        ingested = ingest.run(
            spark, cfg, mapping_path=dataset.mapping, datasets_dir=datasets_dir, run_id=run_id
        )
    with stage(f"{dataset.name}: features", timings):
        build_features(spark, cfg, entity, run_id)
    with stage(f"{dataset.name}: train", timings):
        model, model_path = train(spark, cfg, entity, run_id)
    judged = entity
    if dataset.golden == "clusters":
        with stage(f"{dataset.name}: resolve", timings):
            resolve(spark, cfg, entity, run_id, str(model_path))
        if dataset.through:
            judged = cfg.entity(dataset.through)
            with stage(f"{dataset.name}: {judged.name} features, train, resolve", timings):
                build_features(spark, cfg, judged, run_id)
                model, model_path = train(spark, cfg, judged, run_id)
                resolve(spark, cfg, judged, run_id, str(model_path))
        with stage(f"{dataset.name}: halves", timings):
            assert judged.golden is not None
            truth = true_clusters(spark, cfg, entity, column=judged.golden.truth_column)
            record_pairs = scored_record_pairs(spark, cfg, entity, judged)
            pairs = holdout_scores(record_pairs.scored, truth, seed=dataset.holdout_seed)
    else:
        with stage(f"{dataset.name}: score labelled pairs", timings):
            pairs = labelled_scores(spark, cfg, entity, model, dataset.name)
    credit_rows: list[dict[str, Any]] = []
    if dataset.credits and dataset.golden != "clusters":
        people = cfg.entity(dataset.credits[0])
        with stage(f"{dataset.name}: resolve, then {people.name}", timings):
            resolve(spark, cfg, entity, run_id, str(model_path))
            build_features(spark, cfg, people, run_id)
            _, people_model = train(spark, cfg, people, run_id)
            resolve(spark, cfg, people, run_id, str(people_model))
            credit_rows = agreement_rows(
                spark, cfg, entity, people, dataset.credits[1], dataset.report_splits
            )
    threshold, rows = choose_and_report(
        pairs, choose_on=dataset.choose_threshold_on, report=dataset.report_splits
    )
    method = f"{judged.name} model" + (", m from labels" if judged.training.m_from_labels else "")
    common = {
        "dataset": dataset.name,
        "threshold_chosen_on": dataset.choose_threshold_on,
        "threshold_kind": "match_weight",
        "link_type": entity.link_type,
        "model_version": model.version,
        "n_records": ingested.rows_written,
    }
    out = [
        {
            **common,
            "method": method,
            **rounded(row),
        }
        for row in rows
    ]
    if dataset.golden == "clusters":
        out = [
            {
                **row,
                **rounded(clusters_at(record_pairs, truth, row["split"], threshold, dataset)),
            }
            for row in out
        ]
        if dataset.baseline:
            out += baseline_rows(spark, cfg, entity, truth, dataset, common)
    out += [
        {"dataset": dataset.name, "n_records": ingested.rows_written, **rounded(r)}
        for r in credit_rows
    ]
    seconds = round(sum(timings.values()), 1)
    out = [{**row, "seconds": seconds} for row in out]
    curves = {
        "dataset": dataset.name,
        "model_version": model.version,
        "threshold": threshold,
        "id_column": entity.id_column,
        "curves": {str(split): curve_rows(part) for split, part in by_split(pairs).items()},
    }
    logger.info("%s done in %.0f s (%s)", dataset.name, seconds, timings)
    return out, curves


def labelled_scores(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, model: TrainedModel, name: str
) -> list[LabelledScore]:
    """Each labelled pair's score, exactly the labelled pairs scored (a pair blocking never
    generates is a predicted non-match)."""
    pairs = [
        LabelledScore(
            label=int(r["label"]),
            score=r["match_weight"],
            generated=bool(r["generated"]),
            split=r["split"],
        )
        for r in score_labelled_pairs(spark, cfg, entity, model).collect()
    ]
    unscored = sum(1 for p in pairs if p.score is None)
    if unscored:
        logger.warning(
            "%s: %d labelled pairs have a record missing from the features (ingest "
            "quarantine?): counted as predicted non-matches",
            name,
            unscored,
        )
    return pairs


def true_clusters(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, column: str | None = None
) -> dict[str, str]:
    """Every resolved record's true cluster (records quarantined before features are out).

    ``column``: the golden column that says it (default: the entity's truth column).
    """
    assert entity.golden is not None and entity.golden_table is not None
    idc = entity.id_column
    golden = read_table(spark, cfg.table_path(entity.golden_table)).join(
        read_table(spark, cfg.table_path(entity.features_table)).select(idc), idc
    )
    column = column or entity.golden.truth_column
    return {
        r[0]: r[1] for r in golden.select(idc, column).where(F.col(column).isNotNull()).collect()
    }


# A weight above any model's: two records of one group of the mapped entity are
# in one cluster of the derived entity whatever its threshold.
SAME_GROUP_WEIGHT = 1000.0


@dataclass(frozen=True)
class RecordPairs:
    """The judged entity's scored pairs as pairs of the mapped records.

    ``scored``: (left, right, match weight) per candidate pair. When the judged
    entity is derived from the mapped one, a pair of its groups stands for
    every pair of their member records, and two members of one group are a
    pair at SAME_GROUP_WEIGHT.
    """

    scored: list[tuple[str, str, float]]

    def edges_at(self, threshold: float) -> list[tuple[str, str]]:
        return [(a, b) for a, b, w in self.scored if w >= threshold]


def scored_record_pairs(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, judged: EntityConfig
) -> RecordPairs:
    """The judged entity's candidate pairs over ``entity``'s records (see RecordPairs)."""

    def pairs_of(e: EntityConfig) -> list[tuple[str, str, float]]:
        idc = e.id_column
        table = read_table(spark, cfg.table_path(e.pairs_table))
        return [tuple(r) for r in table.select(f"{idc}_l", f"{idc}_r", "match_weight").collect()]

    if judged.name == entity.name:
        return RecordPairs(pairs_of(entity))
    groups = read_table(spark, cfg.table_path(entity.groups_table or "")).select(
        entity.id_column, entity.group_column
    )
    group_of = {r[0]: r[1] for r in groups.collect()}
    members: dict[str, list[str]] = {}
    for record, group in group_of.items():
        members.setdefault(group, []).append(record)
    scored = [
        (a, b, SAME_GROUP_WEIGHT)
        for records in members.values()
        for i, a in enumerate(sorted(records))
        for b in sorted(records)[i + 1 :]
    ]
    scored += [
        (a, b, w) for g1, g2, w in pairs_of(judged) for a in members[g1] for b in members[g2]
    ]
    return RecordPairs(scored)


def holdout_scores(
    scored: Sequence[tuple[str, str, float]], truth: dict[str, str], *, seed: int
) -> list[LabelledScore]:
    """Every candidate pair and every true pair never generated, labelled by the golden clusters.

    Split by the half each true cluster falls in (``half_of``); pairs across
    the halves are left out.
    """
    out: list[LabelledScore] = []
    generated: set[tuple[str, str]] = set()
    for left, right, weight in scored:
        if left not in truth or right not in truth:
            continue
        generated.add((min(left, right), max(left, right)))
        half = half_of(truth[left], seed)
        if half == half_of(truth[right], seed):
            out.append(LabelledScore(int(truth[left] == truth[right]), weight, True, half))
    members: dict[str, list[str]] = {}
    for record, cluster in truth.items():
        members.setdefault(cluster, []).append(record)
    for cluster, records in members.items():
        ordered = sorted(records)
        for i, left in enumerate(ordered):
            for right in ordered[i + 1 :]:
                if (left, right) not in generated:
                    out.append(LabelledScore(1, None, False, half_of(cluster, seed)))
    return out


def clusters_at(
    pairs: RecordPairs,
    truth: dict[str, str],
    split: str,
    threshold: float,
    dataset: QualityDataset,
) -> dict[str, Any]:
    """Figures of the clusters the pairs at or above ``threshold`` make, on one half."""
    inside = {
        record: cluster
        for record, cluster in truth.items()
        if half_of(cluster, dataset.holdout_seed) == split
    }
    figures = cluster_figures(pairs.edges_at(threshold), inside)
    return {
        "cluster_precision": figures["precision"],
        "cluster_recall": figures["recall"],
        "cluster_f1": figures["f1"],
        "bcubed_f1": figures["bcubed_f1"],
        "largest_cluster": figures["largest"],
        "n_split_records": len(inside),
    }


def baseline_rows(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    truth: dict[str, str],
    dataset: QualityDataset,
    common: dict[str, Any],
) -> list[dict[str, Any]]:
    """The baseline on each half: two records match when every baseline column is equal."""
    idc = entity.id_column
    features = read_table(spark, cfg.table_path(entity.features_table))
    keys = [F.col(c) for c in dataset.baseline]
    present = keys[0].isNotNull()
    for key in keys[1:]:
        present = present & key.isNotNull()
    keyed = features.where(present).select(idc, F.concat_ws("\u0001", *keys).alias("_key"))
    pairs = (
        keyed.alias("l")
        .join(keyed.alias("r"), "_key")
        .where(F.col(f"l.{idc}") < F.col(f"r.{idc}"))
        .select(F.col(f"l.{idc}"), F.col(f"r.{idc}"))
        .collect()
    )
    rows = []
    for split in dataset.report_splits:
        inside = {r: c for r, c in truth.items() if half_of(c, dataset.holdout_seed) == split}
        figures = cluster_figures(((a, b) for a, b in pairs), inside)
        rows.append(
            {
                **common,
                "method": "baseline: equal " + " + ".join(dataset.baseline),
                "split": split,
                "threshold": None,
                "threshold_kind": None,
                "model_version": None,
                **rounded({k: figures[k] for k in ("precision", "recall", "f1")}),
                # equal keys are already transitive: the pairs are the clusters' pairs
                **rounded({f"cluster_{k}": figures[k] for k in ("precision", "recall", "f1")}),
                "bcubed_f1": rounded({"b": figures["bcubed_f1"]})["b"],
                "largest_cluster": figures["largest"],
                "n_split_records": len(inside),
            }
        )
    return rows


COLUMNS = ("dataset", "method", "split", "precision", "recall", "f1", "threshold", "n_pairs")


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as an aligned text table (pair completeness where known)."""
    return text_table(
        rows,
        (
            *COLUMNS,
            "pair_completeness",
            "cluster_f1",
            "bcubed_f1",
            "credit_agreement",
            "shared_by_different_artists",
        ),
    )


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
        from jobs.bench.rshort import RSHORT_FILE, rshort_rows

        if (datasets_dir / RSHORT_FILE).is_file():
            cfg = load_config(
                profile,
                conf_dir=conf_dir,
                overrides=[*scratch_overrides(bench.scratch_dir, "rshort"), *overrides],
            )
            spark.sparkContext.setCheckpointDir(cfg.paths.checkpoint_dir)
            with stage("rShort"):
                rows += rshort_rows(spark, cfg, datasets_dir, entity=bench.rshort, run_id=run_id)
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
