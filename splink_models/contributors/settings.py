"""Contributors model (SongDNA): which credited names are one person.

The input is CONTRIBUTOR_FEATURES, one row per distinct credited name per
track neighbourhood (features.contributors). A name alone decides little:
"M. Martin" may be Max or Mia, and two different people can share a name
exactly. What it has besides:

- IPI name number and ISNI: the same one is near proof, even across a stage
  and a legal name that share no word; two different ones speak strongly
  against (m fixed: a wrong code is rare, EM inside name blocks would learn
  otherwise).
- co-credits: the names credited beside it. One person's records share
  collaborators; two people of one name never do (that is how a user tells
  them apart, and how the sample generates them).
- context: a recording group, an ISWC or a neighbourhood (primary artist)
  in common.
- roles: the same role class (writing, production, performance) or not,
  learned: a person's records mostly keep theirs, two people of one name
  mostly do different work.

Every level renders in Spark's and DuckDB's dialect alike.
"""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from splink_models.estimation import DistinctU
from splink_models.levels import fixed_m, fixed_u, overlap_sql

ENTITY = "contributors"
ID_COLUMN = "contributor_record_id"
SOURCE_COLUMN = "source"

# m of "two different IPIs/ISNIs": how often one person's credits carry two
# different codes (a typo that still passes the check, or a second IPI name
# number for a pseudonym).
DIFFERENT_CODE_M = 0.02


# u of the identifier and name levels, fixed. Splink samples u from random
# pairs, assuming nearly all of them are non-matches. Here a person stands for
# many records (one per spelling and neighbourhood: a producer working for 50
# artists is 50 records or more), so random pairs hold matches at about the
# prior's rate, and the sampled u of "same name" came out as prior x m: the
# level's weight then cancelled the prior exactly, and an exact name across two
# neighbourhoods ended at p 0.5 whatever the data (measured on the generated
# sample). What u should say is how often two *different* people agree:
# IPI/ISNI codes are unique per party; two different people with one full name,
# or with one initial and last name, are rare among credited people.
#
# Where the data allows, u is measured instead (DISTINCT_U): sampled among
# records of distinct IPIs, one per IPI, which are different people pair by
# pair. The NAME_U values are what a level keeps when those pairs never reach
# it (too few records with an IPI, or a level no two different people meet).
DISTINCT_U = DistinctU(
    column="ipi",
    id_column=ID_COLUMN,
    comparisons=("name", "co_credits", "context", "roles"),
)
CODE_U = 1e-6
# m of "names with nothing in common", fixed: one person under two unrelated
# names (a legal and a stage name, another script) is rare, and then the IPI or
# ISNI carries the match. Learned, it came out 0.48 (EM inside IPI blocks, where
# the legal names are): a different name then cost 1 bit, and two co-writers of
# one song (a recording group, collaborators and a role in common) nearly merged.
OTHER_NAME_M = 0.05
NAME_U = {
    "exact": 1e-5,
    "order": 1e-5,
    "similar": 5e-5,
    "initial": 2e-4,
    "typo": 1e-4,
    "last": 1e-3,
}


def _code_comparison(column: str, description: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_description=description,
        comparison_levels=[
            cll.NullLevel(column),
            fixed_u(cll.ExactMatchLevel(column), CODE_U),
            fixed_m(cll.ElseLevel(), DIFFERENT_CODE_M),
        ],
    )


def name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_description="Credited name: exact, any word order, similar, initial and last name",
        comparison_levels=[
            cll.NullLevel("name_key"),
            fixed_u(cll.ExactMatchLevel("name_key"), NAME_U["exact"]),
            fixed_u(
                cll.CustomLevel(
                    "sorted_name_key_l = sorted_name_key_r",
                    label_for_charts="The same words in another order",
                ),
                NAME_U["order"],
            ),
            fixed_u(cll.JaroWinklerLevel("name_key", 0.94), NAME_U["similar"]),
            fixed_u(
                cll.CustomLevel(
                    "initial_key_l = initial_key_r AND (initial_only_l OR initial_only_r)",
                    label_for_charts="An initial and the last name ('M. Martin', 'Max Martin')",
                    base_dialect_str="spark",
                ),
                NAME_U["initial"],
            ),
            fixed_u(cll.DamerauLevenshteinLevel("name_key", 2), NAME_U["typo"]),
            fixed_u(
                cll.CustomLevel("last_name_l = last_name_r", label_for_charts="The same last name"),
                NAME_U["last"],
            ),
            fixed_m(cll.ElseLevel(), OTHER_NAME_M),
        ],
    )


def co_credit_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="co_credits",
        comparison_description="Names credited beside it (collaborators) in common",
        comparison_levels=[
            cll.NullLevel("co_credit_keys"),
            cll.CustomLevel(
                overlap_sql("co_credit_keys", 2),
                label_for_charts="Two collaborators or more in common",
                base_dialect_str="spark",
            ),
            cll.CustomLevel(
                overlap_sql("co_credit_keys"),
                label_for_charts="A collaborator in common",
                base_dialect_str="spark",
            ),
            cll.ElseLevel(),
        ],
    )


def context_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="context",
        comparison_description="A recording group, a work (ISWC) or a neighbourhood in common",
        comparison_levels=[
            cll.CustomLevel(
                "recording_group_ids_l IS NULL OR recording_group_ids_r IS NULL",
                label_for_charts="context is NULL",
            ).configure(is_null_level=True),
            cll.CustomLevel(
                overlap_sql("recording_group_ids"),
                label_for_charts="A recording group in common",
                base_dialect_str="spark",
            ),
            cll.CustomLevel(
                overlap_sql("iswcs"),
                label_for_charts="A work (ISWC) in common",
                base_dialect_str="spark",
            ),
            cll.ExactMatchLevel("neighbourhood"),
            cll.ElseLevel(),
        ],
    )


def role_comparison() -> cl.CustomComparison:
    """The role class (writing, production, performance): learned, as people differ in it.

    A person's records differ in role class where they both write and produce
    for different artists; two people of one name mostly do different work
    (a composer and a drummer).
    """
    return cl.CustomComparison(
        output_column_name="roles",
        comparison_description="Role class (writing, production, performance)",
        comparison_levels=[
            cll.NullLevel("role_classes"),
            cll.CustomLevel(
                "role_classes_l = role_classes_r", label_for_charts="The same role class"
            ),
            cll.ElseLevel(),
        ],
    )


def blocking_rules() -> list:
    """Candidate pairs: an IPI, an ISNI, the name in any word order, or initial + last name."""
    return [
        block_on("ipi"),
        block_on("isni"),
        block_on("name_key"),
        block_on("sorted_name_key"),
        block_on("initial_key"),
        # a typo: the neighbourhood and one end of the name
        block_on("neighbourhood", "substr(name_key, 1, 3)"),
        block_on("neighbourhood", "substr(reverse(name_key), 1, 3)"),
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
            _code_comparison("ipi", "IPI name number (a CISAC party code)"),
            _code_comparison("isni", "ISNI (ISO 27729 public identity)"),
            name_comparison(),
            co_credit_comparison(),
            context_comparison(),
            role_comparison(),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
        max_iterations=20,
        em_convergence=0.001,
    )
