"""Release model: which catalog entries are the same album, CD or EP.

Comparisons and blocking rules are code; thresholds and paths are config.
Each comparison lists its levels in order (null, exact, graded, else), the way
Splink's own library does. The input is the RELEASE_FEATURES table. Every
level renders in Spark's and DuckDB's dialect alike (Splink's library levels,
or Spark SQL that sqlglot translates, ``base_dialect_str="spark"``): the model
is trained on DuckDB in the driver and scored on Spark with the same code
re-rendered (splink_models.dialect).

Which parameters are learned and which are fixed, and why. EM learns the
title, the artists, the track list (but one level), the year, the track count
and the UPC: they vary between the copies of one release in ways EM sees
inside title, artist and track-list blocks. It cannot learn the fields that
separate a release from its siblings, because the discs of a box set, the
volumes of a series and the editions of an album share title, artist, year
and most tracks, and look like "matches" inside any of those blocks. So:

- disc/volume numbers and the years a title names have a fixed m (a release
  carries one number: a different one is almost never a copy, about -13 bits)
  and a learned u;
- the edition (deluxe, remaster, regional, ...) has m and u fixed: a mismatch
  is decisive (about -15 bits for an edition on one side only, -19 for two
  different ones), and "both deluxe" is barely evidence (u from random pairs
  would make it +11 bits);
- a partial track-list overlap (Jaccard 0.4-0.7) within one artist's catalog
  has m and u fixed as weak evidence (+1.6 bits): live albums, compilations
  and reissues of one artist share the hits, which random pairs (that almost
  never share an artist) cannot show; between other or unknown artists the
  same overlap stays learned and strong;
- label is weak evidence by design (one label has thousands of releases and
  distributors relabel), m and u fixed.
"""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from splink_models.levels import fixed_m, fixed_mu, jaccard_at_least_sql

ENTITY = "releases"
ID_COLUMN = "release_id"
SOURCE_COLUMN = "source"  # splits the sides when the model links sources (link_only, ...)


def core_title_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="core_title",
        comparison_description="Title without edition words and disc/volume numbers",
        comparison_levels=[
            cll.NullLevel("core_title_key"),
            # the compact key: "Hitch Hiking" = "Hitchhiking", "The Wall" = "Wall"
            cll.ExactMatchLevel("core_title_key", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("core_title", 0.92),
            cll.JaroWinklerLevel("core_title", 0.80),
            cll.ElseLevel(),
        ],
    )


def artists_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="artists",
        comparison_description="Credited artists ('various artists' is no artist)",
        comparison_levels=[
            cll.NullLevel("primary_artist_key"),
            cll.ExactMatchLevel("primary_artist_key", term_frequency_adjustments=True),
            cll.ArrayIntersectLevel("artist_keys", 1),
            # "Villa-Lobos, Heitor" / "Heitor Villa-Lobos", "Wings" / "Paul McCartney & Wings"
            cll.ArraySubsetLevel("artist_tokens"),
            cll.JaroWinklerLevel("primary_artist", 0.88),
            cll.ElseLevel(),
        ],
    )


# Jaccard thresholds of the track-word sets: one catalog's typo or extra
# bonus track moves the share a little; another album shares almost nothing.
TRACK_SHARES = (0.85, 0.7)
# A partial overlap (this share up to the last threshold) is strong evidence
# between releases of different or unknown artists (two compilations do not
# share half their words by chance), and weak evidence within one artist's
# catalog, where live albums, compilations and box sets share the hits: u
# from random pairs (almost never the same artist) cannot see that, so the
# same-artist level has a fixed m and u.
PARTIAL_TRACK_SHARE = 0.4
SAME_ARTIST_PARTIAL_M_U = (0.03, 0.01)


def tracks_comparison() -> cl.CustomComparison:
    partial = jaccard_at_least_sql("track_tokens", PARTIAL_TRACK_SHARE)
    m, u = SAME_ARTIST_PARTIAL_M_U
    levels = [
        cll.CustomLevel(
            "track_tokens_l IS NULL OR track_tokens_r IS NULL",
            label_for_charts="track_tokens is NULL",
        ).configure(is_null_level=True)
    ]
    for share in TRACK_SHARES:
        levels.append(
            cll.CustomLevel(
                jaccard_at_least_sql("track_tokens", share),
                label_for_charts=f"Track words Jaccard >= {share}",
                base_dialect_str="spark",
            )
        )
    levels += [
        cll.CustomLevel(
            f"{partial} AND NOT coalesce(primary_artist_key_l = primary_artist_key_r, false)",
            label_for_charts=f"Track words Jaccard >= {PARTIAL_TRACK_SHARE}, other or no artist",
            base_dialect_str="spark",
        ),
        fixed_mu(
            cll.CustomLevel(
                partial,
                label_for_charts=f"Track words Jaccard >= {PARTIAL_TRACK_SHARE}, same artist",
                base_dialect_str="spark",
            ),
            m=m,
            u=u,
        ),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(
        output_column_name="tracks",
        comparison_description="Words of the track titles, as sets (Jaccard)",
        comparison_levels=levels,
    )


# m of the numbering levels (same numbers, different numbers): a release
# carries one disc/volume number; the m is known, not learned (see docstring).
NUMBERING_M_PROBABILITIES = (0.9999, 0.0001)


def numbering_comparison() -> cl.CustomComparison:
    """Disc, volume and the title's years: a different one is another release of the set."""
    same, different = NUMBERING_M_PROBABILITIES
    return cl.CustomComparison(
        output_column_name="numbering",
        comparison_description="Disc and volume numbers and years named in the title",
        comparison_levels=[
            cll.CustomLevel(
                "(disc_number_l IS NULL OR disc_number_r IS NULL) "
                "AND (volume_number_l IS NULL OR volume_number_r IS NULL) "
                "AND (title_years_l IS NULL OR title_years_r IS NULL)",
                label_for_charts="No number named on both sides",
            ).configure(is_null_level=True),
            fixed_m(
                cll.CustomLevel(
                    "coalesce(disc_number_l = disc_number_r, true) "
                    "AND coalesce(volume_number_l = volume_number_r, true) "
                    # size(null) is -1 on Spark, null on DuckDB: test the nulls first
                    "AND (title_years_l IS NULL OR title_years_r IS NULL "
                    "OR size(array_intersect(title_years_l, title_years_r)) > 0)",
                    label_for_charts="Same disc, volume and title years",
                    base_dialect_str="spark",
                ),
                same,
            ),
            fixed_m(cll.ElseLevel(), different),
        ],
    )


# (m, u) of the edition levels (same edition, an edition on one side only,
# two different editions), all fixed: the deluxe edition, the remaster and the
# Japan pressing of an album are releases of their own that share its title,
# artist and most of its tracks, so a mismatch must outweigh all of those; and
# u from random pairs would make "both deluxe" strong evidence, which it is not.
# An exact title, artist and track list add up to about +34 bits: a mismatch
# costs about 25 (one side) and 29 bits (two editions), so it decides.
EDITION_M_U = ((0.95, 0.50), (1e-8, 0.45), (1e-10, 0.05))


def edition_comparison() -> cl.CustomComparison:
    """Deluxe, remaster, regional, ...: a mismatch is decisive, whatever the tracks say."""
    (same_m, same_u), (one_m, one_u), (other_m, other_u) = EDITION_M_U
    return cl.CustomComparison(
        output_column_name="edition",
        comparison_description="Edition named in the title (deluxe, remaster, regional, ...)",
        comparison_levels=[
            cll.CustomLevel(
                "edition_l IS NULL AND edition_r IS NULL",
                label_for_charts="No edition named on either side",
            ).configure(is_null_level=True),
            fixed_mu(cll.ExactMatchLevel("edition"), m=same_m, u=same_u),
            fixed_mu(
                cll.CustomLevel(
                    "edition_l IS NULL OR edition_r IS NULL",
                    label_for_charts="An edition named on one side only",
                ),
                m=one_m,
                u=one_u,
            ),
            fixed_mu(cll.ElseLevel(), m=other_m, u=other_u),
        ],
    )


def year_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="release_year",
        comparison_description="Release year (re-issues and catalog errors move it)",
        comparison_levels=[
            cll.NullLevel("release_year"),
            cll.ExactMatchLevel("release_year"),
            cll.AbsoluteDifferenceLevel("release_year", 1),
            cll.ElseLevel(),
        ],
    )


def track_count_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="track_count",
        comparison_description="Number of tracks",
        comparison_levels=[
            cll.NullLevel("track_count"),
            cll.ExactMatchLevel("track_count"),
            cll.AbsoluteDifferenceLevel("track_count", 2),
            cll.ElseLevel(),
        ],
    )


# m of "two different barcodes": a barcode names one product, so two copies of one
# release carry the same one (UPC-A and EAN-13 spellings are normalised to 13
# digits); a different barcode is another pressing or edition, decisive like an
# edition mismatch. Fixed: EM inside title blocks would learn it as nearly free.
DIFFERENT_UPC_M = 1e-6


def upc_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="upc",
        comparison_description="UPC/EAN barcode (13 digits, check digit valid)",
        comparison_levels=[
            cll.NullLevel("upc"),
            cll.ExactMatchLevel("upc"),
            fixed_m(cll.ElseLevel(), DIFFERENT_UPC_M),
        ],
    )


def label_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="label",
        comparison_description="Record label (weak: one label, thousands of releases)",
        comparison_levels=[
            cll.NullLevel("label_norm"),
            fixed_mu(cll.ExactMatchLevel("label_norm"), m=0.60, u=0.05),
            fixed_mu(cll.JaroWinklerLevel("label_norm", 0.90), m=0.10, u=0.05),
            fixed_mu(cll.ElseLevel(), m=0.30, u=0.90),
        ],
    )


def blocking_rules() -> list:
    """Candidate pairs: same barcode, same title, same artist and initial, or similar tracks.

    Not the artist alone: a prolific artist (a composer, a label's house band)
    has thousands of releases, a cartesian block; the artist with the title's
    initial keeps typos after the first letter. The track bands (MinHash of
    the track words, features.releases.track_band) find the copies whose
    title and artist are both spelt differently or missing ("Various
    Artists"): each band pairs releases whose word sets have Jaccard J with
    probability J^2.
    """
    return [
        block_on("upc"),
        block_on("core_title_key"),
        block_on("primary_artist_key", "substr(core_title_key, 1, 1)"),
        block_on("track_band_1"),
        block_on("track_band_2"),
        block_on("track_band_3"),
    ]


def settings(
    link_type: str = "dedupe_only", probability_two_random_records_match: float = 1e-4
) -> SettingsCreator:
    """The model's settings; ``link_type`` other than dedupe_only links the sources.

    Linking, the source column tells the sides apart (Splink's source dataset
    column), so pairs within one source are never generated for link_only.
    """
    linking = {} if link_type == "dedupe_only" else {"source_dataset_column_name": SOURCE_COLUMN}
    return SettingsCreator(
        link_type=link_type,
        **linking,
        unique_id_column_name=ID_COLUMN,
        probability_two_random_records_match=probability_two_random_records_match,
        comparisons=[
            upc_comparison(),
            core_title_comparison(),
            artists_comparison(),
            tracks_comparison(),
            numbering_comparison(),
            edition_comparison(),
            track_count_comparison(),
            year_comparison(),
            label_comparison(),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
        max_iterations=20,
        em_convergence=0.001,
    )
