"""A work's original and the typed relation of every other version to it (SongDNA products).

Within a work (a cluster of recording groups) the original is a studio
recording group (version type ``original``): first one whose performer is
among the song's credited writers (a singer-songwriter's own song; a cover's
performer rarely is), then the earliest released, then the one with the most
tracks, then the smallest id; a work without a studio group takes its
earliest group. Every other group gets one relation to the original, typed by its
version type and its performers:

- live -> LIVE_VERSION_OF, remix and extended -> REMIX_OF, radio_edit ->
  EDIT_OF, acoustic -> ACOUSTIC_VERSION_OF, instrumental -> INSTRUMENTAL_OF,
  karaoke -> KARAOKE_OF, re_recording -> RERECORDING_OF;
- an untagged (original, demo) version: COVER_OF when its performers are
  known and none is the original's (nor its main performer's name within
  TYPO_EDITS edits of the original's), else RERECORDING_OF.

``confidence`` is the match probability of the version-original pair when
the model scored it; null when the two met only through other versions of
the work. ``evidence`` lists the version type, whether the performers are
shared, and the pair's comparisons that spoke for the match, strongest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from splink_models.evaluation import f1, ratio

ORIGINAL = "ORIGINAL"
VERSION_RELATIONS = {
    "live": "LIVE_VERSION_OF",
    "remix": "REMIX_OF",
    "extended": "REMIX_OF",
    "radio_edit": "EDIT_OF",
    "acoustic": "ACOUSTIC_VERSION_OF",
    "instrumental": "INSTRUMENTAL_OF",
    "karaoke": "KARAOKE_OF",
    "re_recording": "RERECORDING_OF",
    "cover": "COVER_OF",  # a title that says so (features.works.COVER_TAG_PATTERN)
}
"""Version type (features.tracks.VERSION_RULES) -> relation; untagged ones: cover or re-recording."""
STUDIO_VERSION = "original"
MAX_EVIDENCE = 3  # comparisons kept per relation
TYPO_EDITS = 2  # a performer name this many edits from the original's is the original's
SHOWN_CONFIDENCE = 0.9  # show_work prefers a work whose versions all scored this high


def relation_type(version_type: Column, shares_performer: Column) -> Column:
    expr = None
    for version, relation in VERSION_RELATIONS.items():
        cond = version_type == version
        expr = F.when(cond, relation) if expr is None else expr.when(cond, relation)
    assert expr is not None
    return expr.when(shares_performer, "RERECORDING_OF").otherwise("COVER_OF")


def performer_writes() -> Column:
    """Whether a group's performer is one of the song's credited writers (its own song)."""
    writers = F.transform(F.coalesce("writer_keys", F.array().cast("array<string>")),
                          lambda w: F.regexp_replace(w, " ", ""))
    return F.coalesce(F.arrays_overlap("artist_keys", writers), F.lit(False))


def originals(groups: DataFrame, features: DataFrame, *, id_column: str, group_column: str):
    """(group_column, original id): each cluster's original member."""
    first = Window.partitionBy(group_column).orderBy(
        F.desc(F.coalesce(F.col("version_type") == STUDIO_VERSION, F.lit(False))),
        F.desc(performer_writes()),
        F.asc_nulls_last("first_year"),
        F.desc("n_tracks"),
        F.asc(id_column),
    )
    return (
        groups.select(id_column, group_column)
        .join(
            features.select(
                id_column, "version_type", "first_year", "n_tracks", "artist_keys", "writer_keys"
            ),
            id_column,
        )
        .withColumn("_rank", F.row_number().over(first))
        .where("_rank = 1")
        .select(group_column, F.col(id_column).alias("_original"))
    )


def _pair_evidence(pairs: DataFrame, id_column: str) -> DataFrame:
    """Both orientations of each scored pair: probability and its strongest positive levels."""
    levels = F.slice(
        F.array_sort(
            F.filter("comparison_levels", lambda c: c["match_weight"] > 0),
            lambda a, b: F.when(a["match_weight"] > b["match_weight"], -1)
            .when(a["match_weight"] < b["match_weight"], 1)
            .otherwise(0),
        ),
        1,
        MAX_EVIDENCE,
    )
    shown = F.transform(
        levels,
        lambda c: F.format_string("%s %+.1f bits", c["comparison"], c["match_weight"]),
    )
    base = pairs.select(
        F.col(f"{id_column}_l").alias("_a"),
        F.col(f"{id_column}_r").alias("_b"),
        F.col("match_probability").alias("confidence"),
        shown.alias("_levels"),
    )
    flipped = base.select(F.col("_b").alias("_a"), F.col("_a").alias("_b"), "confidence", "_levels")
    return base.unionByName(flipped)


def work_products(
    groups: DataFrame,
    features: DataFrame,
    pairs: DataFrame,
    *,
    id_column: str,
    group_column: str,
    run_id: str,
    model_version: str,
) -> dict[str, DataFrame]:
    """groups (with is_original), works and version_relations (features.schemas contracts)."""
    heads = originals(groups, features, id_column=id_column, group_column=group_column)
    marked = groups.join(heads, group_column).withColumn(
        "is_original", F.col(id_column) == F.col("_original")
    )
    out_groups = marked.select(
        id_column,
        group_column,
        "group_size",
        f"representative_{id_column}",
        "is_original",
        "run_id",
        "model_version",
    )
    side = features.select(
        id_column, "version_type", "artist_keys", "primary_artist_key", "core_title"
    )
    original = side.select(
        F.col(id_column).alias("_original"),
        F.col("artist_keys").alias("_original_artists"),
        F.col("primary_artist_key").alias("_original_primary"),
        F.col("core_title").alias("_original_title"),
    )
    versions = (
        marked.where(~F.col("is_original"))
        .select(id_column, group_column, "_original")
        .join(side, id_column)
        .join(original, "_original")
    )
    # unknown performers (e.g. only "Various Artists" credits) are no cover
    shares = (
        F.col("artist_keys").isNull()
        | F.col("_original_artists").isNull()
        | (F.size(F.array_intersect("artist_keys", "_original_artists")) > 0)
        | (
            (F.levenshtein("primary_artist_key", "_original_primary") <= TYPO_EDITS)
            & (F.least(F.length("primary_artist_key"), F.length("_original_primary")) >= 6)
        )
    )
    evidence = _pair_evidence(pairs, id_column)
    relations = (
        versions.withColumn("_shares", shares)
        .join(
            evidence,
            (F.col("_a") == F.col(id_column)) & (F.col("_b") == F.col("_original")),
            "left",
        )
        .select(
            F.col(id_column).alias(f"src_{id_column}"),
            F.col("_original").alias(f"dst_{id_column}"),
            F.col(group_column),
            relation_type(F.col("version_type"), F.col("_shares")).alias("relation_type"),
            F.col("confidence"),
            F.concat(
                F.array(
                    F.concat(F.lit("version type: "), F.coalesce("version_type", F.lit("unknown"))),
                    F.when(
                        F.col("artist_keys").isNull() | F.col("_original_artists").isNull(),
                        F.lit("performer: unknown"),
                    )
                    .when(F.col("_shares"), F.lit("performer: the original's"))
                    .otherwise(F.lit("performer: not the original's")),
                ),
                F.coalesce(
                    F.col("_levels"), F.array(F.lit("linked through other versions of the work"))
                ),
            ).alias("evidence"),
            F.lit(run_id).alias("run_id"),
            F.lit(model_version).alias("model_version"),
        )
    )
    member_iswcs = (
        groups.select(id_column, group_column)
        .join(features.select(id_column, F.explode("iswcs").alias("_iswc")), id_column)
        .groupBy(group_column, "_iswc")
        .count()
    )
    most = Window.partitionBy(group_column).orderBy(F.desc("count"), "_iswc")
    iswc = (
        member_iswcs.withColumn("_r", F.row_number().over(most))
        .where("_r = 1")
        .select(group_column, F.col("_iswc").alias("iswc"))
    )
    works = (
        marked.groupBy(group_column)
        .agg(F.count("*").alias("n_recording_groups"), F.first("_original").alias("_original"))
        .join(original, "_original")
        .join(iswc, group_column, "left")
        .select(
            group_column,
            F.col("_original_title").alias("title"),
            "iswc",
            "n_recording_groups",
            F.col("_original").alias(f"original_{id_column}"),
            F.lit(run_id).alias("run_id"),
            F.lit(model_version).alias("model_version"),
        )
    )
    return {"groups": out_groups, "works": works, "version_relations": relations}


def show_work(
    outputs: Mapping[str, DataFrame],
    features: DataFrame,
    *,
    id_column: str,
    group_column: str,
) -> list[str]:
    """One work as a person reads it: its original, then each version with its relation.

    The work shown is, among the works whose every version was scored directly
    against the original at p >= 0.9 (else among all), one with a cover and
    the most kinds of relation (ties: the most versions, then the smallest
    id): the demo's example.
    """
    rel = outputs["version_relations"]
    kinds = rel.groupBy(group_column).agg(
        F.countDistinct("relation_type").alias("_kinds"),
        F.count("*").alias("_n"),
        F.min(F.coalesce("confidence", F.lit(0.0))).alias("_weakest"),
        F.max((F.col("relation_type") == "COVER_OF").cast("int")).alias("_cover"),
    )
    best = kinds.orderBy(
        F.desc(F.col("_weakest") >= SHOWN_CONFIDENCE),
        F.desc("_cover"),
        F.desc("_kinds"),
        F.desc("_n"),
        group_column,
    ).first()
    if best is None:
        return ["  example           no work has two versions"]
    work = outputs["works"].where(F.col(group_column) == best[group_column]).first()
    shown = features.select(
        id_column,
        F.concat_ws(
            " ",
            F.concat(F.lit('"'), F.col("title"), F.lit('"')),
            F.concat(F.lit("by "), F.array_join("artist_keys", ", ")),
            F.concat(
                F.lit("("), F.coalesce(F.col("first_year").cast("string"), F.lit("?")), F.lit(")")
            ),
        ).alias("_shown"),
    )
    original = shown.where(F.col(id_column) == work[f"original_{id_column}"]).first()
    lines = [
        f'  example work      {work[group_column]} "{work["title"]}"'
        f" (ISWC {work['iswc'] or 'unknown'}): {work['n_recording_groups']} recording groups",
        f"    {ORIGINAL:<20} {original['_shown'] if original else work[f'original_{id_column}']}",
    ]
    versions = (
        rel.where(F.col(group_column) == best[group_column])
        .join(shown, F.col(f"src_{id_column}") == F.col(id_column))
        .orderBy("relation_type", f"src_{id_column}")
        .collect()
    )
    for v in versions:
        p = "p n/a" if v["confidence"] is None else f"p {v['confidence']:.3f}"
        lines.append(f"    {v['relation_type']:<20} {v['_shown']}, {p}: {'; '.join(v['evidence'])}")
    return lines


def relation_figures(
    outputs: Mapping[str, DataFrame],
    golden: DataFrame,
    features: DataFrame,
    *,
    id_column: str,
    group_column: str,
    truth_column: str,
    kind_column: str | None,
    base_kind: str | None,
    relations: Mapping[str, str],
) -> dict[str, Any]:
    """How right the originals and relation types are, against the golden kinds.

    A record's expected role is ORIGINAL for the base kind, else
    ``relations[kind]``; its predicted role is ORIGINAL for a work's original,
    else its relation's type. ``relation_accuracy``: the share of records in
    golden works of two or more records whose predicted role is the expected
    one. ``cover_precision``: the share of predicted COVER_OF relations whose
    two records are one golden work and whose version is a golden cover.
    """
    if kind_column is None or base_kind is None or not relations:
        return {}
    expected = F.when(F.col(kind_column) == base_kind, F.lit(ORIGINAL))
    for kind, relation in relations.items():
        expected = expected.when(F.col(kind_column) == kind, F.lit(relation))
    sized = golden.withColumn(
        "_work_size", F.count("*").over(Window.partitionBy(truth_column))
    ).withColumn("_expected", expected)
    rel = outputs["version_relations"]
    predicted = (
        outputs["groups"]
        .select(id_column, "is_original")
        .join(
            rel.select(F.col(f"src_{id_column}").alias(id_column), "relation_type"),
            id_column,
            "left",
        )
        .select(
            id_column,
            F.when(F.col("is_original"), F.lit(ORIGINAL))
            .otherwise(F.col("relation_type"))
            .alias("_predicted"),
        )
    )
    judged = sized.where("_work_size >= 2").join(predicted, id_column)
    counts = judged.agg(
        F.count("*").alias("n"),
        F.sum((F.col("_predicted") == F.col("_expected")).cast("long")).alias("right"),
    ).first()
    truth = golden.select(id_column, truth_column, kind_column)
    covers = (
        rel.where(F.col("relation_type") == "COVER_OF")
        .join(
            truth.toDF("_src", "_src_truth", "_src_kind"),
            F.col(f"src_{id_column}") == F.col("_src"),
        )
        .join(
            truth.toDF("_dst", "_dst_truth", "_dst_kind"),
            F.col(f"dst_{id_column}") == F.col("_dst"),
        )
        .agg(
            F.count("*").alias("n"),
            F.sum(
                (
                    (F.col("_src_truth") == F.col("_dst_truth"))
                    & (F.col("_src_kind") == _kind_of(relations, "COVER_OF"))
                ).cast("long")
            ).alias("right"),
        )
        .first()
    )
    cover_kind_total = golden.where(F.col(kind_column) == _kind_of(relations, "COVER_OF")).count()
    return {
        "relation_accuracy": ratio(int(counts["right"] or 0), int(counts["n"])),
        "n_relation_records": int(counts["n"]),
        "cover_precision": ratio(int(covers["right"] or 0), int(covers["n"])),
        "cover_recall": ratio(int(covers["right"] or 0), cover_kind_total),
        "n_cover_relations": int(covers["n"]),
        "cover_f1": f1(
            ratio(int(covers["right"] or 0), int(covers["n"])),
            ratio(int(covers["right"] or 0), cover_kind_total),
        ),
    }


def _kind_of(relations: Mapping[str, str], relation: str) -> str:
    """The golden kind whose records carry ``relation`` (the first one configured)."""
    for kind, rel in relations.items():
        if rel == relation:
            return kind
    return relation
