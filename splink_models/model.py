"""A trained model and what can be read off its settings, whatever backend runs it.

A model is Splink's settings JSON, versioned by its content. An entity's model
package (``splink_models.<entity>.settings``) supplies the comparisons and
blocking rules; the helpers here read a model's id, source, blocking and
comparison columns so that training, scoring and clustering need not know
which entity they serve.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from features.errors import ConfigError, ResolutionError
from splink_models.token_weights import TokenWeights, TokenWeightSpec


@dataclass(frozen=True)
class TrainedModel:
    """A Splink model JSON with the version derived from its content."""

    entity: str
    settings: dict[str, Any]
    version: str

    @classmethod
    def from_settings(cls, entity: str, settings: dict[str, Any]) -> TrainedModel:
        # Splink stamps a random linker_uid on every linker: drop it, so the same
        # training on the same data gives the same version.
        settings = {k: v for k, v in settings.items() if k != "linker_uid"}
        canonical = json.dumps(settings, sort_keys=True, default=str).encode()
        return cls(entity, settings, f"{entity}-{hashlib.sha256(canonical).hexdigest()[:12]}")

    @property
    def dialect(self) -> str:
        """The SQL dialect the model's comparisons are written in ('spark', 'duckdb')."""
        return self.settings.get("sql_dialect", "spark")

    def save(self, models_dir: str) -> Path:
        """Write <models_dir>/<entity>/<version>.json and point latest.json at it."""
        if "://" in models_dir:
            raise ConfigError(
                f"paths.models_dir={models_dir!r}: model JSON is written with local file I/O; "
                "use a local or mounted path (the model is also logged to MLflow)"
            )
        if TrainedModel.from_settings(self.entity, self.settings).version != self.version:
            # a model converted to another dialect (splink_models.dialect) keeps the
            # version of the JSON it was trained into: saving it would replace that file
            raise ResolutionError(
                f"model {self.version} is a {self.dialect} rendering of a model trained in "
                "another dialect: save the trained model and convert it where it is loaded"
            )
        folder = Path(models_dir) / self.entity
        folder.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(self.settings, indent=2, sort_keys=True, default=str)
        path = folder / f"{self.version}.json"
        path.write_text(payload)
        tmp = folder / ".latest.json.tmp"
        tmp.write_text(json.dumps({"version": self.version, "path": path.name}))
        tmp.replace(folder / "latest.json")
        return path

    @classmethod
    def load(cls, entity: str, path_or_dir: str) -> TrainedModel:
        """Load a model JSON file, or the latest one in <models_dir>/<entity>/."""
        path = Path(path_or_dir)
        if path.is_dir():
            pointer = path / entity / "latest.json"
            if not pointer.exists():
                raise ResolutionError(
                    f"no trained {entity} model in {path}: run `python -m jobs.train "
                    f"--entity {entity}` first, or give a model path"
                )
            path = path / entity / json.loads(pointer.read_text())["path"]
        return cls.from_settings(entity, json.loads(path.read_text()))


def model_module(dotted: str):
    """Import an entity's model package (e.g. ``splink_models.recordings``)."""
    return importlib.import_module(dotted + ".settings")


def entity_settings(
    module: str, link_type: str | None = None, token_weights: TokenWeights | None = None
) -> Any:
    """The entity's untrained settings (a SettingsCreator), for ``link_type`` when given.

    A module whose ``settings()`` takes no ``link_type`` fixes its own (videos are
    always linked to tracks). ``token_weights`` are the fitted weights of a
    package that declares ``TOKEN_WEIGHTS`` (:func:`token_weight_spec`).
    """
    make = model_module(module).settings
    kwargs: dict[str, Any] = {}
    if link_type and "link_type" in inspect.signature(make).parameters:
        kwargs["link_type"] = link_type
    if token_weights is not None:
        kwargs["token_weights"] = token_weights
    return make(**kwargs)


def token_weight_spec(module: str) -> TokenWeightSpec | None:
    """What the entity's model fits on its training records, if anything (``TOKEN_WEIGHTS``)."""
    return getattr(model_module(module), "TOKEN_WEIGHTS", None)


def model_token_weights(settings: dict[str, Any], module: str) -> TokenWeights | None:
    """The token weights a trained model carries, read back from its level SQL.

    None when the package fits none, or the model has no level reading them
    (then the code, rendered with any weights, will not match it either).
    """
    spec = token_weight_spec(module)
    if spec is None:
        return None
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            sql = level["sql_condition"]
            if not level.get("is_null_level") and f"{spec.column}_l" in sql:
                return TokenWeights.from_sql(sql, settings.get("sql_dialect", "spark"))
    return None


def settings_dict(settings: Any) -> dict[str, Any]:
    """A model JSON as it is, or a SettingsCreator's link fields (all this module reads)."""
    if isinstance(settings, dict):
        return settings
    return {
        "link_type": settings.link_type,
        "source_dataset_column_name": settings.source_dataset_column_name,
    }


def source_column(settings: Any) -> str | None:
    """The column that tells linked sources apart; None for a dedupe_only model."""
    as_dict = settings_dict(settings)
    if as_dict.get("link_type", "dedupe_only") == "dedupe_only":
        return None
    return as_dict.get("source_dataset_column_name") or "source_dataset"


def scoring_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A model's settings as scoring uses them: without each side's matching columns.

    The pairs carry ids, weights and levels (the ``gamma_``/``mw_`` columns stay);
    the records' own fields are in the feature table. Retained, they doubled
    the width of every intermediate Splink materialises: at 1M tracks predict
    took 153 s with them, 59 s without. ``additional_columns_to_retain`` stay.
    """
    return {**settings, "retain_matching_columns": False}


def blocking_rule_sqls(settings: dict[str, Any]) -> list[str]:
    """The SQL of each of a model's prediction blocking rules (a dict or plain SQL each)."""
    rules = settings.get("blocking_rules_to_generate_predictions") or []
    return [r["blocking_rule"] if isinstance(r, dict) else str(r) for r in rules]


def scoring_columns(settings: dict[str, Any], columns: Sequence[str]) -> list[str]:
    """The input columns a model reads: id, source, comparison, blocking and retained columns.

    Splink carries every input column through blocking and the term-frequency
    join; a feature table holds more than the model compares.
    """
    levels = [lv for c in settings["comparisons"] for lv in c["comparison_levels"]]
    sql = " ".join(
        [
            *(lv["sql_condition"] for lv in levels),
            *(lv.get("tf_adjustment_column") or "" for lv in levels),
            *blocking_rule_sqls(settings),
        ]
    )
    keep = {settings["unique_id_column_name"], *settings.get("additional_columns_to_retain", [])}
    if (source := source_column(settings)) is not None:
        keep.add(source)
    return [c for c in columns if c in keep or re.search(rf"\b{re.escape(c)}(_l|_r)?\b", sql)]


def comparison_names(model: TrainedModel) -> list[str]:
    return [c["output_column_name"] for c in model.settings["comparisons"]]


def level_labels(model: TrainedModel) -> dict[tuple[str, int], str]:
    """(comparison, level) -> the level's chart label, levels numbered as Splink's gamma.

    Splink numbers a comparison's null level -1 and the others from the most
    to the least similar as n-1 .. 0, in the order the settings list them.
    """
    labels: dict[tuple[str, int], str] = {}
    for comparison in model.settings["comparisons"]:
        name = comparison["output_column_name"]
        levels = comparison["comparison_levels"]
        gamma = sum(1 for lvl in levels if not lvl.get("is_null_level"))
        for lvl in levels:
            if lvl.get("is_null_level"):
                labels[(name, -1)] = lvl.get("label_for_charts") or "null"
                continue
            gamma -= 1
            labels[(name, gamma)] = lvl.get("label_for_charts") or f"level {gamma}"
    return labels
