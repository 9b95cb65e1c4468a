"""The training procedure on any backend's linker: prior, u, EM sessions, m from labels.

``training.train`` builds the linker (Spark or DuckDB) and calls these.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from splink import Linker, block_on
from splink.backends.spark import SparkAPI
from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT
from splink.internals.exceptions import EMTrainingException

from features.errors import ResolutionError
from splink_models.model import source_column
from splink_models.spark_backend import with_sources

logger = logging.getLogger(__name__)


# A level no labelled match reached gets this m (before the comparison's m are
# scaled to sum to 1 again): unseen in a few hundred labels is rare, not impossible.
LABEL_M_FLOOR = 1e-3


def estimate_m_from_labels(
    linker: Linker,
    db_api: Any,
    features: DataFrame | Sequence[DataFrame],
    matches: DataFrame,
) -> None:
    """m of every level not fixed by design from labelled matches (Splink's pairwise labels).

    EM inside blocks learns what the block's pairs share (inside artist
    blocks: "same album"), not what a match is; labels say it directly. The
    levels the model fixes (m known from the domain) keep their m. A level no
    labelled match reached gets a small m (LABEL_M_FLOOR) instead of zero,
    whose weight would be minus infinity.
    """
    settings = linker.misc.save_model_to_json()
    id_column = settings["unique_id_column_name"]
    source = source_column(settings)
    labels = matches.select(f"{id_column}_l", f"{id_column}_r").distinct()
    if source is not None:
        labels = with_sources(labels, features, id_column, source)
    n = labels.count()
    if n == 0:
        raise ResolutionError("m from labels: no labelled match found among the features")
    logger.info("m from %d labelled matches", n)
    name = f"__mr_m_labels_{uuid.uuid4().hex[:8]}"
    table = labels if isinstance(db_api, SparkAPI) else labels.toArrow()
    linker.training.estimate_m_from_pairwise_labels(db_api.register(table, table_name=name))
    floored = floor_learned_m(linker.misc.save_model_to_json(), LABEL_M_FLOOR)
    for comparison, trained in zip(
        linker._settings_obj.comparisons, floored["comparisons"], strict=True
    ):
        levels = [lv for lv in trained["comparison_levels"] if not lv.get("is_null_level")]
        for level, values in zip(comparison._comparison_levels_excluding_null, levels, strict=True):
            if not values.get("fix_m_probability"):
                level.m_probability = values["m_probability"]


def floor_learned_m(settings: dict[str, Any], floor: float) -> dict[str, Any]:
    """The learned m of each comparison raised to at least ``floor``, then scaled back.

    Levels with a fixed m keep it; the learned ones are scaled to share what
    the fixed ones leave of 1.
    """
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        learned = [lv for lv in levels if not lv.get("fix_m_probability")]
        fixed = [lv for lv in levels if lv.get("fix_m_probability")]
        share = 1.0 - sum(lv.get("m_probability") or 0.0 for lv in fixed)
        if not learned or share <= 0.0:
            continue
        for level in learned:
            level["m_probability"] = max(level.get("m_probability") or 0.0, floor)
        total = sum(level["m_probability"] for level in learned)
        for level in learned:
            level["m_probability"] *= share / total
    return settings


def estimate_parameters(
    linker: Linker,
    *,
    seed: int,
    max_pairs_for_u: int,
    em_blocking: Sequence[Sequence[str]],
    prior_rules: Sequence[str],
    prior_recall: float,
) -> None:
    """The training procedure on any backend's linker (see :func:`train`)."""
    before = linker.misc.save_model_to_json()["probability_two_random_records_match"]
    linker.training.estimate_probability_two_random_records_match(
        list(prior_rules), recall=prior_recall
    )
    if not linker.misc.save_model_to_json()["probability_two_random_records_match"]:
        # e.g. ISRC rules on a catalog without ISRCs: a prior of 0 makes every
        # match weight minus infinity; Splink has no public setter for it
        logger.warning(
            "prior rules found no pair (%s): keeping the settings' prior %g",
            " | ".join(prior_rules),
            before,
        )
        linker._settings_obj._probability_two_random_records_match = before
    # One chunk: Splink's probe-and-chunk loop costs a Spark job per chunk per
    # rare level (100 s on a 3k sample) for no better estimate.
    linker.training.estimate_u_using_random_sampling(
        max_pairs=max_pairs_for_u, seed=seed, num_chunks=1, min_count_per_level=None
    )
    for columns in em_blocking:
        logger.info("EM session blocked on %s", ", ".join(columns))
        # Splink 5.0's session takes the comparisons it blocks on out of the
        # linker's own settings before it finds out it has no pairs: put them back
        before_session = linker._settings_obj.core_model_settings.copy()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), estimate_without_term_frequencies=True
            )
        except EMTrainingException:
            # e.g. a catalog without ISRCs: the session has nothing to learn from
            linker._settings_obj.core_model_settings = before_session
            logger.warning("EM session blocked on %s found no pairs: skipped", ", ".join(columns))


def neutralise_untrained_levels(
    linker: Linker, untrained_m: Mapping[str, Mapping[str, float]] | None = None
) -> list[str]:
    """Levels training never reached get a stated m, not Splink's placeholders.

    A level whose m no estimate set (a training sample without records
    that lack an artist never trains "artist found in the title") would score
    with Splink's defaults, a few bits for or against every pair that reaches
    it. Its m comes from ``untrained_m`` (comparison -> level label -> m: a
    model module's ``UNTRAINED_M``, what the domain says when the data cannot)
    when it names the level, else m = u: 0 bits (a u no random pair measured
    either: Splink's default u). The levels are returned and logged.
    """
    untrained_m = untrained_m or {}
    neutralised = []
    for comparison in linker._settings_obj.comparisons:
        stated = untrained_m.get(comparison.output_column_name, {})
        for level in comparison._comparison_levels_excluding_null:
            m, u = level._m_probability, level._u_probability
            if m is not None:  # a learned m with an unseen u keeps Splink's treatment
                continue
            if u is None or u == LEVEL_NOT_OBSERVED_TEXT:
                level.u_probability = u = level.default_u_probability
            level.m_probability = stated.get(level.label_for_charts, u)
            neutralised.append(
                f"{comparison.output_column_name}: {level.label_for_charts} "
                f"(m {level.m_probability:.3g}, u {level.u_probability:.3g})"
            )
    if neutralised:
        logger.warning(
            "not trained (no such pair in the training data): %s", "; ".join(neutralised)
        )
    return neutralised


def share_m(linker: Linker, shared: dict[str, Sequence[str]]) -> None:
    """Levels that say the same thing of a comparison get one m: the sum of their m.

    ``shared`` maps a comparison to level labels (a model module's
    ``SHARED_M_LEVELS``). A level split by another field only to treat the
    parts differently ("exact title, same artist": term frequencies floored;
    "exact title": not) would otherwise keep the share of matches that fall
    in each part as its m: an exact title without the artist (one side has
    none) would weigh log2(0.015 / 0.95) = -6 bits less than an exact title.
    """
    by_name = {c.output_column_name: c for c in linker._settings_obj.comparisons}
    for name, labels in shared.items():
        levels = [
            lv
            for lv in by_name[name]._comparison_levels_excluding_null
            if lv.label_for_charts in labels
        ]
        if len(levels) != len(labels):
            raise ResolutionError(f"{name}: levels {list(labels)} not all in the model")
        total = sum(lv.m_probability for lv in levels)
        for level in levels:
            level.m_probability = total


@dataclass(frozen=True)
class DistinctU:
    """u of some comparisons, sampled among records an identifier says are different entities.

    Splink samples u from random pairs on the assumption that nearly all are
    non-matches. Where an entity stands for many records (a person: one record
    per spelling and artist worked with), random pairs hold matches at the
    prior's rate, and the sampled u of a strong level comes out as prior x m,
    cancelling the prior. Records that carry ``column`` (an identifier unique
    per entity, e.g. an IPI), one per value, are different entities pair by
    pair: u sampled among them is the rate at which two *different* entities
    agree. A model package declares it as ``DISTINCT_U``; ``comparisons`` are
    the output column names whose levels take it. A level not observed among
    those pairs keeps the u its settings fix; below ``min_records`` distinct
    values nothing is changed.
    """

    column: str
    id_column: str
    comparisons: tuple[str, ...]
    min_records: int = 200


def distinct_records(features: DataFrame, spec: DistinctU) -> DataFrame:
    """One record per value of ``spec.column`` (the smallest id), nulls out."""
    first = Window.partitionBy(spec.column).orderBy(spec.id_column)
    return (
        features.where(F.col(spec.column).isNotNull())
        .withColumn("_first", F.row_number().over(first))
        .where("_first = 1")
        .drop("_first")
    )


def apply_distinct_u(
    trainer: Linker, sampler: Linker, spec: DistinctU, *, seed: int, max_pairs: int
) -> dict[str, list[float | None]]:
    """Sample u on ``sampler`` (a linker over ``distinct_records``) and set it on ``trainer``.

    The levels keep ``fix_u_probability``: the u sampling and EM that follow
    leave them as set. Returns the u set per comparison (None: kept).
    """
    for comparison in sampler._settings_obj.comparisons:
        for level in comparison._comparison_levels_excluding_null:
            level._fix_u_probability = False
    sampler.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    sampled = {c.output_column_name: c for c in sampler._settings_obj.comparisons}
    out: dict[str, list[float | None]] = {}
    for comparison in trainer._settings_obj.comparisons:
        if comparison.output_column_name not in spec.comparisons:
            continue
        source = sampled[comparison.output_column_name]._comparison_levels_excluding_null
        out[comparison.output_column_name] = []
        for level, other in zip(comparison._comparison_levels_excluding_null, source, strict=True):
            observed = other._has_estimated_u_values and other._trained_u_median
            u = float(other._trained_u_median) if observed else None
            if u is not None and not level._is_else_level:
                level.u_probability = u
                level._fix_u_probability = True
            out[comparison.output_column_name].append(u)
    return out
