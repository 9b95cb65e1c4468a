"""Recording Groups model: which tracks are the same recording.

Comparisons and blocking rules are code; thresholds and paths are config.
Each comparison lists its levels in order (null, exact, graded, else), the way
Splink's own library does. The input is the TRACK_FEATURES table.

Which parameters are learned and which are fixed, and why: EM learns ISRC,
title and artist. It cannot learn the fields that separate a recording from
its other versions, because a live take, a radio edit or an instrumental of a
song looks like a "match" inside any title or artist block: trained freely,
a 30 s duration gap or a version mismatch ended up costing almost nothing and
the 3k sample merged hundreds of hard negatives. So:

- duration and version have fixed m (what we know of releases of one
  recording: durations jitter by 0-2 s, version tags agree) and learned u;
- album and year are weak evidence by design (the same recording sits on many
  albums and years; an album also holds the song's bonus instrumental), so
  both m and u are fixed to keep their weights within about +-2 bits;
- a number that differs between the titles ("Part 1" / "Part 2") is a title
  level with m and u fixed (splink_models.levels.NUMBERS_DIFFER_M_U): a
  string similarity sees nearly the same title, EM and random sampling would
  see nothing against; so is "the tags name other remixers, venues or takes"
  (VERSION_WORDS_DIFFER_U), and "a live/remix/edit tag on one side only, same
  album and length" (a dropped tag: m = u, 0 bits; LENGTH_CHANGING_VERSIONS);
- EM learns the evidence for records whose fields are unreliable (a store
  that crams artist, album, genre and duration into the title): one title
  found inside the other's, and an artist missing from its field but found
  in the title. Where both sides fill the field, the second is a null level:
  the fielded comparison already says it, and nothing is counted twice. The
  same holds for the words of title and artists together (``record_text``:
  how much of one record's words the other holds, each word weighted by how
  rare it was among the training records; the weights are fitted by the train
  stage and carried in the model's SQL, splink_models.token_weights):
  evidence only where a side leaves its artist field empty.
"""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

from splink_models.levels import fixed_m, fixed_mu, numbers_differ_level
from splink_models.token_weights import UNIFORM, TokenWeights, TokenWeightSpec

ENTITY = "recordings"
ID_COLUMN = "track_id"
SOURCE_COLUMN = "source"  # splits the sides when the model links sources (link_only, ...)


def isrc_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="isrc",
        comparison_description="ISRC, the recording's registry code",
        comparison_levels=[
            cll.NullLevel("isrc"),
            cll.ExactMatchLevel("isrc"),
            # a different designation is a different recording, even from the same
            # registrant and year: no "close ISRC" level (it glued live takes on)
            cll.ElseLevel(),
        ],
    )


def _words_in(needle: str, haystack: str) -> str:
    """SQL: ``needle``'s words found whole, in order, inside ``haystack`` (space-bounded)."""
    return f"contains(concat(' ', {haystack}, ' '), concat(' ', {needle}, ' '))"


# The rarer a title or an artist in the catalog, the more agreeing on it weighs
# (term-frequency adjustment: log2(m / tf), tf = the value's share of the
# records). Each grows by log2(50) = 5.6 bits from 20k tracks to 1M, as the
# prior falls by about as much: right for one field alone. But the non-matches
# that share a title *and* an artist are that song's other versions (live
# takes, re-recordings), and a song has no fewer of them in a bigger catalog:
# counted twice, title and artist made those pairs 5.6 bits likelier at 1M
# than at 20k, and untagged versions (another length, another ISRC) that
# stayed apart at 20k crossed the threshold. So where title and artist both
# agree, and for the artist wherever it agrees, tf stops falling at this
# floor; a title agreeing without the artist (one side has none) keeps the
# full adjustment. 1e-4 is two records in 20,000: a value two records share is
# never rarer in a catalog of up to 20k records, so those score as before.
TF_MINIMUM_U = 1e-4
EXACT_TITLE_SAME_ARTIST = "Exact match on core_title, same primary artist"
EXACT_TITLE = "Exact match on core_title"
# Both levels say "the titles are the same"; the first exists only to floor the
# term frequencies where the artist agrees too. Training gives both the m of an
# exact title (their sum), not each the share of matches it holds
# (splink_models.estimation.share_m).
SHARED_M_LEVELS = {"core_title": (EXACT_TITLE_SAME_ARTIST, EXACT_TITLE)}


def core_title_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="core_title",
        comparison_description="Title without version tags and featured artists",
        comparison_levels=[
            cll.NullLevel("core_title"),
            numbers_differ_level(),
            cll.And(
                cll.ExactMatchLevel("core_title"), cll.ExactMatchLevel("primary_artist_key")
            ).configure(
                label_for_charts=EXACT_TITLE_SAME_ARTIST,
                tf_adjustment_column="core_title",
                tf_minimum_u_value=TF_MINIMUM_U,
                # its own u, not the title-only level's (the default detection)
                disable_tf_exact_match_detection=True,
            ),
            cll.ExactMatchLevel("core_title", term_frequency_adjustments=True).configure(
                label_for_charts=EXACT_TITLE
            ),
            cll.CustomLevel(
                "core_title_key_l = core_title_key_r",
                label_for_charts="Same title ignoring spaces and leading 'the'",
            ),
            cll.DamerauLevenshteinLevel("core_title", 1),
            cll.CustomLevel(
                f"(length(core_title_r) >= 6 AND {_words_in('core_title_r', 'title_norm_l')}) OR "
                f"(length(core_title_l) >= 6 AND {_words_in('core_title_l', 'title_norm_r')})",
                label_for_charts="One title inside the other's (more crammed into it)",
                base_dialect_str="spark",
            ),
            cll.JaroWinklerLevel("core_title", 0.92),
            cll.JaroWinklerLevel("core_title", 0.80),
            cll.ElseLevel(),
        ],
    )


ARTIST_IN_TITLE = "The other side's artist is in the title"
# m of "artist in the title" when training never reaches it (a catalog whose
# stores all fill the artist field): among matches where one side's artist
# field is empty, how often its title carries the other's artist is unknown
# there; one in two, between "never" and "always" (about +9 bits against a u of
# 1e-3). A catalog with such records trains it, and labels override it.
UNTRAINED_M = {"artist_in_title": {ARTIST_IN_TITLE: 0.5}}


def artist_in_title_comparison() -> cl.CustomComparison:
    """Evidence only where one side has no artist: is the other side's artist in its title?"""
    return cl.CustomComparison(
        output_column_name="artist_in_title",
        comparison_description="An artist missing from its field, found in the title",
        comparison_levels=[
            cll.CustomLevel(
                "(primary_artist_l IS NULL) = (primary_artist_r IS NULL)",
                label_for_charts="Both sides have an artist, or neither",
            ).configure(is_null_level=True),
            cll.CustomLevel(
                f"(primary_artist_l IS NULL AND {_words_in('primary_artist_r', 'title_norm_l')}) "
                f"OR (primary_artist_r IS NULL AND {_words_in('primary_artist_l', 'title_norm_r')})",
                label_for_charts=ARTIST_IN_TITLE,
                base_dialect_str="spark",
            ),
            cll.ElseLevel(),
        ],
    )


# The record text's tokens are weighted by how rare each is among the training
# records: fitted by the train stage, carried in the model (splink_models.token_weights).
TOKEN_WEIGHTS = TokenWeightSpec("record_tokens")
RECORD_TEXT_FIELDED = "Both sides name an artist (title and artist say it)"
# (share at least, m, u) of each level, then the else level's (m, u). Weak evidence
# by design, within about +-3 bits, like album and year: the records of one artist
# share the artist's words, and a crammed title the album's, genre's and label's,
# so a hard non-match (another song of the same album) looks as alike as a match,
# which random pairs (u) never show. Learned freely (m from labelled matches), the
# levels of an earlier variant (a cosine over title, artists, album, genre and
# label) weighed +7 to +13 bits and lifted those non-matches over the threshold:
# iTunes-Amazon Dirty valid F1 0.9259 -> 0.9057.
RECORD_TEXT_LEVELS = ((0.9, 0.45, 0.05), (0.7, 0.25, 0.10), (0.5, 0.15, 0.20))
RECORD_TEXT_ELSE = (0.15, 0.65)


def record_text_comparison(weights: TokenWeights | None = None) -> cl.CustomComparison:
    """Title and artists' words, wherever they sit: the weighted share of one record in the other.

    Evidence only where a side leaves its artist field empty (the artist may be
    in its title): where both name an artist, the title and artist comparisons
    already see every word, and the text would count them twice.
    """
    share = (weights or UNIFORM).containment_sql("record_tokens")
    return cl.CustomComparison(
        output_column_name="record_text",
        comparison_description="Title and artists' words wherever they sit, weighted by rarity",
        comparison_levels=[
            cll.CustomLevel(
                "record_tokens_l IS NULL OR record_tokens_r IS NULL "
                "OR (primary_artist_l IS NOT NULL AND primary_artist_r IS NOT NULL)",
                label_for_charts=RECORD_TEXT_FIELDED,
            ).configure(is_null_level=True),
            *(
                fixed_mu(
                    cll.CustomLevel(
                        f"{share} >= {threshold}",
                        label_for_charts=f"Record text held by the other's (weighted share >= {threshold})",
                        base_dialect_str="spark",
                    ),
                    m=m,
                    u=u,
                )
                for threshold, m, u in RECORD_TEXT_LEVELS
            ),
            fixed_mu(cll.ElseLevel(), m=RECORD_TEXT_ELSE[0], u=RECORD_TEXT_ELSE[1]),
        ],
    )


def artists_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="artists",
        comparison_description="Credited artists: primary artist, list overlap, name similarity",
        comparison_levels=[
            cll.CustomLevel(
                "artist_keys_l IS NULL OR artist_keys_r IS NULL",
                label_for_charts="artists is NULL",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("primary_artist_key", term_frequency_adjustments=True).configure(
                tf_minimum_u_value=TF_MINIMUM_U
            ),
            # Spark SQL, translated by sqlglot for other backends (DuckDB has no size())
            cll.CustomLevel(
                "size(array_intersect(artist_keys_l, artist_keys_r)) >= 1",
                label_for_charts="At least one artist in common",
                base_dialect_str="spark",
            ),
            cll.JaroWinklerLevel("primary_artist", 0.90),
            cll.CustomLevel(
                "primary_artist_phonetic_l = primary_artist_phonetic_r",
                label_for_charts="Primary artists sound alike (soundex)",
            ),
            cll.ElseLevel(),
        ],
    )


# m of the duration levels (|difference| <= 1, 3, 10, 30 s, more): releases of
# one recording differ by encoder padding, 0-2 s.
DURATION_M_PROBABILITIES = (0.80, 0.19, 0.007, 0.002, 0.001)


def duration_comparison() -> cl.CustomComparison:
    """AbsoluteDifferenceAtThresholds does not exist in Splink 5.0: built from levels."""
    within_1, within_3, within_10, within_30, other = DURATION_M_PROBABILITIES
    return cl.CustomComparison(
        output_column_name="duration",
        comparison_description="Duration difference in seconds",
        comparison_levels=[
            cll.NullLevel("duration_s"),
            fixed_m(cll.AbsoluteDifferenceLevel("duration_s", 1), within_1),
            fixed_m(cll.AbsoluteDifferenceLevel("duration_s", 3), within_3),
            fixed_m(cll.AbsoluteDifferenceLevel("duration_s", 10), within_10),
            fixed_m(cll.AbsoluteDifferenceLevel("duration_s", 30), within_30),
            fixed_m(cll.ElseLevel(), other),
        ],
    )


# m of the version levels is fixed, not learned: in music metadata the same
# recording carries the same version tag on every release, whereas EM inside
# title/artist blocks sees live, remix and karaoke takes of a song as "matches"
# and learns that a version mismatch costs almost nothing.
VERSION_M_PROBABILITIES = (0.988998, 0.00001, 0.00999, 0.001, 0.000001, 0.000001)
# Versions that run to another length than the studio take (a live take, a remix, an
# edit). One of them untagged beside a tagged one, on the same album and of the same
# length to the second, is a store that dropped the tag (a live album's plain titles,
# "Take U There" on the remix album), not two recordings: its level carries no weight
# either way (m = u), and the other fields decide. Instrumentals, karaoke and
# re-recordings keep the original's length, so for them the same length says nothing.
LENGTH_CHANGING_VERSIONS = ("live", "acoustic", "remix", "extended", "radio_edit", "demo")
TAG_DROPPED_MAX_SECONDS = 1
ALBUM_ALIKE = 0.90  # album names this alike are one album ("... [Explicit]", a slip)
# Version words this alike are one spelling with a slip ("Goldhouse" / "Goldhuose"), not two.
VERSION_WORDS_ALIKE = 0.88
# u of "tags name other remixers, venues or takes" is fixed too (its m is the
# tuple's second). Random sampling learns how often two *random* tracks are
# both remixes with different remixers, which is rare: with that u, two remixes
# of one song by one artist with one duration still scored 0.93 on the test
# sample (tests/splink_models/test_version_words.py). What the level says is "another
# recording", as "original vs a version" does, and within the title and
# artist blocks where such pairs meet, it is common among the non-matches.
# log2(1e-5 / 0.1): about -13.3 bits, more than an exact title, artist and
# duration add above the prior. m: a catalog naming one remix's remixer in two
# unrelated ways (not a typo: those fall to "same type"), about 1 in 100,000.
VERSION_WORDS_DIFFER_U = 0.1


def version_comparison() -> cl.CustomComparison:
    """Live, remix, karaoke...: a mismatch here is decisive, whatever the title says.

    Within one version type, the tag's own words (``version_words``: remixer,
    venue, year, take) tell two remixes or two live takes apart; a tag that
    names none of them ("(Remix)", "(Live)") is only "same type".
    """
    same, other_words, same_type, tag_dropped, original_vs_version, other = VERSION_M_PROBABILITIES
    changing = ", ".join(f"'{v}'" for v in LENGTH_CHANGING_VERSIONS)
    return cl.CustomComparison(
        output_column_name="version",
        comparison_description="Version type from title tags (original, live, remix, ...)",
        comparison_levels=[
            cll.NullLevel("version_type"),
            cll.CustomLevel(
                "version_type_l = version_type_r AND (version_type_l = 'original' "
                "OR version_detail_l = version_detail_r)",
                label_for_charts="Same version",
            ).configure(m_probability=same, fix_m_probability=True),
            fixed_mu(
                cll.And(
                    cll.ExactMatchLevel("version_type"),
                    cll.Not(cll.ArrayIntersectLevel("version_words", min_intersection=1)),
                    cll.Not(cll.JaroWinklerLevel("version_words_text", VERSION_WORDS_ALIKE)),
                ).configure(
                    label_for_charts="Same version type, tags name other remixers, venues or takes"
                ),
                m=other_words,
                u=VERSION_WORDS_DIFFER_U,
            ),
            cll.CustomLevel(
                "version_type_l = version_type_r",
                label_for_charts="Same version type, different tag (e.g. two remixes)",
            ).configure(m_probability=same_type, fix_m_probability=True),
            fixed_mu(
                cll.And(
                    cll.CustomLevel(
                        f"(version_type_l = 'original' AND version_type_r IN ({changing})) OR "
                        f"(version_type_r = 'original' AND version_type_l IN ({changing}))"
                    ),
                    cll.AbsoluteDifferenceLevel("duration_s", TAG_DROPPED_MAX_SECONDS),
                    cll.JaroWinklerLevel("album_norm", ALBUM_ALIKE),
                ).configure(
                    label_for_charts="One side's live/remix/edit tag dropped: same album and length"
                ),
                m=tag_dropped,
                u=tag_dropped,
            ),
            cll.CustomLevel(
                "version_type_l = 'original' OR version_type_r = 'original'",
                label_for_charts="Original vs a version (live, remix, ...)",
            ).configure(m_probability=original_vs_version, fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=other, fix_m_probability=True),
        ],
    )


def album_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="album",
        comparison_description="Album (weak: the same recording sits on many albums)",
        comparison_levels=[
            cll.NullLevel("album_norm"),
            fixed_mu(cll.ExactMatchLevel("album_norm"), m=0.40, u=0.10),
            fixed_mu(cll.JaroWinklerLevel("album_norm", ALBUM_ALIKE), m=0.05, u=0.05),
            fixed_mu(cll.ElseLevel(), m=0.55, u=0.85),
        ],
    )


def year_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="release_year",
        comparison_description="Release year (weak: re-issues come years later)",
        comparison_levels=[
            cll.NullLevel("release_year"),
            fixed_mu(cll.ExactMatchLevel("release_year"), m=0.30, u=0.10),
            fixed_mu(cll.AbsoluteDifferenceLevel("release_year", 2), m=0.30, u=0.15),
            fixed_mu(cll.ElseLevel(), m=0.40, u=0.75),
        ],
    )


def blocking_rules() -> list:
    """Candidate pairs: high recall on noisy titles without a cartesian blow-up."""
    return [
        block_on("isrc"),
        block_on("core_title_key", "primary_artist_key"),
        block_on("primary_artist_key", "substr(core_title_key, 1, 4)"),
        # Same title, different artist spelling or none: durations agree within a
        # second or two. Two 2 s grids half a bucket apart catch every pair within
        # 1 s and most within 2 s; one 10 s bucket made 74% of all candidates at
        # 1M tracks (common titles x 10 s), of which 0.7% were matches.
        block_on("core_title_key", "floor(duration_s / 2)"),
        block_on("core_title_key", "floor((duration_s + 1) / 2)"),
        # A record without an artist whose title may carry it (and more) after the song
        CustomRule(
            "l.title_head_key = r.title_head_key "
            "AND (l.primary_artist_key IS NULL OR r.primary_artist_key IS NULL)"
        ),
        # ... and a one-word song ("Gone") against a title with more after it ("Gone The
        # Weeknd Trilogy R&B"), which the two-word key misses: the first word and the same
        # second, unless both name an artist and the artists differ. The artist condition
        # is what keeps it small: without it, 7.2M more pairs at 1M generated tracks.
        CustomRule(
            "l.title_first_key = r.title_first_key "
            "AND round(l.duration_s) = round(r.duration_s) AND (l.primary_artist_key IS NULL "
            "OR r.primary_artist_key IS NULL OR l.primary_artist_key = r.primary_artist_key)"
        ),
        # A title that reads "Artist - Title" where the artist field credits nobody or that
        # artist (features.tracks.with_title_credit) against the song and artist in their
        # fields; both ways round, as a dedupe pairs each two records once, in id order.
        CustomRule(
            "l.title_song_key = r.core_title_key AND l.title_artist_key = r.primary_artist_key"
        ),
        CustomRule(
            "l.core_title_key = r.title_song_key AND l.primary_artist_key = r.title_artist_key"
        ),
    ]


def settings(
    probability_two_random_records_match: float = 1e-4,
    link_type: str = "dedupe_only",
    token_weights: TokenWeights | None = None,
) -> SettingsCreator:
    """The model's settings; ``link_type`` other than dedupe_only links the sources.

    ``token_weights``: the record text's fitted weights (``TOKEN_WEIGHTS``);
    every token weighs the same without them.

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
            isrc_comparison(),
            core_title_comparison(),
            artists_comparison(),
            artist_in_title_comparison(),
            record_text_comparison(token_weights),
            duration_comparison(),
            version_comparison(),
            album_comparison(),
            year_comparison(),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
        max_iterations=20,
        em_convergence=0.001,
    )
