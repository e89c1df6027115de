"""What the benchmark scripts share: reading a dataset, the fixed train/test splits, writing and
loading a recipe, reading a finished run, and scoring a model on test rows.

Scoring goes through :mod:`automl.evaluation`, the module the engine scores trials and the
holdout with, so a benchmark's test score means what a trial's score means. Finished runs are
read through :func:`automl.open_run`, never by parsing the run directory's files.

The scripts import this module as a sibling (``python benchmarks/suite.py`` puts
``benchmarks/`` first on ``sys.path``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from automl import MetricSpec, ModelPackage, PluginRegistry, ResolvedRecipe, Run

TEST_SIZE = 0.25
"""The test part of every fixed split."""


# -- datasets ------------------------------------------------------------------------------------


def read_labelled(path: Path, target: str) -> Any:
    """The CSV's rows that have a target value; the index keeps the CSV's data row numbers."""
    import pandas as pd

    frame = pd.read_csv(path)
    if target not in frame.columns:
        raise ValueError(f"{path}: no target column {target!r}")
    labelled = frame.loc[frame[target].notna()]
    labelled.attrs["csv_rows"] = len(frame)
    return labelled


def _label_key(value: Any) -> str:
    """A class label as text, the way automl reads labels (integral floats as ints, stripped)."""
    import numpy as np

    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def as_classes(values: Any, classes: Sequence[Any] | None, *, unknown_ok: bool = False) -> Any:
    """Raw target values as the model's class labels (as floats for regression).

    Raises:
        ValueError: a value is not one of the model's classes (unless ``unknown_ok``, which
            keeps such values as they are).
    """
    import numpy as np

    if classes is None:
        return np.asarray(values, dtype=float)
    lookup = {_label_key(label): label for label in classes}
    mapped = []
    for value in values:
        key = _label_key(value)
        if key not in lookup and not unknown_ok:
            raise ValueError(f"test label {value!r} is not a class of the model ({list(classes)})")
        mapped.append(lookup.get(key, value))
    return np.asarray(mapped)


# -- fixed splits --------------------------------------------------------------------------------


REPOSITORY = Path(__file__).resolve().parent.parent
"""The project's root folder."""


def shown_path(path: Path) -> str:
    """``path`` relative to the project when it is inside it (result CSVs name no machine's
    folders), else as given."""
    try:
        return str(path.resolve().relative_to(REPOSITORY))
    except ValueError:
        return str(path)


def split_path(splits_dir: Path, dataset: str, seed: int) -> Path:
    """Where the test rows of ``dataset`` for ``seed`` are written down."""
    return splits_dir / f"{dataset}.seed{seed}.json"


def fixed_split(
    entry: Mapping[str, Any], frame: Any, labels: Any, seed: int, splits_dir: Path
) -> tuple[Any, Any, Path]:
    """Training and test positions in ``frame`` (its index = the CSV's data row numbers).

    An existing split file is used as written (rows checked against the data); otherwise the
    split is made (stratified for classification) and written.

    Raises:
        ValueError: the split file was made for other data.
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    path = split_path(splits_dir, entry["name"], seed)
    csv_rows = frame.index.to_numpy()
    rows = int(frame.attrs.get("csv_rows", len(frame)))
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        test_rows = np.asarray(stored["test_rows"], dtype=int)
        if stored.get("rows") != rows:
            raise ValueError(
                f"{path} was made for {stored.get('rows')} rows, the data has {rows}; "
                "delete it to split again"
            )
        test_mask = np.isin(csv_rows, test_rows)
        if int(test_mask.sum()) != len(test_rows):
            raise ValueError(f"{path} names rows that are not labelled rows of the data")
        positions = np.arange(len(frame))
        return positions[~test_mask], positions[test_mask], path
    classification = entry["task"] != "regression"
    train, test = train_test_split(
        np.arange(len(frame)),
        test_size=TEST_SIZE,
        random_state=seed,
        stratify=labels if classification else None,
    )
    train, test = np.sort(train), np.sort(test)
    record = {
        "dataset": entry["name"],
        "file": entry.get("file"),
        "md5": entry.get("md5"),
        "target": entry["target"],
        "rows": rows,
        "seed": seed,
        "test_size": TEST_SIZE,
        "stratified": classification,
        "method": (
            "sklearn.model_selection.train_test_split(range(rows), test_size=0.25, "
            f"random_state={seed}{', stratify=target' if classification else ''})"
        ),
        "index": "0-based data rows of the CSV file (header excluded); the rest is training",
        "test_rows": [int(row) for row in csv_rows[test]],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, separators=(",", ":")) + "\n", encoding="utf-8")
    return train, test, path


# -- recipes and runs ----------------------------------------------------------------------------


def load_recipe_text(
    text: str, folder: Path, registry: PluginRegistry | None = None
) -> ResolvedRecipe:
    """Write ``text`` to ``folder/recipe.yaml`` and load it the way ``automl run`` does (paths in
    it are relative to ``folder``). JSON is YAML, so a ``json.dumps`` of a mapping works too."""
    from automl import load_recipe

    path = folder / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return load_recipe(path, registry)


def run_recipe(resolved: ResolvedRecipe, run_dir: Path) -> Run:
    """``automl.run`` into ``run_dir``, then the run as :func:`automl.open_run` reads it back."""
    from automl import open_run, run

    result = run(resolved, run_dir=run_dir)
    return open_run(result.run_dir)


def study_trials(finished: Run) -> list[Any]:
    """The Optuna trials of a run's study (journal file storage), for their timestamps."""
    import optuna

    from automl.search import STUDY_NAME, make_storage

    storage = make_storage(finished.layout.journal, None)
    return optuna.load_study(study_name=STUDY_NAME, storage=storage).get_trials(deepcopy=False)


# -- scoring -------------------------------------------------------------------------------------


def score_package(
    package: ModelPackage, rows: Any, truth: Any, name: str, spec: MetricSpec
) -> float:
    """The metric ``name`` of the packaged model on ``rows``: the package checks and types the
    rows as for :meth:`~automl.ModelPackage.predict`, then :mod:`automl.evaluation` predicts
    (probabilities in the package's class order) and scores."""
    from automl import Task, evaluation

    features = package.prepare_input(rows)
    made = evaluation.predict(
        package.pipeline, features, Task(package.task), package.classes, [spec]
    )
    return evaluation.score({name: spec}, truth, made, package.classes)[name]


def constant_score(
    train_truth: Any,
    test_truth: Any,
    classes: Sequence[Any] | None,
    name: str,
    spec: MetricSpec,
) -> float:
    """The constant predictor scored on the test part: the training class priors (labels: the
    most frequent class) or the training mean, scored by :mod:`automl.evaluation`.

    Training labels that are not among ``classes`` are left out of the priors.
    """
    import numpy as np
    from sklearn.dummy import DummyClassifier, DummyRegressor

    from automl import Task, evaluation

    train_truth = np.asarray(train_truth)
    constant: DummyClassifier | DummyRegressor
    if classes is None:
        task, constant = Task.REGRESSION, DummyRegressor(strategy="mean")
    else:
        task = Task.BINARY if len(classes) == 2 else Task.MULTICLASS
        constant = DummyClassifier(strategy="prior")
        known = set(classes)
        train_truth = train_truth[[label in known for label in train_truth]]
    # The dummies ignore the features: one empty column per row is enough.
    constant.fit(np.zeros((len(train_truth), 1)), train_truth)
    rows = np.zeros((len(test_truth), 1))
    made = evaluation.predict(constant, rows, task, classes, [spec])
    return evaluation.score({name: spec}, test_truth, made, classes)[name]
