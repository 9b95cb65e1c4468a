"""Quality against golden clusters: pairwise, B-cubed, blocking recall, false merges by kind.

All counts are computed in Spark, never by collecting pairs to the driver, so
the same code measures a 20k sample and a catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F


def f1(p: float | None, r: float | None) -> float | None:
    """The harmonic mean of precision and recall; None when either is unknown, 0 when both are 0."""
    if p is None or r is None or p + r == 0:
        return None if p is None or r is None else 0.0
    return 2 * p * r / (p + r)


def majority(
    members: DataFrame, truth: DataFrame, *, key: str, member: str, columns: list[str]
) -> DataFrame:
    """(key, *columns): the truth most of each key's members have (ties: the smallest).

    ``members`` pairs each key with its members (key, member); ``truth`` gives
    a member its truth columns; a member without truth takes no part.
    """
    counts = members.join(truth, member).groupBy(key, *columns).count()
    first = Window.partitionBy(key).orderBy(F.desc("count"), *columns)
    return (
        counts.withColumn("_rank", F.row_number().over(first))
        .where("_rank = 1")
        .select(key, *columns)
    )


def ratio(num: int, den: int) -> float | None:
    """``num / den``, or None when there is nothing to divide by."""
    return num / den if den else None


def true_pair_count(golden: DataFrame, truth_column: str) -> int:
    """Number of unordered record pairs that share a golden cluster."""
    sizes = golden.groupBy(truth_column).count()
    row = sizes.select(F.sum(F.col("count") * (F.col("count") - 1) / 2).alias("n")).first()
    return int(row["n"] or 0)


@dataclass(frozen=True)
class RuleCounts:
    """What the prior's deterministic rules find, against golden clusters."""

    true_pairs: int  # pairs of records in one golden cluster
    found: int  # ... of which the rules find
    rule_pairs: int  # every pair the rules find, true or not

    @property
    def recall(self) -> float | None:
        return ratio(self.found, self.true_pairs)

    @property
    def precision(self) -> float | None:
        return ratio(self.found, self.rule_pairs)

    @property
    def implied_recall(self) -> float | None:
        """The training.prior_recall that makes the prior the golden match rate.

        Splink takes the prior as rule pairs / prior_recall / possible pairs:
        right when prior_recall = rule pairs / true pairs (the rules' recall
        over their precision; above 1 when they find more non-matches than
        they miss matches).
        """
        return ratio(self.rule_pairs, self.true_pairs)


def rule_counts(
    records: DataFrame,
    golden: DataFrame,
    rules: list[str],
    *,
    id_column: str,
    truth_column: str,
) -> RuleCounts | None:
    """How many pairs ``rules`` (Splink SQL on ``l.`` / ``r.``, OR-ed) find, and how many are true.

    Training divides the pairs the rules find by ``training.prior_recall``, an
    assumption: an assumed recall above the implied one makes the prior, and
    every match weight, too low by log2(assumed / implied) bits. The rules
    are joined as written (an equi-join where they are equalities, as Splink
    does). None without rules.
    """
    if not rules:
        return None
    rows = records.join(golden.select(id_column, truth_column), id_column)
    found = F.expr(" OR ".join(f"({rule})" for rule in rules))
    pairs = (
        rows.alias("l")
        .join(rows.alias("r"), found & (F.col(f"l.{id_column}") < F.col(f"r.{id_column}")))
        .select((F.col(f"l.{truth_column}") == F.col(f"r.{truth_column}")).alias("is_match"))
    )
    counts = pairs.agg(
        F.count("*").alias("n"), F.sum(F.col("is_match").cast("long")).alias("found")
    ).first()
    return RuleCounts(
        true_pairs=true_pair_count(rows, truth_column),
        found=int(counts["found"] or 0),
        rule_pairs=int(counts["n"] or 0),
    )


def label_pairs(
    pairs: DataFrame,
    golden: DataFrame,
    *,
    id_column: str,
    truth_column: str,
    kind_column: str | None,
    base_kind: str | None = None,
) -> DataFrame:
    """Attach is_match (same golden cluster) and the hard-negative kind of each pair.

    A non-matching pair's ``negative_kind`` is the kind of whichever side is
    not ``base_kind`` (the original, e.g. a studio recording), else "other".
    """
    cols = [id_column, truth_column] + ([kind_column] if kind_column else [])
    left = golden.select(*[F.col(c).alias(f"{c}__l") for c in cols])
    right = golden.select(*[F.col(c).alias(f"{c}__r") for c in cols])
    labelled = (
        pairs.join(left, pairs[f"{id_column}_l"] == left[f"{id_column}__l"])
        .join(right, pairs[f"{id_column}_r"] == right[f"{id_column}__r"])
        .withColumn("is_match", F.col(f"{truth_column}__l") == F.col(f"{truth_column}__r"))
    )
    if kind_column:
        kl, kr = F.col(f"{kind_column}__l"), F.col(f"{kind_column}__r")
        labelled = labelled.withColumn(
            "negative_kind",
            F.when(F.col("is_match"), None)
            .when(~kl.eqNullSafe(F.lit(base_kind)), kl)
            .when(~kr.eqNullSafe(F.lit(base_kind)), kr)
            .otherwise(F.lit("other")),
        )
    return labelled


def bcubed(
    predicted: DataFrame, golden: DataFrame, *, id_column: str, group_column: str, truth_column: str
) -> tuple[float, float]:
    """B-cubed precision and recall of predicted groups against golden clusters."""
    joined = predicted.select(id_column, group_column).join(
        golden.select(id_column, truth_column), id_column
    )
    n = joined.count()
    if n == 0:
        return 0.0, 0.0
    pred_size = joined.groupBy(group_column).agg(F.count("*").alias("pred_size"))
    true_size = joined.groupBy(truth_column).agg(F.count("*").alias("true_size"))
    cells = (
        joined.groupBy(group_column, truth_column)
        .agg(F.count("*").alias("inter"))
        .join(pred_size, group_column)
        .join(true_size, truth_column)
    )
    sums = cells.select(
        F.sum(F.col("inter") * F.col("inter") / F.col("pred_size")).alias("p"),
        F.sum(F.col("inter") * F.col("inter") / F.col("true_size")).alias("r"),
    ).first()
    return float(sums["p"]) / n, float(sums["r"]) / n


def implied_pairs(groups: DataFrame, *, id_column: str, group_column: str) -> DataFrame:
    """Unordered record pairs implied by the predicted groups."""
    a = groups.select(F.col(id_column).alias(f"{id_column}_l"), group_column)
    b = groups.select(F.col(id_column).alias(f"{id_column}_r"), group_column)
    return a.join(b, group_column).where(F.col(f"{id_column}_l") < F.col(f"{id_column}_r"))


def evaluate(
    *,
    pairs: DataFrame,
    groups: DataFrame,
    golden: DataFrame,
    id_column: str,
    group_column: str,
    truth_column: str,
    kind_column: str | None,
    threshold: float,
    base_kind: str | None = None,
) -> dict[str, Any]:
    """Every quality figure of one run, as a flat dict (the JSON report's keys)."""
    if truth_column == group_column:  # e.g. work_id, predicted and golden alike
        golden = golden.withColumnRenamed(truth_column, "_truth")
        truth_column = "_truth"
    records = groups.select(id_column)
    golden = golden.join(records, id_column)  # only records that took part
    n_true = true_pair_count(golden, truth_column)

    labelled = label_pairs(
        pairs,
        golden,
        id_column=id_column,
        truth_column=truth_column,
        kind_column=kind_column,
        base_kind=base_kind,
    ).cache()
    counts = labelled.agg(
        F.count("*").alias("candidates"),
        F.sum(F.col("is_match").cast("long")).alias("blocked_true"),
        F.sum((F.col("match_probability") >= threshold).cast("long")).alias("predicted"),
        F.sum(((F.col("match_probability") >= threshold) & F.col("is_match")).cast("long")).alias(
            "tp"
        ),
    ).first()
    predicted, tp = int(counts["predicted"] or 0), int(counts["tp"] or 0)
    precision, recall = ratio(tp, predicted), ratio(tp, n_true)

    implied = label_pairs(
        implied_pairs(groups, id_column=id_column, group_column=group_column),
        golden,
        id_column=id_column,
        truth_column=truth_column,
        kind_column=kind_column,
        base_kind=base_kind,
    ).cache()
    implied_counts = implied.agg(
        F.count("*").alias("n"), F.sum(F.col("is_match").cast("long")).alias("tp")
    ).first()
    c_n, c_tp = int(implied_counts["n"] or 0), int(implied_counts["tp"] or 0)
    c_precision, c_recall = ratio(c_tp, c_n), ratio(c_tp, n_true)
    b_p, b_r = bcubed(
        groups, golden, id_column=id_column, group_column=group_column, truth_column=truth_column
    )

    sizes = groups.groupBy(group_column).agg(F.count("*").alias("size"))
    size_stats = sizes.agg(F.count("*").alias("groups"), F.max("size").alias("largest")).first()

    report: dict[str, Any] = {
        "precision": precision,
        "recall": recall,
        "f1": f1(precision, recall),
        "cluster_precision": c_precision,
        "cluster_recall": c_recall,
        "cluster_f1": f1(c_precision, c_recall),
        "bcubed_precision": b_p,
        "bcubed_recall": b_r,
        "bcubed_f1": f1(b_p, b_r),
        "blocking_recall": ratio(int(counts["blocked_true"] or 0), n_true),
        "threshold": threshold,
        "n_records": records.count(),
        "n_candidate_pairs": int(counts["candidates"] or 0),
        "n_true_pairs": n_true,
        "n_predicted_pairs": predicted,
        "n_groups": int(size_stats["groups"] or 0),
        "largest_group": int(size_stats["largest"] or 0),
    }
    if kind_column:
        kinds = sorted(
            r[kind_column]
            for r in golden.select(kind_column).distinct().collect()
            if r[kind_column] != base_kind
        )
        for prefix, frame in (
            ("false_merges", labelled.where(F.col("match_probability") >= threshold)),
            ("cluster_false_merges", implied),
        ):
            by_kind = frame.where(~F.col("is_match")).groupBy("negative_kind").count().collect()
            # every hard-negative kind of the golden data is reported, merged or not
            report[prefix] = {kind: 0 for kind in kinds} | {
                row["negative_kind"]: int(row["count"]) for row in by_kind
            }
    labelled.unpersist()
    implied.unpersist()
    return report


# --- blocking and errors -----------------------------------------------------------

ERROR_TYPES = ("false_positive", "false_negative", "missed_by_blocking")


def possible_pairs(records: DataFrame, *, link_type: str, source_column: str = "source") -> int:
    """How many pairs an exhaustive comparison would score (the reduction ratio's denominator).

    dedupe_only and link_and_dedupe: every unordered pair; link_only: every
    pair whose two records come from different sources.
    """
    n = records.count()
    everything = n * (n - 1) // 2
    if link_type != "link_only":
        return everything
    sizes = [int(r["count"]) for r in records.groupBy(source_column).count().collect()]
    return everything - sum(s * (s - 1) // 2 for s in sizes)


def reduction_ratio(n_candidates: int, n_possible: int) -> float | None:
    """Share of all possible pairs that blocking spares the model (1 - candidates / possible)."""
    return 1 - n_candidates / n_possible if n_possible else None


def pair_key(id_column: str) -> list[Column]:
    """key_l, key_r: a pair's two ids in order, so (a, b) and (b, a) share one key."""
    left, right = F.col(f"{id_column}_l"), F.col(f"{id_column}_r")
    return [F.least(left, right).alias("key_l"), F.greatest(left, right).alias("key_r")]


def with_missed_true_pairs(
    labelled: DataFrame, true_pairs: DataFrame, *, id_column: str
) -> DataFrame:
    """Scored, labelled candidates plus the true pairs blocking never generated (null score).

    ``labelled`` comes from :func:`label_pairs`; ``true_pairs`` has
    ``<id>_l``, ``<id>_r`` of every golden match. Either orientation of a pair
    counts as generated.
    """
    generated = labelled.select(*pair_key(id_column))
    missed = (
        true_pairs.select(*pair_key(id_column))
        .join(generated, ["key_l", "key_r"], "left_anti")
        .select(
            F.col("key_l").alias(f"{id_column}_l"),
            F.col("key_r").alias(f"{id_column}_r"),
            F.lit(True).alias("is_match"),
        )
    )
    return labelled.unionByName(missed, allowMissingColumns=True)


def error_pairs(labelled: DataFrame, *, id_column: str, threshold: float, top_n: int) -> DataFrame:
    """The ``top_n`` most confident mistakes of each type, ranked (ERROR_TYPES).

    ``labelled`` has ``<id>_l``, ``<id>_r``, is_match and the pairs' columns
    (match_probability null for a pair blocking never generated).
    Columns: error_type, rank, id_l, id_r, match_probability, match_weight,
    prior_weight (what the weights of the comparisons leave of the match
    weight: Splink's prior), comparison_levels, negative_kind.
    """
    p = F.col("match_probability")
    kind = (
        F.when(~F.col("is_match") & (p >= threshold), "false_positive")
        .when(F.col("is_match") & p.isNull(), "missed_by_blocking")
        .when(F.col("is_match") & (p < threshold), "false_negative")
    )
    order = (
        F.when(F.col("error_type") == "false_positive", -p).otherwise(p).asc_nulls_last(),
        F.col("id_l"),
        F.col("id_r"),
    )
    if "negative_kind" not in labelled.columns:
        labelled = labelled.withColumn("negative_kind", F.lit(None).cast("string"))
    weights = F.aggregate(
        F.col("comparison_levels"),
        F.lit(0.0),
        lambda acc, c: acc + F.coalesce(c["match_weight"], F.lit(0.0)),
    )
    errors = (
        labelled.withColumn("error_type", kind)
        .where(F.col("error_type").isNotNull())
        .select(
            "error_type",
            F.col(f"{id_column}_l").alias("id_l"),
            F.col(f"{id_column}_r").alias("id_r"),
            "match_probability",
            "match_weight",
            (F.col("match_weight") - weights).alias("prior_weight"),
            "comparison_levels",
            "negative_kind",
        )
    )
    ranked = errors.withColumn(
        "rank", F.row_number().over(Window.partitionBy("error_type").orderBy(*order))
    )
    return ranked.where(F.col("rank") <= top_n)
