"""Text normalisation: None rows, non-ASCII rows and real-world tricky rows."""

from __future__ import annotations

from features.text import (
    compact_key,
    fold_case_and_accents,
    normalize_text,
    null_if_generic,
    title_numbers,
)
from features.tracks import core_title
from tests._helpers import check_column_function


def test_fold_case_and_accents(spark):
    check_column_function(
        spark,
        fold_case_and_accents,
        [
            (None, None),
            ("Beyoncé", "beyonce"),
            ("MÖTLEY CRÜE", "motley crue"),
            ("Sigur Rós  ", "sigur ros "),
            ("Земфира", "zemfira"),
            ("Ещё раз", "eshche raz"),
            ("Σωκράτης", "sokratis"),
            ("Straße (Live)", "strasse (live)"),
            ("Mø", "mo"),
        ],
    )


def test_normalize_text(spark):
    check_column_function(
        spark,
        normalize_text,
        [
            (None, None),
            ("", None),
            ("   ", None),
            ("!!!", None),
            ("Don't Stop Me Now", "dont stop me now"),
            ("Don’t Stop Me Now", "dont stop me now"),
            ("Simon & Garfunkel", "simon and garfunkel"),
            ("AC/DC", "ac dc"),
            ("Hey Jude - Remastered 2015", "hey jude remastered 2015"),
            ("Déjà   Vu", "deja vu"),
            ("P!nk", "p nk"),
            ("Guns N' Roses", "guns n roses"),
        ],
    )


def test_compact_key_drops_spaces_and_leading_article(spark):
    check_column_function(
        spark,
        lambda c: compact_key(normalize_text(c)),
        [
            (None, None),
            ("The Beatles", "beatles"),
            ("Theatre of Tragedy", "theatreoftragedy"),
            ("Björk", "bjork"),
            ("The The", "the"),
        ],
    )


def test_null_if_generic(spark):
    check_column_function(
        spark,
        lambda v: null_if_generic(normalize_text(v), ("Various Artists", "unknown", "N/A")),
        [
            ("Various Artists", None),
            ("UNKNOWN", None),
            ("n/a", None),
            ("N / A", None),
            ("Adele", "adele"),
            (None, None),
        ],
    )


def test_title_numbers_of_a_core_title(spark):
    """Through ``core_title`` as the features compute them: version tags are gone first."""
    check_column_function(
        spark,
        lambda title: title_numbers(core_title(title)),
        [
            (None, None),
            ("Hey Jude", None),
            ("Fine Song 1", ["1"]),
            ("Fine Song 10", ["10"]),
            ("Another Brick in the Wall, Part 1", ["1"]),
            ("Another Brick in the Wall (Part 2)", ["2"]),
            ("The Birds, Pt. II", ["2"]),
            ("Symphony No. 5 in C Minor", ["5"]),
            ("Symphony No.5", ["5"]),
            ("Symphony #5", ["5"]),
            ("Mambo No5", ["5"]),
            ("Piano Sonata No. 14 in C-sharp minor, Op. 27 No. 2", ["14", "2", "27"]),
            ("Cello Suite No. 1 in G Major, BWV 1007: I. Prélude", ["1", "1007"]),
            ("Piano Sonata No. 11, K. 331", ["11", "331"]),
            ("Trance Anthems Vol. 03", ["3"]),
            ("Chapter IV", ["4"]),
            ("Song (2011 Remaster)", None),
            ("Song - Remastered 2009", None),
            ("Song 2011 Remaster", None),
            ("Song (Live at Wembley 1986)", None),
            ("1979", ["1979"]),
            ("1979 - 2012 Remaster", ["1979"]),
            ("99 Problems", ["99"]),
            ("22", ["22"]),
            ("Summer of '69", ["69"]),
            ("1,000 Miles", ["1000"]),
            ("Sunday Bloody Sunday (feat. 2 Chainz)", None),
            ("U2 4ever 1st Love", None),
            ("I, Me, Mine", None),
            ("Симфония № 5", ["5"]),
            ("Sinfonía n.º 9", ["9"]),
        ],
        schema="value string, expected array<string>",
    )
