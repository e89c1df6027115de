"""Data preparation: column kinds, conversion, cleaning, the profile, test sets, transforms."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from automl import DataError, PluginRegistry, RecipeError, load_model, load_recipe
from automl.cli import cli
from automl.data import build_pipeline, category_levels, prepare, read_source, with_test_rows
from automl.data.types import ColumnType, convert, convert_column, infer_type, infer_types
from automl.runner import run, with_overrides

ROWS = 120
RNG = np.random.default_rng(0)


def _series(values: list[object] | np.ndarray, name: str = "column") -> pd.Series:
    return pd.Series(values, name=name)


@pytest.mark.parametrize(
    ("name", "values", "kind"),
    [
        ("amount", RNG.normal(size=ROWS), "numeric"),
        ("count", RNG.integers(0, 10, ROWS), "numeric"),
        ("price", [f"{v:,.2f}" for v in RNG.normal(5000, 900, ROWS)], "numeric"),
        ("score", [str(v) for v in RNG.integers(0, 50, ROWS)], "numeric"),
        ("flag", RNG.choice(["yes", "no"], ROWS), "boolean"),
        ("active", RNG.choice([True, False], ROWS), "boolean"),
        ("opted_in", RNG.choice(["TRUE", "false"], ROWS), "boolean"),
        ("signup", pd.date_range("2024-01-01", periods=ROWS, freq="D").astype(str), "datetime"),
        ("seen", pd.date_range("2024-01-01", periods=ROWS, freq="h"), "datetime"),
        ("city", RNG.choice(["Oslo", "Lima", "Pune"], ROWS), "categorical"),
        ("zip_band", [f"z{v}" for v in RNG.integers(0, 40, ROWS)], "categorical"),
        (
            "review",
            [
                " ".join(RNG.choice(["good", "slow", "price", "staff", "clean", "late"], 7))
                for _ in range(ROWS)
            ],
            "text",
        ),
        ("customer_id", np.arange(5000, 5000 + ROWS), "id"),
        ("order_ref", [f"ORD-{i:06d}" for i in range(ROWS)], "id"),
        ("const", ["same"] * ROWS, "drop"),
        ("empty", [None] * ROWS, "drop"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_column_kinds_are_inferred(name: str, values: object, kind: str) -> None:
    assert infer_type(name, _series(values, name)).kind == kind  # type: ignore[arg-type]


def test_floats_unique_per_row_are_not_ids() -> None:
    assert infer_type("amount", _series(RNG.normal(size=ROWS))).kind == "numeric"


def test_conversion_counts_unreadable_values() -> None:
    frame = pd.DataFrame(
        {"n": ["1", "2", "three", None] + ["4"] * 40, "d": ["2024-01-02"] * 43 + ["soon"]}
    )
    types = infer_types(frame)
    assert (types["n"].kind, types["d"].kind) == ("numeric", "datetime")
    converted, conversions = convert(frame, types)
    assert converted["n"].dtype == float
    assert np.isnan(converted["n"][2])
    report = {c.column: (c.failed, c.examples) for c in conversions}
    assert report == {"n": (1, ["three"]), "d": (1, ["soon"])}


def _frame() -> pd.DataFrame:
    rows = 200
    rng = np.random.default_rng(1)
    amount = rng.normal(100, 20, rows)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(rows),
            "amount": [f"{v:.2f}" for v in amount],
            "plan": rng.choice(["basic", "pro", " max "], rows),
            "const": "x",
            "label": np.where(amount + rng.normal(0, 10, rows) > 100, "  high ", "low"),
        }
    )
    frame.loc[3, "label"] = None
    return pd.concat([frame, frame.iloc[[10, 11]]], ignore_index=True)  # two exact duplicates


def test_prepare_keeps_duplicates_unless_asked_and_groups_them() -> None:
    kept = prepare(_frame(), "label", "auto", cv=5)
    assert (kept.profile.duplicate_rows, kept.profile.conflicting_rows) == (2, 0)
    assert not kept.profile.duplicates_dropped
    assert "dropped duplicate rows" not in [step.action for step in kept.profile.steps]
    assert len(kept.features) == kept.profile.rows == 201
    assert kept.groups is not None
    # rows 10 and 11 were copied to the end (row 3, without a target, is gone before them)
    assert kept.groups[199] == kept.groups[9]
    assert kept.groups[200] == kept.groups[10]
    assert len(np.unique(kept.groups)) == 199
    dropped = prepare(_frame(), "label", "auto", cv=5, drop_duplicates=True)
    step = next(s for s in dropped.profile.steps if s.action == "dropped duplicate rows")
    assert step.rows == 2
    assert "data.drop_duplicates" in step.detail
    assert dropped.profile.duplicates_dropped
    assert dropped.profile.duplicate_rows == 2
    assert len(dropped.features) == dropped.profile.rows == 199
    assert dropped.groups is None


def test_prepare_cleans_and_reports_each_step() -> None:
    table = prepare(_frame(), "label", "auto", cv=5)
    profile = table.profile
    actions = [step.action for step in profile.steps]
    assert actions == [
        "trimmed target labels",
        "dropped rows without a target",
        "dropped column 'customer_id'",
        "dropped column 'const'",
        "trimmed labels of 'plan'",
    ]
    assert profile.steps[1].rows == 1
    assert table.classes == ["high", "low"]
    assert table.task.value == "binary"
    assert table.kinds == {"amount": "numeric", "plan": "categorical"}
    assert sorted(table.features["plan"].unique()) == ["basic", "max", "pro"]
    assert table.features["amount"].dtype == float
    assert len(table.features) == profile.rows == 201
    assert profile.rows_loaded == 202
    columns = {c.name: c for c in profile.columns}
    assert columns["customer_id"].kind == "id"
    assert not columns["customer_id"].used
    assert columns["amount"].reason == "numbers stored as text"
    assert json.loads(json.dumps(profile.to_dict()))["kinds"] == {"numeric": 1, "categorical": 1}


def test_overrides_and_their_errors() -> None:
    frame = _frame()
    table = prepare(
        frame, "label", "auto", cv=5, columns={"customer_id": "categorical", "plan": "drop"}
    )
    assert table.kinds == {"customer_id": "categorical", "amount": "numeric"}
    with pytest.raises(
        DataError, match=r"data.columns.plna: no column 'plna' in the data. Did you mean 'plan'\?"
    ):
        prepare(frame, "label", "auto", cv=5, columns={"plna": "text"})
    with pytest.raises(DataError, match="'label' is the target"):
        prepare(frame, "label", "auto", cv=5, columns={"label": "text"})


def test_no_usable_feature_is_an_error() -> None:
    frame = pd.DataFrame({"id": range(50), "const": 1, "y": [0, 1] * 25})
    with pytest.raises(DataError, match="no usable feature column besides the target 'y'"):
        prepare(frame, "y", "auto", cv=5)


def test_leakage_is_reported() -> None:
    frame = _frame()
    frame["status_copy"] = frame["label"].str.strip().map({"high": "H", "low": "L"})
    table = prepare(frame, "label", "auto", cv=5)
    assert any("'status_copy' determines the target exactly" in w for w in table.profile.warnings)


def test_test_rows_are_typed_like_training() -> None:
    table = prepare(_frame(), "label", "auto", cv=5)
    test = pd.DataFrame(
        {"amount": ["90.5", "120"], "plan": ["pro", "new-plan"], "label": ["low", "high"]}
    )
    combined = with_test_rows(table, test)
    assert len(combined.target) == len(table.target) + 2
    assert combined.features["amount"].tail(2).tolist() == [90.5, 120.0]
    assert table.groups is not None
    assert combined.groups is not None
    assert combined.groups[: len(table.target)].tolist() == table.groups.tolist()
    assert len(set(combined.groups[-2:]) - set(table.groups)) == 2  # never grouped with training
    with pytest.raises(DataError, match="lacks feature columns of the training data: plan"):
        with_test_rows(table, test.drop(columns=["plan"]))
    with pytest.raises(DataError, match="classes never seen in training: 'medium'"):
        with_test_rows(table, test.assign(label=["low", "medium"]))


def test_preprocessing_handles_every_kind_and_unseen_values() -> None:
    rows = 300
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(size=rows),
            "flag": rng.choice(["yes", "no", None], rows),
            "signup": pd.date_range("2023-01-01", periods=rows, freq="13h").astype(str),
            "plan": rng.choice(["a", "b", "c"], rows),
            "zip": [f"z{v}" for v in rng.integers(0, 80, rows)],
            "review": [
                " ".join(rng.choice(["good", "bad", "slow", "fast", "kind"], 6))
                for _ in range(rows)
            ],
        }
    )
    target = np.where(frame["amount"] > 0, "up", "down")
    types = infer_types(frame)
    assert {name: t.kind for name, t in types.items()} == {
        "amount": "numeric",
        "flag": "boolean",
        "signup": "datetime",
        "plan": "categorical",
        "zip": "categorical",
        "review": "text",
    }
    features, _ = convert(frame, types)
    kinds = {name: t.kind for name, t in types.items()}
    from sklearn.linear_model import LogisticRegression

    pipeline = build_pipeline(
        LogisticRegression(max_iter=2000), kinds, category_levels(features, kinds), scale=True
    )
    pipeline.fit(features, target)
    names = list(pipeline[:-1].get_feature_names_out())
    assert {
        "signup_year",
        "signup_dayofweek",
        "signup_hour",
        "missingindicator_flag",
        "zip",
    } <= set(names)
    assert any(name in names for name in ("good", "slow"))  # TF-IDF terms
    unseen = features.head(3).assign(plan="never-seen", zip="z999", review="brand new words")
    assert len(pipeline.predict(unseen)) == 3
    again = pickle.loads(pickle.dumps(pipeline))
    assert list(again.predict(features.head(5))) == list(pipeline.predict(features.head(5)))


MIXED_RECIPE = """
name: mixed
task: binary
data:
  source: {type: csv, path: mixed.csv}
  target: churned
metric: roc_auc
models: [logistic_regression, decision_tree]
search: {n_trials: 3, cv: 3}
execution: {workers: 1}
"""


def _mixed_csv(path: Path, rows: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spend = rng.normal(1000, 300, rows)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(rows),
            "spend": [f"{v:,.2f}" for v in spend],  # "1,234.56": thousands separators
            "paperless": rng.choice(["on", "off"], rows),
            "signup": pd.date_range("2022-01-01", periods=rows, freq="D").astype(str),
            "plan": rng.choice(["basic", "pro"], rows),
            "note": [
                " ".join(rng.choice(["late", "happy", "refund", "call", "ok"], 5))
                for _ in range(rows)
            ],
            "churned": np.where(spend + rng.normal(0, 200, rows) < 950, "yes", "no"),
        }
    )
    frame.to_csv(path, index=False)
    return frame


@pytest.mark.slow
def test_run_on_mixed_data_predicts_on_raw_rows(tmp_path: Path) -> None:
    raw = _mixed_csv(tmp_path / "mixed.csv")
    (tmp_path / "mixed.yaml").write_text(MIXED_RECIPE)
    result = run(
        load_recipe(tmp_path / "mixed.yaml", PluginRegistry.discover()), run_dir=tmp_path / "run"
    )
    profile = json.loads((tmp_path / "run" / "profile.json").read_text())
    assert profile["kinds"] == {
        "numeric": 1,
        "boolean": 1,
        "datetime": 1,
        "categorical": 1,
        "text": 1,
    }
    kinds = {c["name"]: c["kind"] for c in profile["columns"]}
    assert kinds == {
        "customer_id": "id",
        "spend": "numeric",
        "paperless": "boolean",
        "signup": "datetime",
        "plan": "categorical",
        "note": "text",
    }
    model = load_model(result.run_dir / "model")
    assert "customer_id" not in model.features
    rows = raw.drop(columns=["churned"]).head(5)
    # The model reads rows written exactly like its training file ("1,234.56", "on"/"off").
    assert set(model.predict(rows)) <= {"yes", "no"}
    assert set(model.predict(pd.read_csv(tmp_path / "mixed.csv"))) <= {"yes", "no"}
    with pytest.raises(DataError, match="spend"):
        model.predict(rows.assign(spend="lots"))


@pytest.mark.slow
def test_test_source_replaces_the_holdout(tmp_path: Path) -> None:
    _mixed_csv(tmp_path / "mixed.csv", seed=3)
    _mixed_csv(tmp_path / "test.csv", rows=80, seed=4)
    recipe = MIXED_RECIPE.replace(
        "  target: churned\n", "  target: churned\n  test_source: {type: csv, path: test.csv}\n"
    )
    (tmp_path / "mixed.yaml").write_text(recipe)
    result = run(
        load_recipe(tmp_path / "mixed.yaml", PluginRegistry.discover()), run_dir=tmp_path / "run"
    )
    summary = result.summary.to_dict()
    assert summary["data"]["training_rows"] == 300
    assert summary["data"]["holdout_rows"] == 80
    assert summary["data"]["test_source"]["rows"] == 80
    assert 0.0 <= summary["holdout"]["roc_auc"] <= 1.0
    (tmp_path / "both.yaml").write_text(
        recipe.replace("  target: churned\n", "  target: churned\n  holdout: 0.3\n")
    )
    with pytest.raises(RecipeError, match=r"set either holdout .* or test_source"):
        load_recipe(tmp_path / "both.yaml", PluginRegistry.discover())


def test_profile_command(tmp_path: Path) -> None:
    _mixed_csv(tmp_path / "mixed.csv")
    (tmp_path / "mixed.yaml").write_text(MIXED_RECIPE)
    result = CliRunner().invoke(
        cli, ["profile", str(tmp_path / "mixed.yaml")], catch_exceptions=False
    )
    assert result.exit_code == 0
    for text in (
        "300 rows used",
        "customer_id",
        "id (dropped)",
        "dates stored as text",
        "free text",
        "dropped column",
    ):
        assert text in result.stdout, text
    result = CliRunner().invoke(
        cli, ["profile", str(tmp_path / "mixed.yaml"), "--json"], catch_exceptions=False
    )
    document = json.loads(result.stdout)
    assert document["rows"] == 300
    assert document["target"] == "churned"


@pytest.mark.slow
def test_run_overrides_columns_from_the_recipe(tmp_path: Path) -> None:
    _mixed_csv(tmp_path / "mixed.csv")
    recipe = MIXED_RECIPE.replace(
        "  target: churned\n", "  target: churned\n  columns: {note: drop, plan: drop}\n"
    )
    (tmp_path / "mixed.yaml").write_text(recipe)
    resolved = with_overrides(
        load_recipe(tmp_path / "mixed.yaml", PluginRegistry.discover()), n_trials=2
    )
    result = run(resolved, run_dir=tmp_path / "run")
    assert set(load_model(result.run_dir / "model").features) == {"spend", "paperless", "signup"}


LEAKY_SOURCE = """
from automl import DataError, DataSourceSpec, Params, hookimpl


class LeakyParams(Params):
    token: str
    how: str = "runtime"


def read(params, context):
    if params.how == "runtime":
        raise RuntimeError(f"server refused token {params.token}")
    if params.how == "empty":
        import pandas as pd

        return pd.DataFrame()
    if params.how == "list":
        return []
    raise DataError(f"bad token {params.token}")


@hookimpl
def automl_register_data_sources():
    return [DataSourceSpec(name="leaky", description="quotes its secret", factory=read, params=LeakyParams)]
"""


@pytest.mark.parametrize("how", ["runtime", "data_error"])
def test_source_errors_never_show_secrets(
    tmp_path: Path, site: object, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.add("automl-leaky", {"automl_leaky": LEAKY_SOURCE}, {"leaky": "automl_leaky"})  # type: ignore[attr-defined]
    monkeypatch.setenv("API_TOKEN", "tok-very-secret-123")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"data:\n  source: {{type: leaky, token: '${{API_TOKEN}}', how: {how}}}\n  target: y\n"
    )
    resolved = load_recipe(recipe, PluginRegistry.discover())
    source = resolved.data_source
    with pytest.raises(DataError) as caught:
        read_source(
            source.component,
            source.params,
            base_dir=tmp_path,
            where=source.path,
            scrub=resolved.scrub,
        )
    assert "tok-very-secret-123" not in str(caught.value)
    assert "***" in str(caught.value)


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("runtime", r"^data source 'leaky' \(.+\) failed: RuntimeError: server refused token t-1$"),
        (
            "empty",
            r"^data source 'leaky' \(data\.test_source\) returned no rows: the data is empty$",
        ),
        ("list", r"^data source 'leaky' returned list, not a pandas DataFrame \(a bug in .+\)$"),
    ],
)
def test_source_results_are_checked(tmp_path: Path, site: object, how: str, message: str) -> None:
    site.add("automl-leaky", {"automl_leaky": LEAKY_SOURCE}, {"leaky": "automl_leaky"})  # type: ignore[attr-defined]
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"data:\n  source: {{type: leaky, token: t-1, how: {how}}}\n  target: y\n")
    source = load_recipe(recipe, PluginRegistry.discover()).data_source
    with pytest.raises(DataError, match=message):
        read_source(source.component, source.params, base_dir=tmp_path, where="data.test_source")


def test_no_false_leakage_warning_in_regression() -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    frame["y"] = frame["a"] + rng.normal(scale=0.5, size=200)
    assert prepare(frame, "y", "regression", cv=5).profile.warnings == []
    frame["y_copy"] = frame["y"] * 2 + 1
    warnings = prepare(frame, "y", "regression", cv=5).profile.warnings
    assert len(warnings) == 1
    assert "'y_copy' determines the target exactly" in warnings[0]


def _infinite_frame(rows: int = 200, seed: int = 7) -> pd.DataFrame:
    """Numbers with ``inf``/``-inf`` in a float column and in a column of numbers as text."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "ratio": rng.normal(size=rows),
            "spend": [f"{v:.2f}" for v in rng.normal(100, 20, rows)],
            "plan": rng.choice(["basic", "pro"], rows),
        }
    )
    frame["churned"] = np.where(frame["ratio"] + rng.normal(0, 0.5, rows) > 0, "yes", "no")
    frame.loc[[3, 4, 5], "ratio"] = [np.inf, -np.inf, np.inf]
    frame.loc[[5, 9], "spend"] = ["inf", "-Infinity"]
    return frame


def test_infinite_numbers_become_missing_and_are_reported() -> None:
    table = prepare(_infinite_frame(), "churned", "auto", cv=5)
    features = table.features
    assert np.isfinite(features["ratio"].dropna()).all()
    assert features["ratio"].isna().sum() == 3
    assert features["spend"].isna().sum() == 2
    steps = [s for s in table.profile.steps if s.action == "infinite values treated as missing"]
    assert len(steps) == 1
    assert steps[0].columns == ["ratio", "spend"]
    assert steps[0].rows == 4  # row 5 has both
    assert "'ratio': 3, 'spend': 2" in steps[0].detail
    assert table.profile.warnings == []  # an infinity is read, not unreadable


def test_pipeline_treats_infinities_as_missing_at_predict_time() -> None:
    from sklearn.linear_model import LogisticRegression

    table = prepare(_infinite_frame(), "churned", "auto", cv=5)
    levels = category_levels(table.features, table.kinds)
    pipeline = build_pipeline(LogisticRegression(), table.kinds, levels, scale=True)
    pipeline.fit(table.features, table.target)
    rows = table.features.head(3).assign(ratio=[np.inf, -np.inf, np.nan])
    transformed = pipeline[:-1].transform(rows)
    assert np.isfinite(transformed).all()
    assert (pipeline[:-1].transform(rows.assign(ratio=np.nan)) == transformed).all()


@pytest.mark.parametrize(
    ("task", "target", "message"),
    [
        (
            "binary",
            np.linspace(0, 100, 200),
            r"task is binary but target 'y' holds 200 distinct numbers \(0\.0, .*, \.\.\.\): "
            r"it looks continuous; set task: regression \(or auto\)",
        ),
        (
            "binary",
            ["a", "b", "c"] * 60,
            r"task is binary but target 'y' has 3 classes \('a', 'b', 'c'\); "
            r"set task: multiclass or auto",
        ),
        (
            "multiclass",
            np.linspace(0, 100, 200),
            r"task is multiclass but target 'y' holds 200 distinct numbers, 200 of them on fewer "
            r"rows than the 5 cross-validation folds need; it looks continuous: set task: "
            r"regression \(or auto\)",
        ),
        (
            "multiclass",
            [0.5, 1.5, 2.5] * 60,
            r"task is multiclass but the classes of target 'y' are numbers with a fraction "
            r"\(0\.5, 1\.5, 2\.5\), which classifiers cannot take as labels; write them as text "
            r"or whole numbers, or set task: regression",
        ),
    ],
    ids=[
        "binary-continuous",
        "binary-three-labels",
        "multiclass-continuous",
        "classes-with-a-fraction",
    ],
)
def test_a_task_that_does_not_fit_the_target_names_the_fix(
    task: str, target: object, message: str
) -> None:
    frame = pd.DataFrame({"x": np.arange(180 if isinstance(target, list) else 200) % 7})
    frame["y"] = target
    with pytest.raises(DataError, match=message):
        prepare(frame, "y", task, cv=5)


@pytest.mark.slow
def test_run_on_data_with_infinities_succeeds_and_predicts_on_them(tmp_path: Path) -> None:
    frame = _infinite_frame()
    frame.to_csv(tmp_path / "inf.csv", index=False)  # written as "inf" and "-inf"
    (tmp_path / "inf.yaml").write_text(
        MIXED_RECIPE.replace("mixed.csv", "inf.csv").replace("name: mixed", "name: inf")
    )
    result = run(
        load_recipe(tmp_path / "inf.yaml", PluginRegistry.discover()), run_dir=tmp_path / "run"
    )
    summary = result.summary.to_dict()
    assert summary["status"] == "finished"
    assert summary["trials"]["failed"] == 0
    profile = json.loads((tmp_path / "run" / "profile.json").read_text())
    step = next(s for s in profile["steps"] if s["action"] == "infinite values treated as missing")
    assert step["columns"] == ["ratio", "spend"]
    model = load_model(result.run_dir / "model")
    rows = frame.drop(columns=["churned"]).head(6)  # rows 3, 4 and 5 hold infinities
    assert set(model.predict(rows)) <= {"yes", "no"}


@pytest.mark.parametrize(
    ("values", "kind", "reason"),
    [
        ([1, 0] * 30, "numeric", "numbers"),
        ([1.0, 0.0, None] * 20, "numeric", "numbers"),
        (["1", "0"] * 30, "boolean", "two values read as true/false (0, 1)"),
        ([True, False] * 30, "boolean", "true/false values"),
    ],
    ids=["int-0-1", "float-0-1-missing", "text-0-1", "bool"],
)
def test_zero_one_columns_are_numeric_unless_text_or_bool(
    values: list[object], kind: str, reason: str
) -> None:
    assert infer_type("flag", _series(values, "flag")) == ColumnType("flag", kind, reason)  # type: ignore[arg-type]


def test_a_zero_one_number_column_set_to_boolean_converts_by_value() -> None:
    column = _series([1.0, 0.0, None, 1.0, 2.0], "flag")
    converted, conversion = convert_column(column, "boolean")
    assert converted.tolist() == [True, False, pd.NA, True, pd.NA]
    assert (conversion.failed, conversion.examples) == (1, ["2.0"])


def test_an_infinite_target_is_a_missing_target() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=100), "z": rng.normal(size=100)})
    frame["y"] = frame.x * 2 + rng.normal(size=100)
    frame.loc[[3, 7], "y"] = np.inf
    frame.loc[11, "y"] = -np.inf
    table = prepare(frame, "y", "regression", cv=3)
    assert len(table.target) == 97
    assert np.isfinite(table.target).all()
    steps = {step.action: step for step in table.profile.steps}
    assert steps["infinite target values treated as missing"].rows == 3
    assert steps["dropped rows without a target"].rows == 3
