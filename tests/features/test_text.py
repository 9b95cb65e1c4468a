"""Text normalisation: None rows, non-ASCII rows and real-world tricky rows."""

from __future__ import annotations

from features.text import compact_key, fold_case_and_accents, normalize_text, null_if_generic
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
