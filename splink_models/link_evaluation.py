"""Link assignments against golden truth: overall and per record kind.

A target group stands for the truth value most of its members carry (for
recording groups: the recording most of its tracks are); an assignment is
right when that value is the record's true one. Recall counts only the
records whose truth is in the resolved targets (a video of a recording the
catalog lacks cannot be assigned, and leaving it unassigned is right).

Neutral column names, as in :mod:`splink_models.linking`: ``record_id``,
``group_id``, ``truth`` and ``record_kind`` / ``target_kind``.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from splink_models.evaluation import f1, ratio


def group_truths(groups: DataFrame, target_golden: DataFrame) -> DataFrame:
    """(group_id, group_truth, group_kind): each group's majority truth value and its kind.

    ``groups``: target_id, group_id; ``target_golden``: target_id, truth, target_kind.
    """
    counts = (
        groups.select("target_id", "group_id")
        .join(target_golden.select("target_id", "truth", "target_kind"), "target_id")
        .groupBy("group_id", "truth", "target_kind")
        .count()
    )
    first = Window.partitionBy("group_id").orderBy(F.desc("count"), "truth")
    return (
        counts.withColumn("_r", F.row_number().over(first))
        .where("_r = 1")
        .select(
            "group_id",
            F.col("truth").alias("group_truth"),
            F.col("target_kind").alias("group_kind"),
        )
    )


def evaluate_assignments(
    *,
    matches: DataFrame,
    unmatched: DataFrame,
    record_golden: DataFrame,
    groups: DataFrame,
    target_golden: DataFrame,
    base_kind: str | None,
) -> dict[str, Any]:
    """Flat report: precision, recall, f1, and per record kind n, precision, recall.

    ``matches``: record_id, group_id; ``unmatched``: record_id, reason;
    ``record_golden``: record_id, truth (null: in no target), record_kind;
    ``groups``: target_id, group_id; ``target_golden``: target_id, truth,
    target_kind. ``<kind>_precision`` is 1.0 when no record of that kind was
    assigned (nothing was wrongly assigned); ``<kind>_assigned_to_<base_kind>``
    counts records of a kind wrongly assigned to a group of ``base_kind``
    (e.g. live videos on studio recordings).
    """
    truths = group_truths(groups, target_golden)
    resolvable = (
        target_golden.join(groups.select("target_id"), "target_id")
        .select("truth")
        .distinct()
        .withColumn("in_catalog", F.lit(True))
    )
    predicted = matches.select("record_id", "group_id").join(truths, "group_id", "left")
    per_record = (
        record_golden.select("record_id", "truth", "record_kind")
        .join(predicted, "record_id", "left")
        .join(resolvable, "truth", "left")
        .select(
            "record_kind",
            F.col("group_id").isNotNull().alias("assigned"),
            F.coalesce(F.col("group_truth") == F.col("truth"), F.lit(False)).alias("correct"),
            F.coalesce(F.col("in_catalog"), F.lit(False)).alias("expected"),
            (
                F.col("group_id").isNotNull()
                & F.col("group_kind").eqNullSafe(F.lit(base_kind))
                & F.coalesce(F.col("group_truth") != F.col("truth"), F.lit(True))
            ).alias("to_base_wrongly"),
        )
    )
    rows = (
        per_record.groupBy("record_kind")
        .agg(
            F.count("*").alias("n"),
            F.sum(F.col("assigned").cast("int")).alias("assigned"),
            F.sum(F.col("correct").cast("int")).alias("correct"),
            F.sum(F.col("expected").cast("int")).alias("expected"),
            F.sum(F.col("to_base_wrongly").cast("int")).alias("to_base_wrongly"),
        )
        .collect()
    )
    by_kind = {r["record_kind"]: r.asDict() for r in rows}
    total = {
        k: sum(int(r[k]) for r in by_kind.values())
        for k in ("n", "assigned", "correct", "expected")
    }
    precision = ratio(total["correct"], total["assigned"])
    recall = ratio(total["correct"], total["expected"])
    report: dict[str, Any] = {
        "n_records": total["n"],
        "n_assigned": total["assigned"],
        "n_correct": total["correct"],
        "n_expected": total["expected"],
        "precision": precision,
        "recall": recall,
        "f1": f1(precision, recall),
    }
    for kind, r in sorted(by_kind.items(), key=lambda item: str(item[0])):
        assigned, correct = int(r["assigned"]), int(r["correct"])
        report[f"{kind}_n"] = int(r["n"])
        # no assignment of this kind made: nothing was wrongly assigned
        report[f"{kind}_precision"] = ratio(correct, assigned) if assigned else 1.0
        report[f"{kind}_recall"] = ratio(correct, int(r["expected"]))
        report[f"{kind}_wrongly_assigned"] = assigned - correct
        if base_kind is not None and kind != base_kind:
            report[f"{kind}_assigned_to_{base_kind}"] = int(r["to_base_wrongly"])
    for r in unmatched.groupBy("reason").count().collect():
        report["unmatched_" + r["reason"].replace(" ", "_")] = int(r["count"])
    return report
