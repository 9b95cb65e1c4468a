"""A contributor's table: one row per person, from the clusters of credited names.

Built by the clustered stage as the entity's product (config ``products``):
the groups table as it is, and ``contributors``: each person's display name
(the spelling most of their credits use), every spelling, IPIs, ISNIs, role
classes, roles, and how many records, credits and artists stand behind them.
``show_contributor`` prints one for the demo; ``performer_credits`` gives
each track's artists as people (bench-quality's credit agreement).
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from features.contributors import FEATURED_ARTIST, MAIN_ARTIST, credit_rows

# a person's spellings kept in the table (the most credited first)
MAX_NAMES = 20


def _distinct_sorted(column: str) -> F.Column:
    values = F.array_sort(F.array_distinct(F.collect_list(column)))
    return F.when(F.size(values) > 0, values)


def contributor_products(
    groups: DataFrame,
    features: DataFrame,
    pairs: DataFrame,
    *,
    id_column: str,
    group_column: str,
    run_id: str,
    model_version: str,
) -> dict[str, DataFrame]:
    """groups (unchanged) and contributors (features.schemas.CONTRIBUTORS)."""
    members = groups.select(id_column, group_column).join(features, id_column)
    by_name = members.groupBy(group_column, "name").agg(F.sum("n_credits").alias("_credits"))
    ranked = by_name.withColumn(
        "_rank",
        F.row_number().over(Window.partitionBy(group_column).orderBy(F.desc("_credits"), "name")),
    )
    names = (
        ranked.where(F.col("_rank") <= MAX_NAMES)
        .groupBy(group_column)
        .agg(
            F.max(F.when(F.col("_rank") == 1, F.col("name"))).alias("name"),
            F.transform(
                F.array_sort(F.collect_list(F.struct("_rank", "name"))), lambda s: s["name"]
            ).alias("names"),
        )
    )
    people = members.groupBy(group_column).agg(
        _distinct_sorted("ipi").alias("ipis"),
        _distinct_sorted("isni").alias("isnis"),
        F.array_sort(F.array_distinct(F.flatten(F.collect_list("role_classes")))).alias(
            "role_classes"
        ),
        F.array_sort(F.array_distinct(F.flatten(F.collect_list("roles")))).alias("roles"),
        F.count("*").alias("n_records"),
        F.sum("n_credits").alias("n_credits"),
        F.countDistinct("neighbourhood").alias("n_artists"),
    )
    contributors = people.join(names, group_column).select(
        group_column,
        "name",
        "names",
        "ipis",
        "isnis",
        "role_classes",
        "roles",
        "n_records",
        "n_credits",
        "n_artists",
        F.lit(run_id).alias("run_id"),
        F.lit(model_version).alias("model_version"),
    )
    return {"groups": groups, "contributors": contributors}


def show_contributor(
    outputs: Mapping[str, DataFrame],
    features: DataFrame,
    *,
    id_column: str,
    group_column: str,
) -> list[str]:
    """One person as the demo shows them: the one with the most spellings (ties: credits, id)."""
    best = (
        outputs["contributors"]
        .orderBy(F.desc(F.size("names")), F.desc("n_credits"), group_column)
        .first()
    )
    if best is None:
        return ["  example           no contributor"]
    codes = ", ".join(
        [f"IPI {i}" for i in best["ipis"] or []] + [f"ISNI {i}" for i in best["isnis"] or []]
    )
    return [
        f'  example person    {best[group_column]} "{best["name"]}" ({codes or "no IPI or ISNI"}):'
        f" {best['n_credits']:,} credits in {best['n_records']:,} records, for"
        f" {best['n_artists']:,} artists, as {', '.join(best['roles'])}",
        "    credited as      " + "; ".join(f'"{n}"' for n in best["names"]),
    ]


def credit_records(
    track_features: DataFrame,
    contributor_input: DataFrame,
    *,
    track_id_column: str,
    credits: DataFrame | None = None,
) -> DataFrame:
    """(credit_id, track_id, role, instrument, contributor_record_id): every credit and its record.

    The credits as features.contributors.credit_rows reads them (the
    credits table and the tracks' own artists), each with the contributor
    record that lists it.
    """
    record_of = contributor_input.select(
        "contributor_record_id", F.explode("credit_ids").alias("credit_id")
    )
    return (
        credit_rows(track_features, credits, id_column=track_id_column)
        .select("credit_id", "track_id", "role", "instrument")
        .join(record_of, "credit_id")
    )


def performer_credits(
    track_features: DataFrame,
    contributor_input: DataFrame,
    contributor_groups: DataFrame,
    *,
    track_id_column: str,
    credits: DataFrame | None = None,
) -> DataFrame:
    """(track_id, role, contributor_id): each track's main and featured artists as people.

    A track's artist credits followed through the contributor record that
    lists them (``credit_records``) to the person it was clustered into.
    """
    return (
        credit_records(
            track_features, contributor_input, track_id_column=track_id_column, credits=credits
        )
        .where(F.col("role").isin(MAIN_ARTIST, FEATURED_ARTIST))
        .join(
            contributor_groups.select("contributor_record_id", "contributor_id"),
            "contributor_record_id",
        )
        .select("track_id", "role", "contributor_id")
        .distinct()
    )
