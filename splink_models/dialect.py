"""Carry a trained model from one SQL backend to another: tune on DuckDB, score on Spark.

A model JSON is Splink's settings with every comparison level's and blocking
rule's SQL written in the dialect it was trained on (``jaro_winkler`` on Spark,
``jaro_winkler_similarity`` on DuckDB, ``size(...)`` vs ``array_length(...)``).
The SQL is not rewritten here: the entity's comparisons and blocking rules are
Python code, so :func:`to_dialect` renders that code in the target dialect
(``SettingsCreator.get_settings(dialect)``) and keeps everything else of the
trained model as it is: the prior, each level's m and u, the fix flags, the
term-frequency settings, the EM and column settings.

The model must be the one the code describes. Before anything is converted,
the code is also rendered in the model's own dialect and compared with the
model: the same comparisons, the same number of levels with the same labels,
null levels and term-frequency columns, the same level SQL and the same
blocking rules. Any difference means the model was trained with other
comparisons (or blocking rules) than the code now has, and converting it would
score with SQL it was never trained with: :func:`to_dialect` then raises a
``ResolutionError`` that lists every difference.

What a conversion cannot make equal: the string functions are each backend's
own. Damerau-Levenshtein agreed on every pair measured, but Jaro-Winkler does
not quite: Splink's Spark jar counts half a transposition where DuckDB's
``jaro_winkler_similarity`` rounds the half down, so DuckDB's similarity is
slightly higher on about 0.4% of candidate pairs. Where that crosses a level's
threshold (0.92 / 0.80 on titles, 0.90 on artists and albums) the pair falls
in another level: 7 of 22,270 pairs at 10k tracks, 2 records in another group.
The m and u of those levels, estimated on one engine, are applied on the other
regardless; the difference is too small to retrain for.

Versions: a model's version is the content hash of the JSON it was trained
into, in its training dialect. A converted model keeps that version, so pairs
and groups scored with the same trained parameters carry the same
``model_version`` on either engine, and converting back gives the original
JSON. A converted model is therefore not saved (``TrainedModel.save`` refuses
it): save the trained model and convert it where it is loaded.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from features.errors import ResolutionError
from splink_models.model import TrainedModel, entity_settings, model_token_weights
from splink_models.token_weights import TokenWeights

DIALECTS = ("spark", "duckdb")


def _normalised(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def code_settings(
    module: str,
    dialect: str,
    link_type: str | None = None,
    token_weights: TokenWeights | None = None,
) -> dict[str, Any]:
    """The entity's comparisons and blocking rules rendered in ``dialect``, untrained
    (with the fitted ``token_weights`` where the package fits them)."""
    return entity_settings(module, link_type, token_weights).get_settings(dialect).as_dict()


def _model_dialect(model: TrainedModel) -> str:
    dialect = model.settings.get("sql_dialect")
    if dialect not in DIALECTS:
        raise ResolutionError(
            f"model {model.version} has sql_dialect={dialect!r}; only {', '.join(DIALECTS)} "
            "models can be converted"
        )
    return dialect


def mismatches(model: TrainedModel, code: dict[str, Any]) -> list[str]:
    """Every way the trained model differs from the code rendered in the model's dialect."""
    problems: list[str] = []
    trained = {c["output_column_name"]: c for c in model.settings["comparisons"]}
    expected = {c["output_column_name"]: c for c in code["comparisons"]}
    for name in sorted(trained.keys() - expected.keys()):
        problems.append(f"comparison {name!r}: in the model, not in the code")
    for name in sorted(expected.keys() - trained.keys()):
        problems.append(f"comparison {name!r}: in the code, not in the model")
    for name in [n for n in trained if n in expected]:
        levels = trained[name]["comparison_levels"]
        code_levels = expected[name]["comparison_levels"]
        if len(levels) != len(code_levels):
            problems.append(
                f"comparison {name!r}: {len(levels)} levels in the model, "
                f"{len(code_levels)} in the code"
            )
            continue
        for position, (level, code_level) in enumerate(zip(levels, code_levels, strict=True)):
            where = f"comparison {name!r} level {position}"
            for key in ("label_for_charts", "is_null_level", "tf_adjustment_column"):
                if level.get(key) != code_level.get(key):
                    problems.append(
                        f"{where}: {key} is {level.get(key)!r} in the model, "
                        f"{code_level.get(key)!r} in the code"
                    )
            if _normalised(level["sql_condition"]) != _normalised(code_level["sql_condition"]):
                problems.append(
                    f"{where}: SQL is {level['sql_condition']!r} in the model, "
                    f"{code_level['sql_condition']!r} in the code"
                )
    rules = [r["blocking_rule"] for r in model.settings["blocking_rules_to_generate_predictions"]]
    code_rules = [r["blocking_rule"] for r in code["blocking_rules_to_generate_predictions"]]
    if list(map(_normalised, rules)) != list(map(_normalised, code_rules)):
        problems.append(f"blocking rules are {rules} in the model, {code_rules} in the code")
    for key in ("link_type", "unique_id_column_name"):
        if model.settings.get(key) != code.get(key):
            problems.append(
                f"{key} is {model.settings.get(key)!r} in the model, {code.get(key)!r} in the code"
            )
    return problems


def to_dialect(model: TrainedModel, dialect: str, *, module: str) -> TrainedModel:
    """The same trained model with its SQL rendered for ``dialect`` ('spark' or 'duckdb').

    Args:
        model: A trained model, in either dialect.
        dialect: The backend that will score with it.
        module: The entity's model package (config ``entities.<name>.model_module``),
            whose ``settings()`` holds the comparisons the model was trained with.

    Returns:
        A model with the same parameters and the same version; the level SQL,
        the blocking rules and ``sql_dialect`` are the code's, in ``dialect``.

    Raises:
        ResolutionError: ``dialect`` is not supported, or the model does not match the
            code (each difference is listed).
    """
    if dialect not in DIALECTS:
        raise ResolutionError(f"dialect {dialect!r}: expected one of {', '.join(DIALECTS)}")
    source = _model_dialect(model)
    link_type = model.settings.get("link_type")
    weights = model_token_weights(model.settings, module)
    problems = mismatches(model, code_settings(module, source, link_type, weights))
    if problems:
        raise ResolutionError(
            f"model {model.version} ({source}) was not trained with the comparisons in "
            f"{module}.settings, so it cannot be converted to {dialect}:\n  - "
            + "\n  - ".join(problems)
            + f"\nRetrain it with the current code (python -m jobs.train --entity {model.entity}) "
            "or convert it with the code it was trained with."
        )
    target = code_settings(module, dialect, link_type, weights)
    settings = copy.deepcopy(model.settings)
    settings["sql_dialect"] = dialect
    settings["blocking_rules_to_generate_predictions"] = target[
        "blocking_rules_to_generate_predictions"
    ]
    rendered = {c["output_column_name"]: c["comparison_levels"] for c in target["comparisons"]}
    for comparison in settings["comparisons"]:
        code_levels = rendered[comparison["output_column_name"]]
        for level, code_level in zip(comparison["comparison_levels"], code_levels, strict=True):
            level["sql_condition"] = code_level["sql_condition"]
    return TrainedModel(model.entity, settings, model.version)
