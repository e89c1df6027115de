"""Builtin model backed by PyTorch: ``mlp``, a multi-layer perceptron.

Registered through the ``automl`` entry-point group like any third-party plugin. Importing this
package imports neither torch nor numpy nor scikit-learn, so discovery stays fast; they load
when the factory builds an estimator (see :mod:`automl_torch.mlp`). torch itself is the
``torch`` extra of automl (``pip install "automl[torch]"``); without it the model is listed as
unavailable, with that line.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Literal

from pydantic import Field

from automl import ModelSpec, Params, ParamSampler, Task, hookimpl

BATCH_SIZES = (32, 64, 128, 256)


class MLPParams(Params):
    """What a recipe may set under ``models: [{type: mlp, params: {...}}]``."""

    n_layers: int = Field(default=2, ge=1, le=8, description="Number of hidden layers")
    width: int = Field(default=128, ge=1, le=4096, description="Units in each hidden layer")
    dropout: float = Field(
        default=0.1, ge=0.0, lt=1.0, description="Dropout after each hidden layer"
    )
    weight_decay: float = Field(default=1e-4, ge=0.0, description="AdamW weight decay")
    learning_rate: float = Field(default=1e-3, gt=0.0, le=1.0, description="AdamW learning rate")
    batch_size: int = Field(default=128, ge=1, description="Rows per mini-batch")
    max_epochs: int = Field(default=200, ge=1, description="Most passes over the training rows")
    patience: int = Field(
        default=10, ge=1, description="Epochs without validation improvement before stopping"
    )
    validation_fraction: float = Field(
        default=0.1, gt=0.0, lt=0.5, description="Share of rows held out for early stopping"
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where to train: 'auto' uses CUDA when available"
    )


def mlp_search_space(sampler: ParamSampler, task: Task) -> None:
    """The searched parameters; every default of :class:`MLPParams` lies inside."""
    sampler.suggest_int("n_layers", 1, 3)
    sampler.suggest_int("width", 16, 512, log=True)
    sampler.suggest_float("dropout", 0.0, 0.5)
    sampler.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
    sampler.suggest_float("learning_rate", 1e-4, 1e-1, log=True)
    sampler.suggest_categorical("batch_size", list(BATCH_SIZES))


def build_mlp(params: MLPParams, *, task: Task, seed: int) -> Any:
    """An unfitted :class:`~automl_torch.mlp.TorchMLPClassifier` or ``TorchMLPRegressor``."""
    if importlib.util.find_spec("torch") is None:
        # Discovery checks `requires`; this is for a worker (a Ray node) installed without it.
        raise ImportError(
            "model 'mlp' needs PyTorch, which is not installed: pip install \"automl[torch]\""
        )
    from automl_torch.mlp import TorchMLPClassifier, TorchMLPRegressor

    estimator = TorchMLPRegressor if Task(task) is Task.REGRESSION else TorchMLPClassifier
    return estimator(**params.model_dump(), random_state=seed)


def warm_up() -> None:
    """What PyTorch sets up on a network's first training step (its kernels, autograd, the
    fused optimizer): a first fit of 560 rows took 2.0 s, the next 0.3 s. A run calls this in
    the background before it may refit the network in its own process."""
    import numpy as np

    from automl_torch.mlp import TorchMLPRegressor

    rows = np.random.default_rng(0).normal(size=(64, 4))
    TorchMLPRegressor(width=8, max_epochs=2, random_state=0).fit(rows, rows[:, 0])


@hookimpl
def automl_register_models() -> list[ModelSpec]:
    """The PyTorch multi-layer perceptron (unavailable without the ``torch`` extra)."""
    return [
        ModelSpec(
            name="mlp",
            description="Multi-layer perceptron (PyTorch, AdamW, early stopping)",
            factory=build_mlp,
            tasks=frozenset({Task.BINARY, Task.MULTICLASS, Task.REGRESSION}),
            params=MLPParams,
            search_space=mlp_search_space,
            # Early stopping and `max_time` bound it: on the suite's largest data it cost as
            # much per fold as extra trees (pol: 5.1 s against 4.5 s) or half (house_16H:
            # 7.1 s against 14.9 s; a random forest took 8.6 s and 46 s). Cheaper defaults run
            # first, so this places its first trial before the bagged trees', where a short
            # budget on large data still finishes it.
            cost=5.5,
            needs_scaling=True,
            cpus=1.0,
            gpus=1.0,
            requires=("torch",),
            install="automl[torch]",
            warmup=warm_up,
        )
    ]
