"""Works model (SongDNA): which recording groups are versions of one song.

The input is WORK_FEATURES, one row per recording group. Unlike the
recordings model, a version difference is no evidence against: a live take,
a remix and a cover of a song are the same work. So is a different performer
(covers are the point), which is why the artist comparison only ever speaks
for a match: "no artist in common" is its null level, weight 0.

What does speak against: two different ISWCs, two different writer lists
(both with m fixed, see DIFFERENT_CODE_M), a number that differs between the
titles ("Part 1" / "Part 2": m and u fixed, splink_models.levels), and a
title that shares no variant. Duration is weak evidence (m and u fixed:
covers and live takes run longer or shorter, unrelated songs of one title
anything). Every level renders in Spark's and DuckDB's dialect alike (Spark
SQL that sqlglot translates), so the model trains on DuckDB in the driver.
"""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from splink_models.levels import (
    fixed_m,
    fixed_mu,
    jaccard_at_least_sql,
    numbers_differ_level,
    overlap_sql,
)

ENTITY = "works"
ID_COLUMN = "recording_group_id"
SOURCE_COLUMN = "source"


# m of "different ISWCs" and "no writer in common": how often one work's
# recordings disagree on them, i.e. the rate of wrong codes in catalog feeds
# (about 1-2%). Fixed: inside title blocks EM sees unrelated songs of one
# title as "matches" and would learn that a different ISWC costs little.
DIFFERENT_CODE_M = 0.02


def iswc_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="iswc",
        comparison_description="ISWC, the work's registry code (any of the group's)",
        comparison_levels=[
            cll.NullLevel("iswc"),
            cll.CustomLevel(
                overlap_sql("iswcs"), label_for_charts="An ISWC in common", base_dialect_str="spark"
            ),
            fixed_m(cll.ElseLevel(), DIFFERENT_CODE_M),
        ],
    )


def title_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="title",
        comparison_description="Work title: core title, any title variant, similarity, words",
        comparison_levels=[
            cll.CustomLevel(
                "title_variants_l IS NULL OR title_variants_r IS NULL",
                label_for_charts="title is NULL",
            ).configure(is_null_level=True),
            numbers_differ_level(),
            cll.ExactMatchLevel("core_title", term_frequency_adjustments=True),
            cll.CustomLevel(
                overlap_sql("title_variants"),
                label_for_charts="A title variant in common (medley part, 'theme from', ...)",
                base_dialect_str="spark",
            ),
            cll.JaroWinklerLevel("core_title", 0.92),
            cll.DamerauLevenshteinLevel("core_title", 2),
            cll.CustomLevel(
                "least(size(title_tokens_l), size(title_tokens_r)) >= 2 AND "
                "size(array_intersect(title_tokens_l, title_tokens_r)) = "
                "least(size(title_tokens_l), size(title_tokens_r))",
                label_for_charts="Every word of one title in the other (two words or more)",
                base_dialect_str="spark",
            ),
            cll.CustomLevel(
                jaccard_at_least_sql("title_tokens", 0.6),
                label_for_charts="Most title words in common",
                base_dialect_str="spark",
            ),
            cll.JaroWinklerLevel("core_title", 0.80),
            cll.ElseLevel(),
        ],
    )


def writers_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="writers",
        comparison_description="Writers (credited on its tracks, or a works feed's for its ISWC)",
        comparison_levels=[
            cll.NullLevel("writer_keys"),
            cll.CustomLevel(
                "writer_keys_l = writer_keys_r",
                label_for_charts="The same writers (a prolific writer alone says less)",
            ),
            cll.CustomLevel(
                overlap_sql("writer_keys"),
                label_for_charts="A writer in common",
                base_dialect_str="spark",
            ),
            cll.CustomLevel(
                overlap_sql("writer_initial_keys"),
                label_for_charts="A writer's initial and last name in common ('M. Martin')",
                base_dialect_str="spark",
            ),
            fixed_m(cll.ElseLevel(), DIFFERENT_CODE_M),
        ],
    )


def performer_comparison() -> cl.CustomComparison:
    """The same performer speaks for one work; another performer says nothing (a cover).

    The "different performers" level has m = u fixed: weight 0, whatever EM
    would make of it (in any block most pairs of one work share a performer,
    so EM would learn that a cover is unlikely).
    """
    return cl.CustomComparison(
        output_column_name="performer",
        comparison_description="Performers: shared ones count, different ones do not count against",
        comparison_levels=[
            cll.CustomLevel(
                "artist_keys_l IS NULL OR artist_keys_r IS NULL",
                label_for_charts="performer is NULL",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("primary_artist_key", term_frequency_adjustments=True),
            cll.CustomLevel(
                overlap_sql("artist_keys"),
                label_for_charts="A performer in common",
                base_dialect_str="spark",
            ),
            cll.JaroWinklerLevel("primary_artist_key", 0.9),
            fixed_mu(cll.ElseLevel(), m=0.5, u=0.5),
        ],
    )


def duration_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="duration",
        comparison_description="Duration (weak: versions run longer or shorter)",
        comparison_levels=[
            cll.NullLevel("duration_s"),
            fixed_mu(cll.AbsoluteDifferenceLevel("duration_s", 15), m=0.45, u=0.15),
            fixed_mu(cll.AbsoluteDifferenceLevel("duration_s", 60), m=0.40, u=0.35),
            fixed_mu(cll.ElseLevel(), m=0.15, u=0.50),
        ],
    )


def blocking_rules() -> list:
    """Candidate pairs: an ISWC, the core title, or any title variant in common.

    The variants (medley parts, "theme from X", a dropped parenthesised
    prefix, a feed's translated title) are exploded, so a retitled cover
    meets its original through the one name they share.
    """
    return [
        block_on("iswcs", arrays_to_explode=["iswcs"]),
        block_on("core_title_key"),
        block_on("title_variants", arrays_to_explode=["title_variants"]),
        # one performer's titles with a typo: the typo leaves one end of the title
        block_on("primary_artist_key", "substr(core_title_key, 1, 3)"),
        block_on("primary_artist_key", "substr(reverse(core_title_key), 1, 3)"),
    ]


def settings(
    probability_two_random_records_match: float = 1e-4, link_type: str = "dedupe_only"
) -> SettingsCreator:
    linking = {} if link_type == "dedupe_only" else {"source_dataset_column_name": SOURCE_COLUMN}
    return SettingsCreator(
        link_type=link_type,
        **linking,
        unique_id_column_name=ID_COLUMN,
        probability_two_random_records_match=probability_two_random_records_match,
        comparisons=[
            iswc_comparison(),
            title_comparison(),
            writers_comparison(),
            performer_comparison(),
            duration_comparison(),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
        max_iterations=20,
        em_convergence=0.001,
    )
