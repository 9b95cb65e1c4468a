"""MLflow model registry: one registered model per entity type, aliases champion and challenger.

A trained model is Splink's JSON, not an MLflow flavour, so a model version
is registered from the training run's ``model/`` artifact folder with
``MlflowClient.create_model_version`` (``mlflow.register_model`` wants an
MLmodel file or a logged model for a ``runs:/`` URI). Each version carries
the model's content version (tag ``model_version``, the id written into every
output table), so the same model trained twice is one registry version.

Model references, as the scoring, promote and compare jobs take them:

- ``None``: the config's ``lifecycle.models.<entity>``, else the registry's
  ``@champion``, else the newest JSON in ``paths.models_dir``;
- a path: a model JSON file, or a models folder (its newest model);
- ``3`` or ``v3``: version 3 of the entity's registered model;
- ``@challenger`` or ``challenger``: an alias of the entity's registered model;
- ``models:/<name>/<version>`` or ``models:/<name>@<alias>``.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from features.errors import ConfigError, ResolutionError
from jobs.runtime.config import AppConfig, LifecycleConfig
from splink_models.model import TrainedModel

logger = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
CONTENT_TAG = "model_version"  # the TrainedModel version: what output tables call model_version

_MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[\w-]+))$")
_VERSION = re.compile(r"^[vV]?(?P<version>\d+)$")
_ALIAS = re.compile(r"^@?(?P<alias>[A-Za-z_][\w-]*)$")


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to score, and where it came from (for logs and lineage)."""

    model: TrainedModel
    source: str  # e.g. "models:/<prefix><entity>/2 (@champion)" or a file path
    registry_version: str | None = None


@dataclass(frozen=True)
class RegisteredVersion:
    name: str
    version: str
    aliases: tuple[str, ...]  # the aliases now on this version


class ModelNotFoundError(ResolutionError):
    """A model reference names nothing: no such file, version or alias."""


def lifecycle(cfg: AppConfig) -> LifecycleConfig:
    if cfg.lifecycle is None:
        raise ConfigError("lifecycle is not configured: add a lifecycle section (conf/base.yaml)")
    return cfg.lifecycle


def registered_model_name(cfg: AppConfig, entity: str) -> str:
    return lifecycle(cfg).registered_model(entity)


def client(cfg: AppConfig, *, create: bool = False):
    """An MlflowClient on the configured store; None where a local store does not exist yet.

    Asking a registry that was never written to must not create an empty
    SQLite file (a scoring job on a fresh checkout only reads), hence the check.
    """
    import mlflow
    from mlflow import MlflowClient

    uri = cfg.mlflow.tracking_uri
    if uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///") :])
        if not db.exists():
            if not create:
                return None
            db.parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _is_missing(error: Exception) -> bool:
    code = getattr(error, "error_code", "")
    return code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE")


def aliases(mlflow_client, name: str) -> dict[str, str]:
    """alias -> version of a registered model; empty when it is not registered."""
    from mlflow.exceptions import MlflowException

    try:
        return {k: str(v) for k, v in mlflow_client.get_registered_model(name).aliases.items()}
    except MlflowException as error:
        if _is_missing(error):
            return {}
        raise


def register_version(
    cfg: AppConfig,
    model: TrainedModel,
    *,
    source: str,
    mlflow_run_id: str,
    run_id: str,
) -> RegisteredVersion:
    """Register a trained model (its run's ``model/`` folder) and point ``challenger`` at it.

    The first version of an entity also becomes ``champion``: scoring needs
    one, and there is nothing to compare it with. A model whose content is
    already registered keeps its version (training is deterministic, so a
    rerun changes nothing).
    """
    from mlflow.exceptions import MlflowException

    c = client(cfg, create=True)
    name = registered_model_name(cfg, model.entity)
    try:
        c.create_registered_model(
            name,
            tags={"entity": model.entity},
            description=f"Splink model JSON of the {model.entity} entity type (music-resolution)",
        )
    except MlflowException as error:
        if getattr(error, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
            raise
    same = c.search_model_versions(f"name = '{name}' and tags.{CONTENT_TAG} = '{model.version}'")
    if same:
        version = str(min(int(v.version) for v in same))
        logger.info("%s is already %s v%s", model.version, name, version)
    else:
        version = str(
            c.create_model_version(
                name,
                source=source,
                run_id=mlflow_run_id,
                tags={CONTENT_TAG: model.version, "entity": model.entity, "run_id": run_id},
                description=f"{model.version}, trained in run {run_id}",
            ).version
        )
    c.set_registered_model_alias(name, CHALLENGER, version)
    if CHAMPION not in aliases(c, name):
        c.set_registered_model_alias(name, CHAMPION, version)
    now = tuple(sorted(a for a, v in aliases(c, name).items() if v == version))
    logger.info("registered %s as %s v%s (@%s)", model.version, name, version, ", @".join(now))
    return RegisteredVersion(name=name, version=version, aliases=now)


def _registry_target(cfg: AppConfig, entity: str, ref: str) -> tuple[str, str, str | None] | None:
    """(registered model, version or None, alias or None) for a registry ref; None for a path."""
    if m := _MODELS_URI.match(ref):
        return m["name"], m["version"], m["alias"]
    if Path(ref).exists() or "/" in ref or ref.endswith(".json"):
        return None
    name = registered_model_name(cfg, entity)
    if m := _VERSION.match(ref):
        return name, m["version"], None
    if m := _ALIAS.match(ref):
        return name, None, m["alias"]
    return None


def load_model(
    cfg: AppConfig, entity: str, model_module: str, ref: str | None = None
) -> LoadedModel:
    """The model a job scores with, from a reference (see the module docstring).

    A model written in another SQL dialect (e.g. tuned on DuckDB) is
    re-rendered for Spark with the same parameters.
    """
    from splink_models.dialect import to_dialect

    loaded = _load(cfg, entity, ref or lifecycle(cfg).models.get(entity))
    if loaded.model.dialect != "spark":
        converted = to_dialect(loaded.model, "spark", module=model_module)
        loaded = LoadedModel(converted, loaded.source, loaded.registry_version)
    logger.info("%s model %s from %s", entity, loaded.model.version, loaded.source)
    return loaded


def _load(cfg: AppConfig, entity: str, ref: str | None) -> LoadedModel:
    if ref is None:
        c = client(cfg)
        name = registered_model_name(cfg, entity)
        champion = aliases(c, name).get(CHAMPION) if c is not None else None
        if champion is not None:
            return _from_registry(cfg, entity, name, champion, CHAMPION)
        if not (Path(cfg.paths.models_dir) / entity / "latest.json").exists():
            raise ModelNotFoundError(
                f"no trained {entity} model: {name} has no @{CHAMPION} and "
                f"{cfg.paths.models_dir} has no {entity} model; run `python -m jobs.train "
                f"--entity {entity}` first, or give a model"
            )
        return LoadedModel(TrainedModel.load(entity, cfg.paths.models_dir), cfg.paths.models_dir)
    target = _registry_target(cfg, entity, ref)
    if target is None:
        path = Path(ref)
        if not path.exists():
            raise ModelNotFoundError(
                f"model {ref!r}: no such file or folder (give a model JSON, a models folder, "
                "a registry version such as 3, or an alias such as @champion)"
            )
        return LoadedModel(TrainedModel.load(entity, str(path)), str(path))
    name, version, alias = target
    if alias is not None:
        c = client(cfg)
        known = aliases(c, name) if c is not None else {}
        if alias not in known:
            raise ModelNotFoundError(
                f"model {ref!r}: {name} has no alias {alias!r} (aliases: "
                + (", ".join(f"@{a} -> v{v}" for a, v in sorted(known.items())) or "none")
                + f"); train with `python -m jobs.train --entity {entity}` first"
            )
        version = known[alias]
    assert version is not None
    return _from_registry(cfg, entity, name, version, alias)


def _from_registry(
    cfg: AppConfig, entity: str, name: str, version: str, alias: str | None
) -> LoadedModel:
    import mlflow
    from mlflow.exceptions import MlflowException

    c = client(cfg)
    uri = f"models:/{name}/{version}"
    missing = ModelNotFoundError(f"model {uri}: not in the registry at {cfg.mlflow.tracking_uri}")
    if c is None:
        raise missing
    try:
        c.get_model_version(name, version)
    except MlflowException as error:
        if _is_missing(error):
            raise missing from None
        raise
    with tempfile.TemporaryDirectory(prefix="model-") as tmp:
        folder = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=uri,
                dst_path=tmp,
                tracking_uri=cfg.mlflow.tracking_uri,
                registry_uri=cfg.mlflow.tracking_uri,
            )
        )
        files = sorted(folder.glob("*.json")) if folder.is_dir() else [folder]
        if len(files) != 1:
            raise ResolutionError(f"{uri} holds {len(files)} JSON files; expected one model JSON")
        model = TrainedModel.load(entity, str(files[0]))
    label = f"{uri} (@{alias})" if alias else uri
    return LoadedModel(model, label, version)


def set_alias(cfg: AppConfig, entity: str, alias: str, version: str) -> None:
    c = client(cfg, create=True)
    c.set_registered_model_alias(registered_model_name(cfg, entity), alias, version)


def tag_version(cfg: AppConfig, entity: str, version: str, tags: Mapping[str, Any]) -> None:
    """Record facts about a version (e.g. a gate decision) as its tags."""
    c = client(cfg, create=True)
    name = registered_model_name(cfg, entity)
    for key, value in tags.items():
        c.set_model_version_tag(name, version, key, str(value))


def version_tags(cfg: AppConfig, entity: str, version: str) -> dict[str, str]:
    c = client(cfg)
    if c is None:
        return {}
    return dict(c.get_model_version(registered_model_name(cfg, entity), version).tags)


def registry_aliases(cfg: AppConfig, entity: str) -> dict[str, str]:
    """alias -> version of the entity's registered model (empty: nothing registered)."""
    c = client(cfg)
    return aliases(c, registered_model_name(cfg, entity)) if c is not None else {}
