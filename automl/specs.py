"""The frozen records a plugin returns from its registration hooks.

A plugin contributes *components* of four kinds. Each kind is one record type:

================  =====================  ====================================================
kind              record                 what ``factory`` is
================  =====================  ====================================================
data source       :class:`DataSourceSpec` ``factory(params, context) -> pandas.DataFrame``
model             :class:`ModelSpec`      ``factory(params, *, task, seed) -> estimator``
metric            :class:`MetricSpec`     ``factory(y_true, y_pred, *, labels) -> float``
deployer          :class:`DeployerSpec`   ``factory(package_dir, params) -> str`` (where it went)
================  =====================  ====================================================

``params`` is a pydantic model (a subclass of :class:`Params`) describing the component's
options as written in a recipe; automl validates the recipe's values with it and hands the
validated instance to ``factory``. Records check themselves when created, so a mistake in a
plugin is reported as soon as the plugin is discovered, naming the plugin.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

# Task and Params live in their own modules; re-exported here, where plugin records use them.
from automl.params import NoParams, Params, ParamSampler
from automl.tasks import ALL_TASKS, CLASSIFICATION_TASKS, Task

API_VERSION = 2
"""The plugin API version this automl implements. Records declare the version they target.

Version 2 gives the observer hooks typed records (``automl_after_trial`` a
:class:`~automl.records.TrialRecord`, ``automl_after_run`` a :class:`~automl.records.RunSummary`)
instead of mappings; registration records are unchanged, so version 1 records still load."""

SUPPORTED_API_VERSIONS = frozenset({1, 2})

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
"""Component and plugin names: lowercase ASCII letters, digits and underscores, letter first."""

Direction = Literal["maximize", "minimize"]
"""Which way a metric (and a study optimising it) is better."""


class ComponentKind(enum.StrEnum):
    """The four kinds of component a plugin can register."""

    DATA_SOURCE = "data_source"
    MODEL = "model"
    METRIC = "metric"
    DEPLOYER = "deployer"

    @property
    def label(self) -> str:
        """Human wording, e.g. ``data source``."""
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class SourceContext:
    """What a data source gets besides its parameters.

    Attributes:
        base_dir: The folder of the recipe file; relative paths in parameters resolve against it.
    """

    base_dir: Path

    def resolve_path(self, path: str | Path) -> Path:
        """Return ``path`` made absolute against :attr:`base_dir` (``~`` is expanded)."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate


@dataclass(frozen=True, kw_only=True)
class ComponentSpec:
    """Fields shared by every component record.

    Attributes:
        name: Unique name within its kind, as written in recipes (``[a-z][a-z0-9_]*``).
        description: One line shown by ``automl plugins``.
        factory: Builds or runs the component; its signature depends on the kind.
        tasks: The tasks the component supports (default: all).
        params: Pydantic model of the component's parameters (a :class:`Params` subclass).
        api_version: The plugin API version the record was written for.
        requires: Top-level modules the component imports when used (``("lightgbm",)``).
            Discovery checks that each can be found, without importing it; when one is
            missing the component is listed as unavailable and a recipe naming it is told
            what to install.
        install: What to ``pip install`` to get :attr:`requires` (``"automl[lightgbm]"``);
            ``None`` suggests the missing module names themselves.
    """

    kind: ClassVar[ComponentKind]

    name: str
    description: str
    factory: Callable[..., Any]
    tasks: frozenset[Task] = field(default=ALL_TASKS)
    params: type[Params] = NoParams
    api_version: int = API_VERSION
    requires: tuple[str, ...] = ()
    install: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not NAME_PATTERN.fullmatch(self.name):
            raise ValueError(
                f"{self.kind.label} name {self.name!r} is invalid: names are lowercase letters, "
                "digits and underscores, starting with a letter (e.g. 'random_forest')"
            )
        if not isinstance(self.description, str) or not self.description.strip():
            raise ValueError(f"{self.kind.label} {self.name!r} needs a non-empty description")
        if not callable(self.factory):
            raise TypeError(
                f"{self.kind.label} {self.name!r}: factory must be callable, "
                f"got {type(self.factory).__name__}"
            )
        tasks = frozenset(Task(task) for task in self.tasks)
        if not tasks:
            raise ValueError(f"{self.kind.label} {self.name!r} supports no task")
        object.__setattr__(self, "tasks", tasks)
        _check_params_model(self)
        _check_requirements(self)
        if self.api_version not in SUPPORTED_API_VERSIONS:
            raise ValueError(
                f"{self.kind.label} {self.name!r} targets plugin API version "
                f"{self.api_version!r}; this automl supports {sorted(SUPPORTED_API_VERSIONS)}. "
                "Upgrade automl or install a plugin release made for it."
            )

    def supports(self, task: Task | str) -> bool:
        """Whether the component can be used for ``task``."""
        return Task(task) in self.tasks


def _check_requirements(spec: ComponentSpec) -> None:
    requires = spec.requires
    if not isinstance(requires, tuple | list) or not all(
        isinstance(module, str) and module.isidentifier() for module in requires
    ):
        raise TypeError(
            f"{spec.kind.label} {spec.name!r}: requires must be a tuple of top-level module "
            f"names, e.g. ('lightgbm',), got {requires!r}"
        )
    object.__setattr__(spec, "requires", tuple(requires))
    if spec.install is not None and (not isinstance(spec.install, str) or not spec.install.strip()):
        raise ValueError(
            f"{spec.kind.label} {spec.name!r}: install must be a non-empty pip requirement "
            f"such as 'automl-foo[gpu]', or None; got {spec.install!r}"
        )


def _check_params_model(spec: ComponentSpec) -> None:
    model = spec.params
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(
            f"{spec.kind.label} {spec.name!r}: params must be a pydantic model class "
            f"(subclass automl.Params), got {model!r}"
        )
    if model.model_config.get("extra") != "forbid":
        raise TypeError(
            f"{spec.kind.label} {spec.name!r}: params model {model.__name__} must forbid "
            "unknown keys (subclass automl.Params, or set model_config extra='forbid')"
        )
    if "type" in model.model_fields:
        raise TypeError(
            f"{spec.kind.label} {spec.name!r}: params model {model.__name__} may not have a "
            "field named 'type'; in a recipe, 'type' names the component"
        )


@dataclass(frozen=True, kw_only=True)
class DataSourceSpec(ComponentSpec):
    """A data source: ``factory(params, context: SourceContext) -> pandas.DataFrame``."""

    kind: ClassVar[ComponentKind] = ComponentKind.DATA_SOURCE


@dataclass(frozen=True, kw_only=True)
class ModelSpec(ComponentSpec):
    """A model: ``factory(params, *, task, seed) -> scikit-learn-compatible estimator``.

    The estimator receives the preprocessed feature matrix (numbers only: missing values imputed,
    categories encoded; scaled when :attr:`needs_scaling`). The params model's defaults are the
    model's default configuration, tried first by every search.

    Attributes:
        search_space: ``search_space(sampler, task)`` suggests the searched parameters through
            a :class:`ParamSampler`; ``None`` searches nothing (only the defaults run).
        cost: Relative training cost (1 = a linear model); cheaper defaults are tried first.
        refit_cost: The final fit on every training row, relative to a cross-validation fold's
            fit on as many rows: 2 for an estimator with ``refit_full`` (it early-stops, then
            fits again on every row). Under a time budget, ``refit_full`` is turned on only
            when the time left allows this much.
        needs_scaling: Whether numeric features must be standardised for this model.
        warmup: Called once in a background thread of the run's own process, after its
            :attr:`requires` are imported there, when the model may be refitted: what its
            library sets up on first use (a network's first step took 1.6 s more than later).
        cpus: CPUs one trial uses (for scheduling trials on Ray).
        gpus: GPUs one trial can use when the cluster has them.
    """

    kind: ClassVar[ComponentKind] = ComponentKind.MODEL

    search_space: Callable[[ParamSampler, Task], None] | None = None
    cost: float = 1.0
    refit_cost: float = 1.0
    needs_scaling: bool = False
    warmup: Callable[[], object] | None = None
    cpus: float = 1.0
    gpus: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.search_space is not None and not callable(self.search_space):
            raise TypeError(f"model {self.name!r}: search_space must be callable or None")
        for name in ("cost", "refit_cost"):
            if not getattr(self, name) > 0:
                raise ValueError(
                    f"model {self.name!r}: {name} must be > 0, got {getattr(self, name)!r}"
                )
        if self.warmup is not None and not callable(self.warmup):
            raise TypeError(f"model {self.name!r}: warmup must be callable or None")
        if self.cpus <= 0 or self.gpus < 0:
            raise ValueError(
                f"model {self.name!r}: cpus must be > 0 and gpus >= 0, got cpus={self.cpus}, gpus={self.gpus}"
            )


@dataclass(frozen=True, kw_only=True)
class MetricSpec(ComponentSpec):
    """A metric: ``factory(y_true, y_pred, *, labels) -> float``.

    ``y_pred`` holds predicted labels (or values, for regression), or, when
    :attr:`needs_proba` is true, class probabilities of shape ``(n_rows, n_classes)`` with
    columns in the order of ``labels`` (the sorted class labels; ``None`` for regression).

    Attributes:
        direction: ``"maximize"`` if larger is better, else ``"minimize"``.
        needs_proba: Whether the metric scores probabilities rather than labels.
    """

    kind: ClassVar[ComponentKind] = ComponentKind.METRIC

    direction: Direction
    needs_proba: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.direction not in ("maximize", "minimize"):
            raise ValueError(
                f"metric {self.name!r}: direction must be 'maximize' or 'minimize', "
                f"got {self.direction!r}"
            )

    @property
    def greater_is_better(self) -> bool:
        """True when larger values are better."""
        return self.direction == "maximize"


@dataclass(frozen=True, kw_only=True)
class DeployerSpec(ComponentSpec):
    """A deployer: ``factory(package_dir: Path, params) -> str`` returns where the model lives."""

    kind: ClassVar[ComponentKind] = ComponentKind.DEPLOYER


SPEC_TYPES: dict[ComponentKind, type[ComponentSpec]] = {
    ComponentKind.DATA_SOURCE: DataSourceSpec,
    ComponentKind.MODEL: ModelSpec,
    ComponentKind.METRIC: MetricSpec,
    ComponentKind.DEPLOYER: DeployerSpec,
}

__all__ = [
    "ALL_TASKS",
    "API_VERSION",
    "CLASSIFICATION_TASKS",
    "NAME_PATTERN",
    "SPEC_TYPES",
    "ComponentKind",
    "ComponentSpec",
    "DataSourceSpec",
    "DeployerSpec",
    "Direction",
    "MetricSpec",
    "ModelSpec",
    "NoParams",
    "ParamSampler",
    "Params",
    "SourceContext",
    "Task",
]
