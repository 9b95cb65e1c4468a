"""A/B impact of a model change: what two models' pairs and groups disagree on.

Model A (e.g. the champion) and model B (a candidate) score the same feature
table. Pairs are compared at the clustering threshold; groups are compared as
clusterings, by membership (group ids are derived from members, so an id
alone can stay while the group changes):

- a group of A is *split* when its tracks end up in more than one group of B;
- a group of B is *merged* when it joins tracks of more than one group of A;
- a group of A is *unchanged* when B has exactly the same group;
- a record (track) *changed* group when its group of A is not unchanged (it, or
  someone it was grouped with, moved).

A group can be both split and, in part, merged into another group; each is
counted where it applies. Counts are computed in Spark; only a few examples
per kind come back to the driver.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

PAIRS_GAINED = "pairs_gained"
PAIRS_LOST = "pairs_lost"
GROUPS_MERGED = "groups_merged"
GROUPS_SPLIT = "groups_split"
GROUPS_UNCHANGED = "groups_unchanged"
RECORDS_CHANGED = "records_changed"
CHANGES = (PAIRS_GAINED, PAIRS_LOST, GROUPS_MERGED, GROUPS_SPLIT, GROUPS_UNCHANGED, RECORDS_CHANGED)


@dataclass(frozen=True)
class ImpactLine:
    change: str  # one of CHANGES
    count: int
    examples: tuple[str, ...]


def pair_changes(pairs_a: DataFrame, pairs_b: DataFrame, *, id_column: str) -> DataFrame:
    """Pairs above the threshold under one model only: ``change`` pairs_gained (B) or pairs_lost.

    A pair that only one model's blocking rules generate counts as below the
    threshold under the other. Columns: ``<id>_l``, ``<id>_r``,
    match_probability_a, match_probability_b (null: not a candidate), change.
    """
    keys = [f"{id_column}_l", f"{id_column}_r"]

    def side(pairs: DataFrame, tag: str) -> DataFrame:
        return pairs.select(
            *keys,
            F.col("match_probability").alias(f"match_probability_{tag}"),
            F.col("above_threshold").alias(f"above_{tag}"),
        )

    joined = side(pairs_a, "a").join(side(pairs_b, "b"), keys, "full_outer")
    above_a = F.coalesce(F.col("above_a"), F.lit(False))
    above_b = F.coalesce(F.col("above_b"), F.lit(False))
    return joined.select(
        *keys,
        "match_probability_a",
        "match_probability_b",
        F.when(above_b & ~above_a, F.lit(PAIRS_GAINED))
        .when(above_a & ~above_b, F.lit(PAIRS_LOST))
        .alias("change"),
    ).where(F.col("change").isNotNull())


def group_changes(
    groups_a: DataFrame, groups_b: DataFrame, *, id_column: str, group_column: str
) -> DataFrame:
    """One row per record in both clusterings, with what happened to its groups.

    Columns: the id, group_a, group_b, group_a_size, group_b_size,
    b_groups_of_a (how many groups of B the record's group of A went to),
    a_groups_of_b (how many groups of A its group of B came from),
    split, merged, changed (booleans, see the module docstring).
    """
    joined = groups_a.select(id_column, F.col(group_column).alias("group_a")).join(
        groups_b.select(id_column, F.col(group_column).alias("group_b")), id_column
    )
    by_a, by_b = Window.partitionBy("group_a"), Window.partitionBy("group_b")
    counted = (
        joined.withColumn("group_a_size", F.count("*").over(by_a))
        .withColumn("group_b_size", F.count("*").over(by_b))
        # distinct count over a window: size of the collected set
        .withColumn("b_groups_of_a", F.size(F.collect_set("group_b").over(by_a)))
        .withColumn("a_groups_of_b", F.size(F.collect_set("group_a").over(by_b)))
    )
    # unchanged: one group of B, which holds nothing else (a_groups_of_b == 1 for all members)
    whole = F.max(F.col("a_groups_of_b")).over(by_a) == 1
    return counted.select(
        id_column,
        "group_a",
        "group_b",
        F.col("group_a_size").cast("long").alias("group_a_size"),
        F.col("group_b_size").cast("long").alias("group_b_size"),
        "b_groups_of_a",
        "a_groups_of_b",
        (F.col("b_groups_of_a") > 1).alias("split"),
        (F.col("a_groups_of_b") > 1).alias("merged"),
        (~((F.col("b_groups_of_a") == 1) & whole)).alias("changed"),
    )


def _parts(breakdown: DataFrame, key: str, part: str, size: str, n_examples: int) -> list[str]:
    """'key: part (n) + part (n)' for the first groups, biggest change first."""
    cells = breakdown.groupBy(key, part).agg(F.count("*").alias("n"), F.first(size).alias("size"))
    per_group = (
        cells.groupBy(key)
        .agg(
            F.first("size").alias("size"),
            F.count("*").alias("parts"),
            F.sort_array(F.collect_list(F.struct(F.col(part), F.col("n")))).alias("cells"),
        )
        .orderBy(F.desc("parts"), F.desc("size"), key)
        .limit(n_examples)
        .collect()
    )
    return [
        f"{r[key]} ({r['size']}): " + " + ".join(f"{c[part]} ({c['n']})" for c in r["cells"])
        for r in per_group
    ]


def summarise(
    pairs: DataFrame, groups: DataFrame, *, id_column: str, n_examples: int = 3
) -> list[ImpactLine]:
    """Counts and a few readable examples of each change (``CHANGES`` order).

    ``pairs``: :func:`pair_changes`; ``groups``: :func:`group_changes`.
    """
    keys = [f"{id_column}_l", f"{id_column}_r"]
    pair_counts = {
        r["change"]: int(r["n"])
        for r in pairs.groupBy("change").count().withColumnRenamed("count", "n").collect()
    }

    def pair_examples(change: str, by: str) -> tuple[str, ...]:
        rows = (
            pairs.where(F.col("change") == change)
            .orderBy(F.desc_nulls_last(by), *keys)
            .limit(n_examples)
            .collect()
        )
        return tuple(
            f"{r[keys[0]]} ~ {r[keys[1]]}: p {_p(r['match_probability_a'])} -> "
            f"{_p(r['match_probability_b'])}"
            for r in rows
        )

    split = groups.where("split")
    merged = groups.where("merged")
    unchanged = groups.where(~F.col("changed"))
    changed = groups.where("changed")
    counts = groups.agg(
        F.countDistinct(F.when(F.col("split"), F.col("group_a"))).alias(GROUPS_SPLIT),
        F.countDistinct(F.when(F.col("merged"), F.col("group_b"))).alias(GROUPS_MERGED),
        F.countDistinct(F.when(~F.col("changed"), F.col("group_a"))).alias(GROUPS_UNCHANGED),
        F.sum(F.col("changed").cast("long")).alias(RECORDS_CHANGED),
    ).first()
    unchanged_examples = (
        unchanged.groupBy("group_a")
        .agg(F.first("group_a_size").alias("size"))
        .orderBy(F.desc("size"), "group_a")
        .limit(n_examples)
        .collect()
    )
    changed_examples = (
        changed.orderBy(
            F.desc("b_groups_of_a"), F.desc("a_groups_of_b"), F.desc("group_b_size"), id_column
        )
        .limit(n_examples)
        .collect()
    )
    return [
        ImpactLine(
            PAIRS_GAINED,
            pair_counts.get(PAIRS_GAINED, 0),
            pair_examples(PAIRS_GAINED, "match_probability_b"),
        ),
        ImpactLine(
            PAIRS_LOST,
            pair_counts.get(PAIRS_LOST, 0),
            pair_examples(PAIRS_LOST, "match_probability_a"),
        ),
        ImpactLine(
            GROUPS_MERGED,
            int(counts[GROUPS_MERGED] or 0),
            tuple(
                f"B {e}" for e in _parts(merged, "group_b", "group_a", "group_b_size", n_examples)
            ),
        ),
        ImpactLine(
            GROUPS_SPLIT,
            int(counts[GROUPS_SPLIT] or 0),
            tuple(
                f"A {e}" for e in _parts(split, "group_a", "group_b", "group_a_size", n_examples)
            ),
        ),
        ImpactLine(
            GROUPS_UNCHANGED,
            int(counts[GROUPS_UNCHANGED] or 0),
            tuple(f"{r['group_a']} ({r['size']})" for r in unchanged_examples),
        ),
        ImpactLine(
            RECORDS_CHANGED,
            int(counts[RECORDS_CHANGED] or 0),
            tuple(
                f"{r[id_column]}: {r['group_a']} ({r['group_a_size']}) -> "
                f"{r['group_b']} ({r['group_b_size']})"
                for r in changed_examples
            ),
        ),
    ]


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
