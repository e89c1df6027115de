"""The libraries of models that may be refitted are imported in the background during the
search, so that the refits after it do not pay for the import (a network's first refit in the
driver took 6.0 s for 0.4 s planned, PyTorch's import included)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from automl.runner.preload import Preloader
from automl.specs import ModelSpec


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _spec(name: str, imports: tuple[str, ...]) -> ModelSpec:
    return ModelSpec(name=name, description="A model", factory=_noop, imports=imports)


@pytest.fixture
def slow_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module of this test's own, not imported yet."""
    name = f"automl_preload_probe_{id(tmp_path)}"
    (tmp_path / f"{name}.py").write_text("LOADED = True\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_a_models_modules_are_imported_once_in_the_background(slow_module: str) -> None:
    preload = Preloader(
        {"net": _spec("net", (slow_module,)), "plain": _spec("plain", ())}, maximize=True
    )
    assert slow_module not in sys.modules
    preload.add("net", "net")  # asked twice: one import
    preload.add("plain")  # nothing to import
    preload.add("unknown")  # a model the run does not know: nothing
    assert len(preload.threads) == 1
    assert preload.threads[0].daemon
    preload.threads[0].join(timeout=10)
    assert sys.modules[slow_module].LOADED


@pytest.mark.parametrize("maximize", [True, False])
def test_only_the_best_complete_trial_so_far_imports_its_models_modules(
    maximize: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from automl.records import TrialRecord, TrialState

    preload = Preloader({}, maximize=maximize)
    asked: list[str] = []
    monkeypatch.setattr(preload, "add", lambda *models: asked.extend(models))
    sign = 1 if maximize else -1

    def record(number: int, model: str, value: float | None, state: TrialState) -> TrialRecord:
        return TrialRecord(number=number, state=state, model=model, params={}, value=value)

    preload.observe(record(0, "linear", sign * 0.5, TrialState.COMPLETE))
    preload.observe(record(1, "forest", sign * 0.4, TrialState.COMPLETE))  # worse
    preload.observe(record(2, "net", sign * 0.9, TrialState.PRUNED))  # not complete
    preload.observe(record(3, "boost", None, TrialState.FAILED))
    preload.observe(record(4, "net", sign * 0.7, TrialState.COMPLETE))  # the best so far
    assert asked == ["linear", "net"]


def test_a_module_that_does_not_import_is_left_to_the_refit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    preload = Preloader({"net": _spec("net", ("automl_no_such_module_anywhere",))}, maximize=True)
    with caplog.at_level(logging.DEBUG, logger="automl.runner.preload"):
        preload.add("net")
        preload.threads[0].join(timeout=10)
    assert "Could not import automl_no_such_module_anywhere ahead of the refit" in caplog.text


def test_the_builtin_boosters_and_network_name_their_libraries() -> None:
    from automl.registry import PluginRegistry
    from automl.specs import ComponentKind

    registry = PluginRegistry()
    registry.load_entry_points()
    imports = {
        name: registry.get(ComponentKind.MODEL, name).spec.imports
        for name in ("lightgbm", "xgboost", "catboost", "mlp")
        if name in registry.names(ComponentKind.MODEL)
    }
    for name, modules in imports.items():
        assert modules == ({"mlp": "torch"}.get(name, name),)
