"""The model check: defaults, search space and estimator of a :class:`~automl.ModelSpec`."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from automl.specs import ModelSpec, Task

if TYPE_CHECKING:
    import numpy as np

    from automl.params import Params

__all__ = ["check_model_spec"]


def _toy_data(task: Task, seed: int = 0, rows: int = 120) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4))
    signal = x[:, 0] + 0.5 * x[:, 1]
    if task is Task.REGRESSION:
        return x, signal + rng.normal(scale=0.1, size=rows)
    if task is Task.BINARY:
        return x, (signal > 0).astype(int)
    return x, np.digitize(signal, [-0.5, 0.5])


def check_model_spec(spec: ModelSpec, *, trials: int = 4, seed: int = 0) -> None:
    """Check a model record: its defaults, its search space and its estimator, for every task.

    For each task the model supports: the default parameters lie inside the search space, and
    the default configuration and ``trials`` sampled ones build estimators that fit, predict
    (and, for classification, give probabilities of the right shape) on a small toy data set.
    """
    import optuna

    from automl.search.space import TrialParamSampler, optuna_name

    assert isinstance(spec, ModelSpec), f"expected a ModelSpec, got {type(spec).__name__}"
    defaults = spec.params()
    fields = type(defaults).model_fields
    for task in sorted(spec.tasks):
        x, y = _toy_data(task, seed)
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        study.enqueue_trial(
            {
                optuna_name(spec.name, k): v
                for k, v in defaults.model_dump().items()
                if v is None or isinstance(v, bool | int | float | str)
            }
        )
        for number in range(trials + 1):
            trial = study.ask()
            sampler = TrialParamSampler(trial, spec.name, fields)
            with warnings.catch_warnings():
                # Optuna warns when an enqueued (default) value lies outside the space.
                warnings.simplefilter("error")
                if spec.search_space is not None:
                    try:
                        spec.search_space(sampler, task)
                    except ValueError as exc:  # e.g. a name that is not a params field
                        raise AssertionError(f"{spec.name}: search_space: {exc}") from exc
                    except UserWarning as exc:  # e.g. Optuna's, for a default outside the space
                        what = "defaults outside the search space" if number == 0 else "warning"
                        raise AssertionError(f"{spec.name}: {what}: {exc}") from exc
            values = sampler.finish()
            params = spec.params.model_validate(values)
            if number == 0:
                differing = {
                    name: (value, getattr(defaults, name))
                    for name, value in values.items()
                    if value != getattr(defaults, name)
                }
                assert not differing, f"{spec.name}: defaults outside the search space: {differing}"
            _check_estimator(spec, params, task, seed, x, y)
            study.tell(trial, 0.0)


def _check_estimator(
    spec: ModelSpec, params: Params, task: Task, seed: int, x: np.ndarray, y: np.ndarray
) -> None:
    import numpy as np

    estimator = spec.factory(params, task=task, seed=seed)
    for method in ("fit", "predict"):
        assert hasattr(estimator, method), f"{spec.name}: the estimator has no {method}()"
    estimator.fit(x, y)
    predictions = np.asarray(estimator.predict(x))
    assert predictions.shape == (len(y),), f"{spec.name}: predict() gave shape {predictions.shape}"
    if task is not Task.REGRESSION:
        assert hasattr(estimator, "predict_proba"), (
            f"{spec.name}: a classifier needs predict_proba()"
        )
        proba = np.asarray(estimator.predict_proba(x))
        classes = len(np.unique(y))
        assert proba.shape == (len(y), classes), (
            f"{spec.name}: predict_proba() gave shape {proba.shape}"
        )
        assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-4), (
            f"{spec.name}: probabilities do not sum to 1"
        )
        assert set(np.unique(predictions)) <= set(np.unique(y)), (
            f"{spec.name}: predicted unknown labels"
        )
    else:
        assert np.all(np.isfinite(predictions)), f"{spec.name}: non-finite predictions"
