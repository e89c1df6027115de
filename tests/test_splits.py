"""Splits: holdout and cross-validation folds, with rows of identical features kept together."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)

from automl import DataError, PluginRegistry, RecipeError, load_recipe
from automl.cli import cli
from automl.data import TrainingTable, prepare
from automl.recipe import parse_recipe
from automl.runner import profile_data
from automl.runner.splits import (
    folds,
    holdout_split,
    shuffled_group_kfold,
    stratified_group_kfold,
)

TASKS = ["binary", "multiclass", "regression"]


def _repetitive(task: str, rows: int = 900, seed: int = 0) -> pd.DataFrame:
    """Few distinct feature rows (with missing values), so most rows repeat another's features;
    noisy targets, so some of those have another target too."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.integers(0, 8, rows),
            "b": rng.choice(["x", "y", None], rows),
            "c": rng.choice([0.5, 1.5, np.nan], rows),
        }
    )
    signal = frame["a"] + rng.normal(0, 1.5, rows)
    if task == "binary":
        frame["y"] = np.where(signal > 3.5, "yes", "no")
    elif task == "multiclass":
        frame["y"] = np.select([signal < 2.5, signal < 5], ["low", "mid"], "high")
    else:
        frame["y"] = np.round(signal, 1)
    return frame


def _unique(task: str, rows: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.choice(["x", "y", "z"], rows)})
    if task == "regression":
        frame["y"] = frame["a"] * 3 + rng.normal(size=rows)
    else:
        labels = ["p", "q"] if task == "binary" else ["p", "q", "r"]
        frame["y"] = rng.choice(labels, rows)
    return frame


def _table(frame: pd.DataFrame, task: str, cv: int = 5) -> TrainingTable:
    return prepare(frame, "y", task, cv=cv)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("seed", [0, 7])
def test_identical_features_never_cross_the_holdout_or_a_fold(task: str, seed: int) -> None:
    table = _table(_repetitive(task), task)
    groups = table.groups
    assert groups is not None
    assert len(np.unique(groups)) < len(groups) / 5  # mostly repeats: a real test of grouping
    split = holdout_split(table, 0.2, seed)
    assert np.array_equal(np.sort(np.r_[split.train_rows, split.holdout_rows]), np.arange(900))
    assert not set(groups[split.train_rows]) & set(groups[split.holdout_rows])
    assert 0.1 < len(split.holdout_rows) / 900 < 0.3
    made = folds(table, split.train_rows, 5, seed)
    assert len(made) == 5
    inner = groups[split.train_rows]
    seen = np.concatenate([valid for _, valid in made])
    assert np.array_equal(np.sort(seen), np.arange(len(split.train_rows)))  # each row once
    for train, valid in made:
        assert len(valid)
        assert not set(inner[train]) & set(inner[valid])
        if task != "regression":
            target = table.target[split.train_rows]
            assert set(target[train]) == set(target[valid]) == set(table.classes or [])
    again = folds(table, split.train_rows, 5, seed)  # fixed by the seed (a resumed run)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(made, again, strict=True))


@pytest.mark.parametrize("case", range(12))
def test_the_stratified_group_folds_are_scikit_learns(case: int) -> None:
    rng = np.random.default_rng(case)
    rows, classes, n_splits = int(rng.integers(30, 400)), int(rng.integers(2, 9)), 2 + case % 5
    target = rng.integers(0, classes, rows) if case % 3 else (rng.random(rows) < 0.1).astype(int)
    groups = rng.integers(0, rows // 2, rows) if case % 2 else rng.geometric(0.2, rows)
    reference = StratifiedGroupKFold(n_splits, shuffle=True, random_state=case * 11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class smaller than n_splits
        expected = list(reference.split(groups, target, groups))
    made = stratified_group_kfold(target, groups, n_splits, case * 11)
    assert len(made) == n_splits
    for (train_a, test_a), (train_b, test_b) in zip(made, expected, strict=True):
        assert np.array_equal(train_a, train_b)
        assert np.array_equal(test_a, test_b)


@pytest.mark.parametrize("case", range(6))
def test_the_shuffled_group_folds_are_scikit_learns(case: int) -> None:
    rng = np.random.default_rng(case)
    rows, n_splits = int(rng.integers(30, 400)), 2 + case % 4
    groups = rng.integers(0, rows // 3, rows) if case % 2 else rng.geometric(0.2, rows)
    reference = GroupKFold(n_splits, shuffle=True, random_state=case)
    expected = list(reference.split(groups, groups=groups))
    made = shuffled_group_kfold(groups, n_splits, case)
    assert len(made) == n_splits
    for (train_a, test_a), (train_b, test_b) in zip(made, expected, strict=True):
        assert np.array_equal(train_a, train_b)
        assert np.array_equal(test_a, test_b)


def test_stratified_group_folds_refuse_impossible_splits() -> None:
    with pytest.raises(ValueError, match="n_splits=4 greater than the number of groups: 3"):
        stratified_group_kfold(np.array([0, 1] * 6), np.arange(12) % 3, 4, 0)
    with pytest.raises(ValueError, match="n_splits=5 cannot be greater than the number of"):
        stratified_group_kfold(np.array([0, 1] * 4), np.arange(8), 5, 0)


def test_rows_with_other_targets_are_grouped_and_counted() -> None:
    frame = pd.DataFrame(
        {
            "a": [1.0, 1.0, 1.0, np.nan, np.nan, 2.0, 3.0, 4.0],
            "b": ["x", "x", "x", "z", "z", "x", "y", "y"],
            "y": ["no", "no", "yes", "no", "no", "yes", "yes", "no"],
        }
    )
    table = prepare(frame, "y", "binary", cv=2)
    profile = table.profile
    assert profile.duplicate_rows == 2  # row 1 repeats row 0, row 4 repeats row 3 (NaN == NaN)
    assert profile.conflicting_rows == 3  # rows 0-2: same features, targets no/no/yes
    assert table.groups is not None
    assert table.groups.tolist() == [0, 0, 0, 1, 1, 2, 3, 4]
    document = profile.to_dict()
    assert (document["duplicate_rows"], document["conflicting_rows"]) == (2, 3)
    assert document["duplicates_dropped"] is False
    dropped = prepare(frame, "y", "binary", cv=2, drop_duplicates=True)
    assert len(dropped.target) == 6
    assert dropped.profile.conflicting_rows == 2  # the repeat of row 0 is gone, row 2 remains
    assert dropped.groups is not None
    assert dropped.groups.tolist() == [0, 0, 1, 2, 3, 4]


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("seed", [0, 3])
def test_without_repeated_rows_the_splits_are_the_plain_ones(task: str, seed: int) -> None:
    table = _table(_unique(task), task)
    assert table.groups is None
    assert table.profile.duplicate_rows == table.profile.conflicting_rows == 0
    rows = np.arange(300)
    stratify = None if task == "regression" else table.target
    train, test = train_test_split(rows, test_size=0.25, random_state=seed, stratify=stratify)
    split = holdout_split(table, 0.25, seed)
    assert np.array_equal(split.train_rows, np.sort(train))
    assert np.array_equal(split.holdout_rows, np.sort(test))
    target = table.target[split.train_rows]
    splitter = (
        KFold(4, shuffle=True, random_state=seed)
        if task == "regression"
        else StratifiedKFold(4, shuffle=True, random_state=seed)
    )
    expected = list(splitter.split(split.train_rows, target))
    made = folds(table, split.train_rows, 4, seed)
    for (train_a, valid_a), (train_b, valid_b) in zip(made, expected, strict=True):
        assert np.array_equal(train_a, train_b)
        assert np.array_equal(valid_a, valid_b)


def test_a_large_holdout_keeps_groups_together_too() -> None:
    table = _table(_repetitive("binary"), "binary")
    assert table.groups is not None
    split = holdout_split(table, 0.75, 0)
    assert 0.6 < len(split.holdout_rows) / 900 < 0.9
    assert not set(table.groups[split.train_rows]) & set(table.groups[split.holdout_rows])


def test_too_few_distinct_rows_for_the_folds_are_clear_errors() -> None:
    rng = np.random.default_rng(0)
    few = pd.DataFrame({"a": rng.integers(0, 3, 200).astype(float)})
    few["y"] = few["a"] * 2 + rng.normal(size=200)
    table = _table(few, "regression")
    everything = np.arange(200)
    with pytest.raises(DataError, match=r"only 3 distinct feature values .* fewer than the 5"):
        folds(table, everything, 5, 0)
    assert len(folds(table, everything, 3, 0)) == 3
    rare = pd.DataFrame({"a": np.r_[np.arange(100.0), [500.0] * 10]})
    rare["y"] = ["common"] * 100 + ["rare"] * 10  # ten rows of 'rare', all identical
    table = _table(rare, "binary")
    with pytest.raises(DataError, match=r"class 'rare' have only 1 distinct feature values"):
        folds(table, np.arange(110), 5, 0)
    with pytest.raises(DataError, match=r"a class has \d training rows, fewer than the 5"):
        folds(table, np.arange(103), 5, 0)  # the row-count check comes first, as before


def test_too_few_distinct_rows_for_the_holdout_is_a_clear_error() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0] * 20, "y": ["p", "q"] * 30})
    table = _table(frame, "binary", cv=2)
    with pytest.raises(
        DataError,
        match=r"cannot keep a 20% holdout \(data.holdout\) \(rows with identical features stay "
        r"together\): .*number of groups: 3",
    ):
        holdout_split(table, 0.2, 0)


@pytest.mark.parametrize("seed", range(4))
def test_a_class_whose_rows_are_all_identical_is_a_clear_error(seed: int) -> None:
    frame = pd.DataFrame({"a": np.r_[np.arange(60.0), np.arange(60.0), [99.0, 99.0]]})
    frame["y"] = ["a"] * 120 + ["b"] * 2  # class 'b': two identical rows, one group
    table = _table(frame, "binary", cv=2)
    split = holdout_split(table, 0.2, seed)
    assert table.groups is not None
    assert not set(table.groups[split.train_rows]) & set(table.groups[split.holdout_rows])
    assert "b" in set(table.target[split.train_rows])  # (the stratified holdout keeps it)
    with pytest.raises(
        DataError, match=r"the 2 training rows of class 'b' have only 1 distinct feature values"
    ):
        folds(table, split.train_rows, 2, seed)


MINIMAL = """
data:
  source: {type: csv, path: data.csv}
  target: y
"""


@pytest.mark.parametrize(
    ("value", "expected"), [("", False), ("true", True), ("false", False), ("'true'", None)]
)
def test_the_recipe_key_takes_booleans_only(value: str, expected: bool | None) -> None:
    text = MINIMAL + (f"  drop_duplicates: {value}\n" if value else "")
    registry = PluginRegistry.discover(autoload=False)
    if expected is not None:
        recipe = parse_recipe(text, source="r.yaml", registry=registry, env={}).recipe
        assert recipe.data.drop_duplicates is expected
        return
    with pytest.raises(RecipeError) as caught:
        parse_recipe(text, source="r.yaml", registry=registry, env={})
    assert [str(issue) for issue in caught.value.issues] == [
        "data.drop_duplicates (line 5): expected true or false (got 'true')"
    ]


@pytest.mark.parametrize("value", ["'no'", "1", "0.5", "[true]", "null"])
def test_other_values_of_the_recipe_key_are_refused(value: str) -> None:
    with pytest.raises(RecipeError, match=r"data.drop_duplicates \(line 5\): expected true or"):
        parse_recipe(
            MINIMAL + f"  drop_duplicates: {value}\n",
            source="r.yaml",
            registry=PluginRegistry.discover(autoload=False),
            env={},
        )


def test_the_recipe_key_reaches_preparation_and_the_profile_shows_duplicates(
    write: Callable[[str, str], Path],
) -> None:
    path = write("r.yaml", MINIMAL)
    _repetitive("binary").to_csv(path.parent / "data.csv", index=False)
    profile = profile_data(load_recipe(path, PluginRegistry.discover()))
    assert profile.rows == 900
    assert profile.duplicate_rows > 700
    assert profile.conflicting_rows > 0
    result = CliRunner().invoke(cli, ["profile", str(path)], catch_exceptions=False)
    assert result.exit_code == 0
    shown = " ".join(result.stdout.split())
    assert f"Duplicates: {profile.duplicate_rows} rows repeating another row (kept)" in shown
    assert f"{profile.conflicting_rows} rows sharing their features" in shown
    assert "stay in one fold" in shown
    path.write_text(MINIMAL + "  drop_duplicates: true\n")
    dropped = profile_data(load_recipe(path, PluginRegistry.discover()))
    assert dropped.rows == 900 - profile.duplicate_rows
    assert dropped.duplicates_dropped
    assert "dropped duplicate rows" in [step.action for step in dropped.steps]
    result = CliRunner().invoke(cli, ["profile", str(path)], catch_exceptions=False)
    shown = " ".join(result.stdout.split())
    assert "repeating another row (dropped: data.drop_duplicates)" in shown


def test_the_profile_says_nothing_of_duplicates_when_there_are_none(
    write: Callable[[str, str], Path],
) -> None:
    path = write("r.yaml", MINIMAL)
    _unique("binary").to_csv(path.parent / "data.csv", index=False)
    result = CliRunner().invoke(cli, ["profile", str(path)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Duplicates" not in result.stdout


def test_the_profile_line_claims_grouping_only_when_rows_are_grouped() -> None:
    from rich.console import Console

    from automl.cli.render.profile import render_profile

    frame = pd.DataFrame({"a": [1.0, 1.0, 2.0, 3.0, 4.0, 5.0], "y": ["p", "p", "q", "p", "q", "q"]})
    shown = {}
    for drop in (False, True):
        table = prepare(frame, "y", "binary", cv=2, drop_duplicates=drop)
        assert (table.groups is not None) is not drop
        console = Console(record=True, width=300)
        render_profile(console, table.profile)
        shown[drop] = console.export_text()
    assert "Duplicates: 1 row repeating another row (kept) · rows with identical" in shown[False]
    assert (
        "Duplicates: 1 row repeating another row (dropped: data.drop_duplicates)\n" in shown[True]
    )
