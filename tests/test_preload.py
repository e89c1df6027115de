"""The models that may be refitted in the run's own process are prepared in the background
during the search (their libraries imported, their warm-up called), so that the refits after it
do not pay for that (a network's first refit there took 6.0 s for 0.4 s planned)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from automl.runner.preload import Preloader
from automl.specs import ModelSpec


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _spec(name: str, requires: tuple[str, ...] = (), warmup: Any = None) -> ModelSpec:
    return ModelSpec(
        name=name, description="A model", factory=_noop, requires=requires, warmup=warmup
    )


@pytest.fixture
def fresh_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module of this test's own, not imported yet."""
    name = f"automl_preload_probe_{id(tmp_path)}"
    (tmp_path / f"{name}.py").write_text("LOADED = True\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_a_model_is_prepared_once_in_the_background(fresh_module: str) -> None:
    calls: list[bool] = []

    def warm() -> None:  # runs after the import
        calls.append(sys.modules[fresh_module].LOADED)

    specs = {"net": _spec("net", (fresh_module,), warm), "plain": _spec("plain")}
    preload = Preloader(specs, maximize=True)
    assert fresh_module not in sys.modules
    preload.add("net", "net")  # asked twice: prepared once
    preload.add("net")
    preload.add("plain")  # nothing to import, no warm-up: no thread
    preload.add("unknown")  # a model the run does not know: nothing
    assert len(preload.threads) == 1
    assert preload.threads[0].daemon
    preload.threads[0].join(timeout=10)
    assert sys.modules[fresh_module].LOADED
    assert calls == [True]


def test_wait_returns_once_every_preparation_has_ended() -> None:
    """The search waits before the refits: a warm-up draws from PyTorch's global generator,
    which a network's refit seeds and draws from too."""
    import threading

    release = threading.Event()
    done: list[str] = []

    def slow() -> None:
        release.wait(timeout=10)
        done.append("warm")

    preload = Preloader({"net": _spec("net", (), slow)}, maximize=True)
    preload.add("net")
    assert done == []
    threading.Timer(0.2, release.set).start()
    preload.wait()
    assert done == ["warm"]


@pytest.mark.parametrize("maximize", [True, False])
def test_only_the_best_complete_trial_so_far_prepares_its_model(
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


def test_a_model_that_cannot_be_prepared_is_left_to_its_refit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> None:
        raise RuntimeError("no device")

    specs = {
        "missing": _spec("missing", ("automl_no_such_module",)),
        "net": _spec("net", (), broken),
    }
    preload = Preloader(specs, maximize=True)
    with caplog.at_level(logging.DEBUG, logger="automl.runner.preload"):
        preload.add("missing", "net")
        for thread in preload.threads:
            thread.join(timeout=10)
    assert "Could not prepare missing ahead of its refit: ModuleNotFoundError" in caplog.text
    assert "Could not prepare net ahead of its refit: RuntimeError: no device" in caplog.text


def test_the_network_warms_up_pytorch() -> None:
    """The mlp's warm-up runs a tiny fit: the first training step's set-up is paid there."""
    pytest.importorskip("torch")
    from automl_torch import warm_up

    warm_up()  # raises if it cannot train
