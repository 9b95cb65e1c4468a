"""Credited artist names, table-driven, with None and non-ASCII rows."""

from __future__ import annotations

from features.artists import drop_generic, split_artist_names
from tests._helpers import check_column_function


def test_split_artist_names(spark):
    check_column_function(
        spark,
        split_artist_names,
        [
            (["The Beatles"], ["beatles"]),
            (["Beatles, The"], ["beatles"]),
            (["Simon & Garfunkel"], ["simon", "garfunkel"]),
            (["Simon and Garfunkel"], ["simon", "garfunkel"]),
            (["Beyoncé feat. Jay-Z"], ["beyonce", "jay z"]),
            (["Calvin Harris x Dua Lipa", "Dua Lipa"], ["calvin harris", "dua lipa"]),
            (["Lil Nas X"], ["lil nas x"]),
            (["Земфира"], ["zemfira"]),
            (["", None], []),
            (None, []),
        ],
        "artists array<string>, expected array<string>",
    )


def test_drop_generic(spark):
    check_column_function(
        spark,
        lambda names: drop_generic(split_artist_names(names), ("Various Artists", "VA")),
        [
            (["Various Artists"], []),
            (["VARIOUS ARTISTS", "Adele"], ["adele"]),
            (["va & Adele"], ["adele"]),
            (["Various"], ["various"]),
            (None, []),
        ],
        "artists array<string>, expected array<string>",
    )
