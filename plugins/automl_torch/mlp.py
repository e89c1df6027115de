"""Scikit-learn estimators wrapping a PyTorch multi-layer perceptron.

:class:`TorchMLPClassifier` and :class:`TorchMLPRegressor` train a ReLU network with AdamW and
early stopping on an internal validation split, restoring the weights of the best epoch.

* Determinism: a fixed ``random_state`` gives identical fits on CPU. Weight initialisation and
  dropout draw from torch's global generator, seeded inside a forked RNG state (the caller's
  global RNG is left untouched); mini-batch shuffling uses its own ``torch.Generator``.
* Threads: fit and predict run torch on one thread (trials run in parallel processes), unless
  ``AUTOML_TORCH_THREADS`` sets a count, or ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` is set
  (then torch's own setting is kept). The previous setting is restored afterwards.
* Time limit: with ``max_time`` (seconds), training stops after the epoch that reaches it and
  keeps the best epoch's weights (``timed_out_`` says so). An automl run's final refit passes
  the time it has left: the epochs early stopping needs on every row are not those of a fold.
* Persistence: pickling stores the architecture and the weights as numpy arrays, never a torch
  module or tensor; unpickling rebuilds the network on the CPU.

torch is imported inside the methods, so this module imports without it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

THREADS_ENV = "AUTOML_TORCH_THREADS"
MIN_VALIDATION_ROWS = 20
"""With fewer rows (or a class with fewer than 2 rows) there is no validation split."""
SMALL_DATA_EPOCHS = 100
"""Epochs trained (at most ``max_epochs``) when there is no validation split."""
TOLERANCE = 1e-4
"""Least decrease of the validation loss that counts as an improvement."""
PREDICT_BATCH = 8192
_WEIGHTS_KEY = "_weights"


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is installed where tests run
        raise ImportError(
            "the mlp model needs PyTorch, which is not installed: pip install 'automl[torch]'"
        ) from exc
    return torch


def _thread_count() -> int | None:
    """Threads torch should use, or ``None`` to keep its own setting."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if value:
        try:
            count = int(value)
        except ValueError:
            raise ValueError(f"{THREADS_ENV} must be a positive integer, got {value!r}") from None
        if count < 1:
            raise ValueError(f"{THREADS_ENV} must be a positive integer, got {value!r}")
        return count
    if os.environ.get("OMP_NUM_THREADS") or os.environ.get("MKL_NUM_THREADS"):
        return None
    return 1


@contextmanager
def _torch_threads(torch: Any) -> Iterator[None]:
    wanted = _thread_count()
    previous = torch.get_num_threads()
    if wanted is None or wanted == previous:
        yield
        return
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _build_network(torch: Any, architecture: dict[str, Any]) -> Any:
    """A ``Sequential`` of (Linear, ReLU, Dropout) blocks and a Linear output layer."""
    nn = torch.nn
    layers: list[Any] = []
    width_in = architecture["n_inputs"]
    for width in architecture["hidden"]:
        # Dropout(0) is the identity; keeping it makes the state_dict keys independent of p.
        layers += [nn.Linear(width_in, width), nn.ReLU(), nn.Dropout(architecture["dropout"])]
        width_in = width
    layers.append(nn.Linear(width_in, architecture["n_outputs"]))
    return nn.Sequential(*layers)


def _resolve_device(torch: Any, device: str) -> Any:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but PyTorch sees no CUDA device; use 'auto' or 'cpu'")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    return torch.device(device)


class _BaseTorchMLP(BaseEstimator):
    """Shared fitting, prediction and persistence; subclasses define the task."""

    _classification = False

    def __init__(
        self,
        *,
        n_layers: int = 2,
        width: int = 128,
        dropout: float = 0.1,
        weight_decay: float = 1e-4,
        learning_rate: float = 1e-3,
        batch_size: int = 128,
        max_epochs: int = 200,
        patience: int = 10,
        validation_fraction: float = 0.1,
        device: str = "auto",
        random_state: int | None = None,
        max_time: float | None = None,
    ) -> None:
        self.n_layers = n_layers
        self.width = width
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.max_time = max_time

    # -- task-specific hooks -----------------------------------------------------------------

    def _encode_targets(self, y: Any) -> tuple[np.ndarray, int]:
        """Targets for the loss and the number of network outputs."""
        raise NotImplementedError

    def _loss(self, torch: Any) -> Any:
        raise NotImplementedError

    def _target_tensor(self, torch: Any, y: np.ndarray) -> Any:
        raise NotImplementedError

    # -- fitting -----------------------------------------------------------------------------

    def _split(self, y_encoded: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Row indices for training and validation, or ``None`` when data are too few."""
        n_rows = len(y_encoded)
        if n_rows < MIN_VALIDATION_ROWS:
            return None
        indices = np.arange(n_rows)
        n_validation = math.ceil(self.validation_fraction * n_rows)
        stratify = None
        if self._classification:
            counts = np.bincount(y_encoded)
            if counts.min() < 2:
                return None
            n_validation = max(n_validation, len(counts))
            stratify = y_encoded
        if n_validation >= n_rows:
            return None
        train, validation = train_test_split(
            indices, test_size=n_validation, random_state=seed, stratify=stratify
        )
        return np.sort(train), np.sort(validation)

    def fit(self, X: Any, y: Any) -> _BaseTorchMLP:
        """Train the network; returns ``self``."""
        torch = _import_torch()
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=not self._classification)
        y_encoded, n_outputs = self._encode_targets(y)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        device = _resolve_device(torch, self.device)
        self.architecture_ = {
            "n_inputs": int(X.shape[1]),
            "hidden": [int(self.width)] * int(self.n_layers),
            "n_outputs": int(n_outputs),
            "dropout": float(self.dropout),
        }
        split = self._split(y_encoded, seed)
        cuda_devices = [device.index or 0] if device.type == "cuda" else []
        with _torch_threads(torch), torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(seed)
            network = _build_network(torch, self.architecture_).to(device)
            x_all = torch.from_numpy(np.ascontiguousarray(X)).to(device)
            y_all = self._target_tensor(torch, y_encoded).to(device)
            if split is None:
                train_x, train_y, validation = x_all, y_all, None
                epochs = min(int(self.max_epochs), SMALL_DATA_EPOCHS)
            else:
                train_index = torch.from_numpy(split[0]).to(device)
                validation_index = torch.from_numpy(split[1]).to(device)
                train_x, train_y = x_all[train_index], y_all[train_index]
                validation = (x_all[validation_index], y_all[validation_index])
                epochs = int(self.max_epochs)
            self._train(
                torch,
                network,
                train=(train_x, train_y),
                validation=validation,
                epochs=epochs,
                seed=seed,
            )
        network.eval()
        self.module_ = network
        self.device_ = str(device)
        return self

    def _train(
        self,
        torch: Any,
        network: Any,
        *,
        train: tuple[Any, Any],
        validation: tuple[Any, Any] | None,
        epochs: int,
        seed: int,
    ) -> None:
        """AdamW on mini-batches; early stopping on ``validation`` when given."""
        loss_fn = self._loss(torch)
        # The fused kernel updates every parameter in one call: the same AdamW step, about
        # twice as fast per mini-batch on a CPU as the default loop over parameters.
        optimizer = torch.optim.AdamW(
            network.parameters(),
            lr=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
            fused=True,
        )
        generator = torch.Generator(device="cpu")
        generator.manual_seed(seed)
        best_loss = math.inf
        best_state: dict[str, Any] | None = None
        stale = 0
        self.train_loss_curve_: list[float] = []
        self.validation_loss_curve_: list[float] = []
        epoch = 0
        # With max_time, training ends after the epoch that reaches it (the best epoch's
        # weights kept): an automl run's refit passes the seconds it has left.
        ends = None if self.max_time is None else time.monotonic() + float(self.max_time)
        self.timed_out_ = False
        for epoch in range(1, epochs + 1):
            self.train_loss_curve_.append(
                self._epoch(torch, network, optimizer, loss_fn, train, generator)
            )
            self.timed_out_ = ends is not None and time.monotonic() >= ends and epoch < epochs
            if validation is None:
                if self.timed_out_:
                    break
                continue
            network.eval()
            with torch.inference_mode():
                validation_loss = float(loss_fn(network(validation[0]), validation[1]))
            self.validation_loss_curve_.append(validation_loss)
            if validation_loss < best_loss - TOLERANCE:
                best_loss = validation_loss
                best_state = {k: v.detach().clone() for k, v in network.state_dict().items()}
                self.best_epoch_ = epoch
                stale = 0
            else:
                stale += 1
                if stale >= self.patience:
                    break
            if self.timed_out_:
                break
        self.n_epochs_ = epoch
        if best_state is None:
            self.best_epoch_ = epoch
        else:
            network.load_state_dict(best_state)

    def _epoch(
        self,
        torch: Any,
        network: Any,
        optimizer: Any,
        loss_fn: Any,
        train: tuple[Any, Any],
        generator: Any,
    ) -> float:
        """A pass over the training rows in shuffled mini-batches: the mean loss."""
        train_x, train_y = train
        network.train()
        n_rows = train_x.shape[0]
        batch_size = max(1, min(int(self.batch_size), n_rows))
        order = torch.randperm(n_rows, generator=generator).to(train_x.device)
        total = 0.0
        for start in range(0, n_rows, batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(network(train_x[batch]), train_y[batch])
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(batch)
        return total / n_rows

    # -- prediction --------------------------------------------------------------------------

    def _forward(self, X: Any) -> np.ndarray:
        """Raw network outputs (float64) for ``X``."""
        check_is_fitted(self, "module_")
        torch = _import_torch()
        X = validate_data(self, X, dtype=np.float32, reset=False)
        device = torch.device(self.device_)
        outputs = []
        self.module_.eval()
        with _torch_threads(torch), torch.inference_mode():
            for start in range(0, X.shape[0], PREDICT_BATCH):
                chunk = torch.from_numpy(np.ascontiguousarray(X[start : start + PREDICT_BATCH]))
                outputs.append(self.module_(chunk.to(device)).cpu().numpy().astype(np.float64))
        return np.concatenate(outputs)

    # -- persistence -------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        module = state.pop("module_", None)
        if module is not None:
            state[_WEIGHTS_KEY] = {
                name: tensor.detach().cpu().numpy().copy()
                for name, tensor in module.state_dict().items()
            }
            state["device_"] = "cpu"
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        weights = state.pop(_WEIGHTS_KEY, None)
        super().__setstate__(state)
        if weights is not None:
            torch = _import_torch()
            network = _build_network(torch, self.architecture_)
            network.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in weights.items()})
            network.eval()
            self.module_ = network


class TorchMLPClassifier(ClassifierMixin, _BaseTorchMLP):
    """A PyTorch MLP classifier (cross-entropy loss) with a scikit-learn interface.

    Attributes:
        classes_: The sorted class labels, as given to :meth:`fit`.
        n_epochs_: Epochs actually trained.
        best_epoch_: The epoch whose weights were kept (lowest validation loss).
        module_: The fitted ``torch.nn.Sequential``.
    """

    _classification = True

    def _encode_targets(self, y: Any) -> tuple[np.ndarray, int]:
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        return encoded.astype(np.int64), len(self.classes_)

    def _loss(self, torch: Any) -> Any:
        return torch.nn.CrossEntropyLoss()

    def _target_tensor(self, torch: Any, y: np.ndarray) -> Any:
        return torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of :attr:`classes_`."""
        logits = self._forward(X)
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label of each row."""
        logits = self._forward(X)
        return self.classes_[np.argmax(logits, axis=1)]


class TorchMLPRegressor(RegressorMixin, _BaseTorchMLP):
    """A PyTorch MLP regressor (MSE on the standardised target) with a scikit-learn interface.

    Attributes:
        y_mean_, y_scale_: The target's standardisation, undone by :meth:`predict`.
        n_epochs_: Epochs actually trained.
        best_epoch_: The epoch whose weights were kept (lowest validation loss).
        module_: The fitted ``torch.nn.Sequential``.
    """

    def _encode_targets(self, y: Any) -> tuple[np.ndarray, int]:
        y = np.asarray(y, dtype=np.float64)
        self.y_mean_ = float(y.mean())
        scale = float(y.std())
        self.y_scale_ = scale if scale > 0 and math.isfinite(scale) else 1.0
        return (y - self.y_mean_) / self.y_scale_, 1

    def _loss(self, torch: Any) -> Any:
        return torch.nn.MSELoss()

    def _target_tensor(self, torch: Any, y: np.ndarray) -> Any:
        return torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32).reshape(-1, 1))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted target values, on the original scale."""
        return self._forward(X)[:, 0] * self.y_scale_ + self.y_mean_
