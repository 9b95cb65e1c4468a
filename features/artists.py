"""Credited artist names: split, normalised and cleared of generic credits.

Shared by every entity that reads a credit (tracks, videos, releases) and by
the title parser, which reads an artist out of a title.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from features.text import (
    blank_to_null,
    fold_case_and_accents,
    normalize_folded,
    normalized_constants,
)

ARTIST_SEPARATORS = r"\s+(?:feat\.?|ft\.?|featuring|with|x|and|vs\.?)\s+|\s*[&,;/+]\s*|\s+\|\s+"


def normalize_artist(name: Column) -> Column:
    """One artist name: folded, 'Beatles, The' -> 'beatles', 'The Beatles' -> 'beatles'."""
    return _normalize_folded_artist(fold_case_and_accents(name))


def _normalize_folded_artist(folded: Column) -> Column:
    norm = normalize_folded(F.regexp_replace(folded, r",\s*the\s*$", ""))
    return blank_to_null(F.regexp_replace(norm, r"^the ", ""))


def split_artist_names(names: Column) -> Column:
    """Split credited strings on feat./ft./&/x/,/and/with and normalise each part."""
    parts = F.flatten(
        F.transform(
            F.coalesce(names, F.array().cast("array<string>")),
            lambda n: F.split(
                F.regexp_replace(
                    fold_case_and_accents(F.coalesce(n, F.lit(""))), r",\s*the\s*$", ""
                ),
                ARTIST_SEPARATORS,
            ),
        )
    )
    normalized = F.transform(parts, _normalize_folded_artist)  # parts are folded
    return F.array_distinct(F.filter(normalized, lambda a: a.isNotNull()))


def drop_generic(names: Column, generic_artists: tuple[str, ...]) -> Column:
    """Remove 'various artists' and friends from an artist list."""
    if not generic_artists:
        return names
    generic = normalized_constants(normalize_artist, generic_artists)
    return F.filter(names, lambda a: ~a.isin(*generic))
