"""Incremental resolution: score a delivery's records only, re-cluster only what they touch.

A delivery adds, changes and deletes records of a catalog already resolved.
:func:`predict_delivery` scores the pairs with a delivered record on one
side, as a full ``predict`` over the new catalog would score them (Splink's
``predict_within`` and ``predict_between``, with the catalog's term
frequencies registered); :func:`touched_records` finds the records whose
group can change, closed under accepted edges, so clustering them alone
gives the partition a full clustering would.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from splink import Linker
from splink.internals.blocking import blocking_rule_to_obj

from splink_models.clustering import broadcast_if_small, materialise
from splink_models.model import TrainedModel, scoring_columns, scoring_settings
from splink_models.spark_backend import (
    model_inputs,
    register_term_frequencies,
    spark_api,
    term_frequency_tables,
)

logger = logging.getLogger(__name__)


def predict_delivery(
    spark: SparkSession,
    catalog: DataFrame,
    delivered: DataFrame,
    model: TrainedModel,
    tf_tables: dict[str, DataFrame],
) -> DataFrame:
    """Scored pairs with a delivered record on at least one side (Splink's columns, ids ordered).

    ``catalog``: the feature table after the delivery; ``delivered``: (id) of
    its records the delivery added or changed. Within the delivered records
    and between them and the rest, with the blocking rules and term
    frequencies of the whole catalog (``tf_tables``:
    :func:`term_frequency_tables` of ``catalog``): a pair scores what a full
    predict would give it. The sides come back ordered (``<id>_l`` <
    ``<id>_r``) as a dedupe predict orders them; the model's comparisons are
    symmetric.
    """
    # Splink keeps the gamma_ (level) columns only with the matching columns; on a
    # delivery's pairs the extra width costs little (a full predict avoids it:
    # scoring.predict_with_levels)
    settings = {**scoring_settings(model.settings), "retain_matching_columns": True}
    idc = settings["unique_id_column_name"]
    catalog = catalog.select(*scoring_columns(settings, catalog.columns))
    ids = F.broadcast(delivered.select(idc).distinct())
    new = materialise(catalog.join(ids, idc, "left_semi"))
    rest = catalog.join(ids, idc, "left_anti")
    partners = blocking_partners(rest, new, settings)
    if partners is not None:  # else some rule has no equality to narrow the catalog by
        rest = materialise(partners)
    db_api = spark_api(spark)
    inputs = model_inputs(catalog, settings)
    linker = Linker(
        db_api.register(inputs)
        if isinstance(inputs, DataFrame)
        else [db_api.register(f) for f in inputs],
        settings,
        log_level=None,
    )
    register_term_frequencies(linker, db_api, tf_tables)
    frames = {"new": db_api.register(new), "rest": db_api.register(rest)}
    within = linker.inference.predict_within(frames["new"], warning_mode="never")
    between = linker.inference.predict_between(frames["new"], frames["rest"], warning_mode="never")
    pairs = within.as_spark_dataframe().unionByName(
        between.as_spark_dataframe(), allowMissingColumns=True
    )
    left, right = F.col(f"{idc}_l"), F.col(f"{idc}_r")
    swap = left > right
    return pairs.select(
        *[c for c in pairs.columns if c not in (f"{idc}_l", f"{idc}_r")],
        F.when(swap, right).otherwise(left).alias(f"{idc}_l"),
        F.when(swap, left).otherwise(right).alias(f"{idc}_r"),
    )


def link_delivery_scorer(
    spark: SparkSession, sides: Sequence[DataFrame], model: TrainedModel
) -> Callable[[DataFrame, DataFrame | None], DataFrame]:
    """Score a link model's pairs with a delivered record on either side (Splink's columns).

    ``sides``: the model's two inputs after the delivery (e.g. videos and the
    tracks of recording groups, in the link view). The returned function
    takes (id) of each side's records that are new or changed (the second may
    be None: none) and scores the delivered records of the first side against
    all of the second, and the rest of the first against the delivered of the
    second, with the term frequencies of both whole sides (each table
    computed once, here, and registered): a pair scores what a full predict
    over ``sides`` gives it.
    """
    # the gamma_ (level) columns come only with the matching columns (see predict_delivery)
    settings = {**scoring_settings(model.settings), "retain_matching_columns": True}
    idc = settings["unique_id_column_name"]
    first, second = [f.select(*scoring_columns(settings, f.columns)) for f in sides]
    db_api = spark_api(spark)
    linker = Linker([db_api.register(first), db_api.register(second)], settings, log_level=None)
    register_term_frequencies(linker, db_api, term_frequency_tables([first, second], settings))

    def between(left: DataFrame, right: DataFrame) -> DataFrame:
        partners = blocking_partners(right, left, settings)
        if partners is not None:
            right = materialise(partners)
        scored = linker.inference.predict_between(
            db_api.register(left), db_api.register(right), warning_mode="never"
        )
        return scored.as_spark_dataframe()

    def score(delivered_first: DataFrame, delivered_second: DataFrame | None) -> DataFrame:
        ids = F.broadcast(delivered_first.select(idc).distinct())
        pairs = between(materialise(first.join(ids, idc, "left_semi")), second)
        if delivered_second is not None:
            other = F.broadcast(delivered_second.select(idc).distinct())
            rest = first.join(ids, idc, "left_anti")
            more = between(rest, materialise(second.join(other, idc, "left_semi")))
            pairs = pairs.unionByName(more, allowMissingColumns=True)
        return pairs

    return score


def blocking_key_pairs(settings: dict) -> list[tuple[list[str], list[str]]] | None:
    """Each prediction rule's equalities as (left-side keys, right-side keys), as SQL.

    ``l.title_song_key = r.core_title_key AND l.title_artist_key =
    r.primary_artist_key`` -> (["title_song_key", "title_artist_key"],
    ["core_title_key", "primary_artist_key"]), read by Splink's own parser
    (what it joins on); any further condition of a rule only removes pairs.
    None when there is no rule, or some rule has no equality or explodes
    arrays: then no key bounds the records it can pair.
    """
    out = []
    for rule in settings.get("blocking_rules_to_generate_predictions") or []:
        spec = rule if isinstance(rule, dict) else {"blocking_rule": str(rule)}
        if spec.get("arrays_to_explode"):
            return None
        dialect = spec.get("sql_dialect") or settings.get("sql_dialect", "spark")
        keys = blocking_rule_to_obj({**spec, "sql_dialect": dialect})._equi_join_conditions
        if not keys:
            return None
        out.append(([left for left, _ in keys], [right for _, right in keys]))
    return out or None  # no rule: Splink pairs every record with every other


def blocking_partners(rest: DataFrame, new: DataFrame, settings: dict) -> DataFrame | None:
    """The rows of ``rest`` that a prediction rule can pair with a row of ``new``.

    A delivery's records pair with few catalog records; without this,
    ``predict_between`` prepares and blocks every catalog row (all 1M at
    catalog scale) for a few thousand delivered ones. A row is kept when its
    keys of some rule equal a delivered row's, in either orientation (a rule
    may compare different columns on its two sides): one pass over ``rest``
    probing a broadcast set of the delivered keys per rule. Pairs between
    ``new`` and the kept rows are exactly those between ``new`` and ``rest``.
    None when the rules have no keys to narrow by (:func:`blocking_key_pairs`).
    """
    rules = blocking_key_pairs(settings)
    if rules is None:
        return None
    probes = []
    for left, right in rules:
        probes.append((right, left))  # delivered on the left, catalog on the right
        if left != right:
            probes.append((left, right))  # and the other way round
    hits = []
    for j, (rest_keys, new_keys) in enumerate(probes):
        names = [f"__key{j}_{i}" for i in range(len(rest_keys))]
        keys = (
            new.select(*[F.expr(k).alias(n) for k, n in zip(new_keys, names, strict=True)])
            .dropna()
            .distinct()
            .withColumn(f"__hit{j}", F.lit(True))
        )
        rest = (
            rest.withColumns({n: F.expr(k) for k, n in zip(rest_keys, names, strict=True)})
            .join(F.broadcast(keys), names, "left")
            .drop(*names)
        )
        hits.append(f"__hit{j}")
    return rest.where(F.coalesce(*hits)).drop(*hits)


def _tf_levels(settings: dict) -> dict[str, tuple[bool, float]]:
    """TF column -> (every level it adjusts is an exact match on it, the largest weight)."""
    out: dict[str, tuple[bool, float]] = {}
    for c in settings["comparisons"]:
        for lv in c["comparison_levels"]:
            column = lv.get("tf_adjustment_column")
            if not column:
                continue
            sql = re.sub(r"[\s`\"]", "", lv["sql_condition"])
            exact = sql == f"{column}_l={column}_r"
            weight = float(lv.get("tf_adjustment_weight") or 1.0)
            was = out.get(column, (True, 0.0))
            out[column] = (was[0] and exact, max(was[1], weight))
    return out


def pair_shifts(
    pairs: DataFrame,
    before: DataFrame,
    after: DataFrame,
    applied: DataFrame,
    settings: dict,
    allowance: float = 0.0,
) -> DataFrame:
    """``pairs`` (``<id>_l``, ``<id>_r``, match_weight, any more) with ``_shift``: how far a
    rebuild over ``after`` could move each one's match weight, in bits.

    A term-frequency adjustment of weight ``w`` reads the share of a column's
    non-null values that equal a side's value. A delivery changes the count
    of every value its records (``applied``: ids added, changed or deleted)
    held before or hold now, and each column's non-null total, so a pair's
    match weight moves by at most, per TF column, ``w x |log2(total
    after / total before)|``, plus ``w x |log2(count after / count before)|``
    of its value when that value's count changed (the larger side's, where an
    adjusted level is not an exact match on the column). ``allowance``: how
    far earlier deliveries may already have left a kept pair's weight from its
    rebuild's (added to every pair's shift). ``before`` and ``after`` need
    only the id and the TF columns, and are read several times: give narrow,
    materialised frames.
    """
    band, moves = _frequency_moves(before, after, applied, settings)
    return _with_shifts(pairs, settings, band + allowance, moves)


def _frequency_moves(
    before: DataFrame, after: DataFrame, applied: DataFrame, settings: dict
) -> tuple[float, list[tuple[bool, float, DataFrame]]]:
    """(the shift every pair gets from the columns' totals, and per TF column (its adjusted
    levels are exact matches on it, their largest weight, (id, ``_v``, ``_s``) of the
    records left as they were that hold a value whose count moved by ``_s`` bits))."""
    idc = settings["unique_id_column_name"]
    ids = F.broadcast(applied.select(idc).distinct())
    tf = _tf_levels(settings)
    totals = {
        name: frame.agg(*[F.count(c).alias(c) for c in tf] or [F.lit(0)]).first()
        for name, frame in (("before", before), ("after", after))
    }
    band = sum(
        weight * abs(math.log2(max(totals["after"][c], 1) / max(totals["before"][c], 1)))
        for c, (_, weight) in tf.items()
    )
    moves = []
    for column, (exact, weight) in tf.items():
        values = (
            before.join(ids, idc, "left_semi")
            .select(column)
            .unionByName(after.join(ids, idc, "left_semi").select(column))
            .where(F.col(column).isNotNull())
            .distinct()
        )
        counts = [
            frame.join(F.broadcast(values), column, "left_semi").groupBy(column).count()
            for frame in (before, after)
        ]
        # a value that appears or disappears: as far as a shift can go (always rescored)
        moved = (
            counts[0]
            .toDF(column, "_n0")
            .join(counts[1].toDF(column, "_n1"), column, "full")
            .select(
                column,
                F.coalesce(F.abs(F.log2(F.col("_n1") / F.col("_n0"))), F.lit(1e9)).alias("_s"),
            )
        )
        holders = materialise(
            after.join(ids, idc, "left_anti")
            .join(F.broadcast(moved), column)
            .select(idc, F.col(column).alias("_v"), "_s")
        )
        moves.append((exact, weight, holders))
    return band, moves


def _with_shifts(
    pairs: DataFrame, settings: dict, base: float, moves: list[tuple[bool, float, DataFrame]]
) -> DataFrame:
    """``pairs`` with ``_shift``: ``base`` plus, per move (:func:`_frequency_moves`), its
    weight x its sides' value's shift."""
    idc = settings["unique_id_column_name"]
    keys = [f"{idc}_l", f"{idc}_r"]
    shifts = pairs.withColumn("_shift", F.lit(base))
    for exact, weight, holders in moves:
        side = {
            s: F.broadcast(holders.toDF(keys[i], f"_v_{s}", f"_s_{s}")) for i, s in enumerate("lr")
        }
        joined = shifts.join(side["l"], keys[0], "left").join(side["r"], keys[1], "left")
        if exact:  # the adjustment applies only when both sides hold the value
            own = F.when(F.col("_v_l") == F.col("_v_r"), F.col("_s_l"))
        else:
            own = F.greatest(F.col("_s_l"), F.col("_s_r"))
        shifts = joined.withColumn(
            "_shift", F.col("_shift") + weight * F.coalesce(own, F.lit(0.0))
        ).drop("_v_l", "_s_l", "_v_r", "_s_r")
    return shifts


def frequency_shifted_pairs(
    pairs: DataFrame,
    before: DataFrame,
    after: DataFrame,
    applied: DataFrame,
    settings: dict,
    levels: Sequence[float],
    allowance: float = 0.0,
) -> tuple[DataFrame, float]:
    """The kept ``pairs`` whose score a full rebuild over ``after`` could move across a level.

    A pair farther than its shift (:func:`pair_shifts`) from every
    clustering level (``levels``: probabilities) crosses none and is left;
    the others are returned (with the columns of ``pairs``), to be scored
    again. Returns the pairs and the largest shift a pair left here may have
    (the next delivery's allowance, added to this one's): at least the shift
    every pair gets. One pass over ``pairs``, keeping only the pairs near a
    level or holding a value whose count moved, not every pair's shift.
    """
    band, moves = _frequency_moves(before, after, applied, settings)
    base = band + allowance
    shifts = _with_shifts(pairs, settings, base, moves)
    near = F.lit(False)
    for p in levels:
        near = near | (F.abs(F.col("match_weight") - weight_of(p)) <= F.col("_shift") + 1e-9)
    # a pair left with no more than ``base`` is accounted for by ``base`` itself
    kept = materialise(
        shifts.withColumn("_near", near).where(F.col("_near") | (F.col("_shift") > base))
    )
    left = kept.where(~F.col("_near")).agg(F.max("_shift")).first()[0]
    drift = max(base, float(left)) if left is not None else base
    return kept.where("_near").drop("_shift", "_near"), drift


def weight_of(probability: float) -> float:
    """The match weight (bits) of a match probability."""
    return math.log2(probability / (1 - probability))


def crosses(before: Column, after: Column, levels: Sequence[float]) -> Column:
    """Whether a probability moving from ``before`` to ``after`` crosses one of ``levels``."""
    out = F.lit(False)
    for p in levels:
        out = out | ((before >= p) != (after >= p))
    return out


def touched_records(
    accepted: DataFrame, groups: DataFrame, seeds: DataFrame, *, max_rounds: int = 50
) -> DataFrame:
    """(node) of every record whose group a delivery can change.

    ``accepted``: the accepted edges (node_l, node_r) after the delivery;
    ``groups``: (node, group) as published, less the deleted records;
    ``seeds``: (node) delivered (new or changed) or left behind by a deleted
    or changed one (the members of its old group). The seeds' groups, and
    every group an accepted edge joins to them, round after round until no
    edge leaves the set: the set is then a union of whole components of the
    accepted graph (a guard-split group comes with its siblings), so
    clustering it alone gives what clustering everything would.
    """
    seeds = seeds.select("node").distinct()
    touched = materialise(seeds.join(groups, "node").select("group").distinct())
    for _ in range(max_rounds):
        nodes = materialise(
            groups.join(F.broadcast(touched), "group").select("node").unionByName(seeds).distinct()
        )
        inside = F.broadcast(nodes.withColumn("_in", F.lit(True)))
        crossing = (
            accepted.join(inside.toDF("node_l", "in_l"), "node_l", "left")
            .join(inside.toDF("node_r", "in_r"), "node_r", "left")
            .where(F.col("in_l").isNull() != F.col("in_r").isNull())
            .select(
                F.when(F.col("in_l").isNull(), F.col("node_l"))
                .otherwise(F.col("node_r"))
                .alias("node")
            )
        )
        # the records just outside the set: few, so the groups are not shuffled for them
        outside = materialise(crossing.distinct())
        reached = groups.join(broadcast_if_small(outside, outside.count()), "node")
        more = reached.select("group").distinct().join(touched, "group", "left_anti")
        if more.isEmpty():
            return nodes
        touched = materialise(touched.unionByName(more))
    raise RuntimeError(f"touched_records: still growing after {max_rounds} rounds")
