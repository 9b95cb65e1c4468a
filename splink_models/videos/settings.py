"""Music Video Resolution model: which recording's tracks a video shows (link_only).

The two sides are videos and the member tracks of recording groups, both in
the link view of ``features.video_links``. Comparisons that treat the sides
differently (duration: a video runs longer than its audio by its intro and
outro; a cover: performed by the channel, not by the artist its title names)
find the video side through ``is_video`` with :func:`video_side`.

Learned and fixed parameters, and why: EM learns title, artist and ISRC. The
duration and version/kind levels have fixed m, from what official, lyric,
topic and fan videos are known to look like, because inside any title block
EM sees a live video and the studio track as a "match" and learns that a
version mismatch is nearly free (the same trap as in the recordings model).
A title number that differs ("Part 1" / "Part 2") is decisive against, with
m and u fixed, as in the recordings model (splink_models.levels).
"""

from __future__ import annotations

from functools import partial

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from splink_models.levels import fixed_m, fixed_mu, numbers_differ_level

# Spark SQL, which sqlglot carries to DuckDB, so the model
# trains on DuckDB in the driver as the other entities do
_level = partial(cll.CustomLevel, base_dialect_str="spark")

ENTITY = "videos"
ID_COLUMN = "link_id"


def video_side(template: str) -> str:
    """SQL evaluated with the video on one side and the track on the other.

    ``template`` names columns as ``{v}`` (video side) and ``{t}`` (track side)
    suffixes, e.g. ``"duration_s{v} - duration_s{t}"``.
    """
    when_left = template.format(v="_l", t="_r")
    when_right = template.format(v="_r", t="_l")
    return f"(CASE WHEN is_video_l THEN {when_left} ELSE {when_right} END)"


def _overlap(a: str, b: str) -> str:
    """An element in common; false when either array is null (DuckDB has no arrays_overlap)."""
    return f"coalesce(size(array_intersect({a}, {b})) > 0, false)"


# m of "found among the title's parts" levels (title and artist): the share of
# true pairs whose title the parser reads the wrong way round.
PART_LEVEL_M = 0.03


def isrc_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="isrc",
        comparison_description="ISRC (auto-generated uploads carry the audio's)",
        comparison_levels=[cll.NullLevel("isrc"), cll.ExactMatchLevel("isrc"), cll.ElseLevel()],
    )


def title_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="title",
        comparison_description="Song title: the parsed title, or any part of the video title",
        comparison_levels=[
            cll.NullLevel("core_title"),
            numbers_differ_level(),
            cll.ExactMatchLevel("core_title", term_frequency_adjustments=True),
            _level(
                "core_title_key_l = core_title_key_r",
                label_for_charts="Same title ignoring spaces and leading 'the'",
            ),
            # fixed m: EM's blocks rarely hold such a pair, so it would stay untrained
            fixed_m(
                _level(
                    _overlap("title_keys_l", "title_keys_r"),
                    label_for_charts="Track title is one part of the video title",
                ),
                PART_LEVEL_M,
            ),
            cll.DamerauLevenshteinLevel("core_title", 1),
            cll.JaroWinklerLevel("core_title", 0.92),
            cll.JaroWinklerLevel("core_title", 0.80),
            cll.ElseLevel(),
        ],
    )


def artist_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="artist",
        comparison_description="Artist named in the title, the channel, or a title part",
        comparison_levels=[
            _level(
                video_side(
                    "(artist_keys{t} IS NULL OR (artist_keys{v} IS NULL AND performer_keys{v} "
                    "IS NULL AND title_keys{v} IS NULL))"
                ),
                label_for_charts="No artist on one side",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("primary_artist_key", term_frequency_adjustments=True),
            _level(
                _overlap("artist_keys_l", "artist_keys_r"),
                label_for_charts="An artist in common",
            ),
            _level(
                video_side(_overlap("performer_keys{v}", "artist_keys{t}")),
                label_for_charts="Channel is the track's artist",
            ),
            fixed_m(
                _level(
                    video_side(_overlap("part_artist_keys{v}", "artist_keys{t}")),
                    label_for_charts="Track's artist is a part of the video title",
                ),
                PART_LEVEL_M,
            ),
            cll.JaroWinklerLevel("primary_artist", 0.90),
            cll.ElseLevel(),
        ],
    )


# m of the duration levels, video minus audio: lyric, audio, topic and fan
# uploads run the audio's length (within 2 s); official videos add an intro
# and outro, mostly 5-40 s, up to 90 s.
DURATION_M_PROBABILITIES = (0.60, 0.30, 0.07, 0.02, 0.01)


def duration_comparison() -> cl.CustomComparison:
    same, intro, long_intro, shorter, other = DURATION_M_PROBABILITIES
    extra = video_side("duration_s{v} - duration_s{t}")
    return cl.CustomComparison(
        output_column_name="duration",
        comparison_description="Video length minus audio length, in seconds",
        comparison_levels=[
            cll.NullLevel("duration_s"),
            fixed_m(_level(f"abs({extra}) <= 2", label_for_charts="Within 2 s"), same),
            fixed_m(
                _level(f"{extra} > 2 AND {extra} <= 45", label_for_charts="2-45 s longer"),
                intro,
            ),
            fixed_m(
                _level(f"{extra} > 45 AND {extra} <= 120", label_for_charts="45-120 s longer"),
                long_intro,
            ),
            fixed_m(
                _level(f"{extra} < -2 AND {extra} >= -10", label_for_charts="2-10 s shorter"),
                shorter,
            ),
            fixed_m(cll.ElseLevel(), other),
        ],
    )


# m of the version/kind levels: a video about the song that does not play it
# (tutorial, reaction, interview), a cover performed by someone other than the
# track's artist, the same version, original vs a version, two versions.
# A version mismatch must outweigh an exact title and artist (about +24 bits)
# less the prior (about -14): at 2e-4 a live video still reached a studio
# recording at p 0.90-0.97, so a mismatch now costs about 16-20 bits.
KIND_M_PROBABILITIES = (0.00001, 0.00001, 0.999977, 0.000002, 0.000001)


def kind_comparison() -> cl.CustomComparison:
    """Version (live, remix, ...) and covers: a mismatch is decisive."""
    not_a_performance, cover_by_other, same, original_vs_version, other = KIND_M_PROBABILITIES
    cover_by_someone_else = video_side(
        f"(video_kind{{v}} = 'cover' AND NOT {_overlap('performer_keys{v}', 'artist_keys{t}')})"
    )
    return cl.CustomComparison(
        output_column_name="kind",
        comparison_description="Video kind and version against the track's version",
        comparison_levels=[
            cll.NullLevel("version_type"),
            fixed_m(
                _level(
                    video_side("video_kind{v} = 'non_music'"),
                    label_for_charts="Not a performance (tutorial, reaction, interview)",
                ),
                not_a_performance,
            ),
            fixed_m(
                _level(
                    cover_by_someone_else,
                    label_for_charts="A cover by someone else than the track's artist",
                ),
                cover_by_other,
            ),
            fixed_m(
                _level("version_type_l = version_type_r", label_for_charts="Same version"),
                same,
            ),
            fixed_m(
                _level(
                    "version_type_l = 'original' OR version_type_r = 'original'",
                    label_for_charts="Original vs a version (live, remix, ...)",
                ),
                original_vs_version,
            ),
            fixed_m(cll.ElseLevel(), other),
        ],
    )


# m of "published before the recording was first released": premieres a few
# days ahead of a release that fall across New Year, and wrong catalog dates.
PUBLISHED_BEFORE_M = 0.003


def release_timing_comparison() -> cl.CustomComparison:
    """When the video went up against the recording group's first release.

    A video cannot show a recording made after it was published: this is
    what tells an original's video from a later re-recording of the same song
    (same title, artist and length). Years, because catalogs often carry
    only the year.
    """
    gap = video_side("first_year{v} - first_year{t}")
    return cl.CustomComparison(
        output_column_name="release_timing",
        comparison_description="Video's publication year minus the recording's first release year",
        comparison_levels=[
            cll.NullLevel("first_year"),
            fixed_m(
                _level(f"{gap} < 0", label_for_charts="Published before the release"),
                PUBLISHED_BEFORE_M,
            ),
            _level(f"{gap} = 0", label_for_charts="Published the year of the release"),
            _level(f"{gap} <= 2", label_for_charts="1-2 years after the release"),
            cll.ElseLevel(),
        ],
    )


# (m, u) of the performance levels, set rather than learned: u from random
# pairs is meaningless here (two random pairs both naming a venue almost never
# share a word), and EM's blocks hold too few live pairs. Same place/year:
# mildly for; no word in common: a different concert, unless one side spells
# the venue differently ("MSG"), about 2% of true pairs.
SAME_PERFORMANCE_M_U = (0.98, 0.10)
OTHER_PERFORMANCE_M_U = (0.02, 0.90)


def performance_comparison() -> cl.CustomComparison:
    """Where and when a live take was performed, when both sides say so."""
    return cl.CustomComparison(
        output_column_name="performance",
        comparison_description="Venue and year of a live take (words of the live tag)",
        comparison_levels=[
            cll.NullLevel("performance_keys"),
            fixed_mu(
                _level(
                    _overlap("performance_keys_l", "performance_keys_r"),
                    label_for_charts="Same venue or year",
                ),
                *SAME_PERFORMANCE_M_U,
            ),
            fixed_mu(
                cll.ElseLevel().configure(label_for_charts="Another performance"),
                *OTHER_PERFORMANCE_M_U,
            ),
        ],
    )


def blocking_rules() -> list:
    """High recall on messy titles: the song may be any part of the video title."""
    return [
        block_on("isrc"),
        block_on("core_title_key"),
        block_on("title_keys", arrays_to_explode=["title_keys"]),
        block_on("primary_artist_key", "substr(core_title_key, 1, 3)"),
    ]


def settings(probability_two_random_records_match: float = 1e-4) -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name=ID_COLUMN,
        probability_two_random_records_match=probability_two_random_records_match,
        comparisons=[
            isrc_comparison(),
            title_comparison(),
            artist_comparison(),
            duration_comparison(),
            kind_comparison(),
            release_timing_comparison(),
            performance_comparison(),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["group_id", "is_video", "video_kind"],
        max_iterations=20,
        em_convergence=0.001,
    )
