"""The model package: writing, checksums, loading, input checks, MLflow and `automl predict`."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import shutil
import subprocess
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

import automl
from automl.cli import cli
from automl.errors import DataError, ExitCode, PackageError
from automl.package import (
    CHECKSUMS_FILE,
    PACKAGE_FILES,
    ModelPackage,
    load_model,
    package_digest,
    verify_package,
    write_package,
)

FEATURES = ["age", "plan", "active", "visits"]
METADATA = {
    "recipe": "churn",
    "model": "logistic_regression",
    "metric": "roc_auc",
    "direction": "maximize",
    "cv_score": 0.81,
    "holdout_score": 0.79,
    "params": {"C": 1.0},
}


def _frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": np.where(rng.random(n) < 0.1, np.nan, rng.normal(40, 10, n).round(1)),
            "plan": rng.choice(["basic", "pro", "team"], n),
            "active": rng.random(n) < 0.5,
            "visits": rng.integers(0, 20, n),
        }
    )
    score = frame["age"].fillna(40) + 2 * frame["visits"] + rng.normal(0, 5, n)
    frame["churned"] = np.where(score > 60, "yes", "no")
    frame["spend"] = score * 3.5 + (frame["plan"] == "pro") * 20
    return frame


def _preprocessor() -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["age", "visits"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan", "active"]),
        ]
    )


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return _frame()


@pytest.fixture(scope="module")
def classifier(data: pd.DataFrame) -> Pipeline:
    model = Pipeline([("pre", _preprocessor()), ("model", LogisticRegression())])
    return model.fit(data[FEATURES], data["churned"])


@pytest.fixture(scope="module")
def regressor(data: pd.DataFrame) -> Pipeline:
    model = Pipeline([("pre", _preprocessor()), ("model", Ridge())])
    return model.fit(data[FEATURES], data["spend"])


def _write_classifier(path: Path, classifier: Pipeline, data: pd.DataFrame) -> Path:
    return write_package(
        path,
        pipeline=classifier,
        task="binary",
        target="churned",
        classes=list(classifier.classes_),
        input_example=data[FEATURES].head(5),
        reference_sample=data[[*FEATURES, "churned"]].head(100),
        metadata=METADATA,
    )


def _write_regressor(path: Path, regressor: Pipeline, data: pd.DataFrame) -> Path:
    return write_package(
        path,
        pipeline=regressor,
        task="regression",
        target="spend",
        classes=None,
        input_example=data[FEATURES].head(5),
        reference_sample=data[[*FEATURES, "spend"]].head(100),
        metadata={"model": "ridge"},
    )


@pytest.fixture(scope="module")
def clf_package(
    tmp_path_factory: pytest.TempPathFactory, classifier: Pipeline, data: pd.DataFrame
) -> Path:
    """A classification package shared by the tests that only read it."""
    return _write_classifier(tmp_path_factory.mktemp("clf") / "model", classifier, data)


@pytest.fixture(scope="module")
def reg_package(
    tmp_path_factory: pytest.TempPathFactory, regressor: Pipeline, data: pd.DataFrame
) -> Path:
    return _write_regressor(tmp_path_factory.mktemp("reg") / "model", regressor, data)


@pytest.fixture
def copy(clf_package: Path, tmp_path: Path) -> Path:
    """A private copy of the classification package, for tests that modify it."""
    return Path(shutil.copytree(clf_package, tmp_path / "model"))


@pytest.fixture
def new_rows() -> pd.DataFrame:
    """Rows the model has not seen, with the target column."""
    return _frame(n=30, seed=1)


@pytest.fixture(scope="module")
def mlflow() -> Any:
    with warnings.catch_warnings():
        # mlflow.pyfunc warns at import time about its own type hints ("Any type hint is
        # inferred as AnyType"); it is not about our package.
        warnings.filterwarnings(
            "ignore", message=".*Any type hint is inferred as AnyType", category=UserWarning
        )
        import mlflow
        import mlflow.pyfunc
    return mlflow


# --- writing and loading -------------------------------------------------------------------


def test_round_trip_classification(
    clf_package: Path, classifier: Pipeline, new_rows: pd.DataFrame
) -> None:
    model = load_model(clf_package)
    assert isinstance(model, ModelPackage)
    assert model.task == "binary"
    assert model.target == "churned"
    assert model.classes == ("no", "yes")
    assert model.features == {"age": "float64", "plan": "str", "active": "bool", "visits": "int64"}
    assert model.metadata == METADATA
    assert model.path == clf_package
    assert model.digest == package_digest(clf_package)

    features = new_rows[FEATURES]
    predictions = model.predict(features)
    assert predictions.name == "prediction"
    assert predictions.tolist() == classifier.predict(features).tolist()

    proba = model.predict_proba(features)
    assert list(proba.columns) == ["no", "yes"]
    np.testing.assert_allclose(proba.to_numpy(), classifier.predict_proba(features))


def test_round_trip_regression(
    reg_package: Path, regressor: Pipeline, new_rows: pd.DataFrame
) -> None:
    model = automl.load_model(reg_package)  # the lazy export of the package
    assert model.task == "regression"
    assert model.classes is None
    predictions = model.predict(new_rows[FEATURES])
    np.testing.assert_allclose(predictions.to_numpy(), regressor.predict(new_rows[FEATURES]))
    with pytest.raises(PackageError, match="regression model"):
        model.predict_proba(new_rows[FEATURES])


def test_stored_examples(clf_package: Path, data: pd.DataFrame) -> None:
    model = load_model(clf_package)
    pd.testing.assert_frame_equal(model.input_example(), data[FEATURES].head(5))
    pd.testing.assert_frame_equal(model.reference_sample(), data[[*FEATURES, "churned"]].head(100))
    assert json.loads((clf_package / "metadata.json").read_text()) == METADATA


def test_package_files_and_checksums(clf_package: Path) -> None:
    files = sorted(
        p.relative_to(clf_package).as_posix() for p in clf_package.rglob("*") if p.is_file()
    )
    assert sorted([*PACKAGE_FILES, CHECKSUMS_FILE]) == files
    lines = (clf_package / CHECKSUMS_FILE).read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        match = re.fullmatch(r"([0-9a-f]{64})  ([^ ].*)", line)  # sha256sum's text format
        assert match, line
        listed[match.group(2)] = match.group(1)
    assert sorted(listed) == sorted(PACKAGE_FILES)
    for relative, digest in listed.items():
        assert hashlib.sha256((clf_package / relative).read_bytes()).hexdigest() == digest
    assert sorted(verify_package(clf_package)) == sorted(PACKAGE_FILES)
    if shutil.which("sha256sum"):
        result = subprocess.run(
            ["sha256sum", "--check", "--strict", CHECKSUMS_FILE],
            cwd=clf_package,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_mlmodel_file(clf_package: Path) -> None:
    document = yaml.safe_load((clf_package / "MLmodel").read_text(encoding="utf-8"))
    flavor = document["flavors"]["python_function"]
    assert flavor["loader_module"] == "automl_pyfunc"
    assert (flavor["code"], flavor["data"]) == ("code", "data")
    assert flavor["env"] == {"virtualenv": "python_env.yaml"}
    assert re.fullmatch(r"3\.\d+\.\d+", flavor["python_version"])
    assert re.fullmatch(r"[0-9a-f]{32}", document["model_uuid"])
    assert document["utc_time_created"]
    inputs = json.loads(document["signature"]["inputs"])
    assert [(c["name"], c["type"]) for c in inputs] == [
        ("age", "double"),
        ("plan", "string"),
        ("active", "boolean"),
        ("visits", "long"),
    ]
    assert json.loads(document["signature"]["outputs"])[0]["type"] == "string"
    info = document["saved_input_example_info"]
    assert info["artifact_path"] == "input_example.json"
    assert info["type"] == "dataframe"
    assert info["pandas_orient"] == "split"
    text = (clf_package / "input_example.json").read_text()
    assert "NaN" not in text  # strict JSON: missing values are null
    example = json.loads(text)
    assert example["columns"] == FEATURES
    assert len(example["data"]) == 5
    serving = json.loads((clf_package / "serving_input_example.json").read_text())
    assert serving == {"dataframe_split": example}


def test_requirements_and_python_env(clf_package: Path) -> None:
    lines = (clf_package / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    assert pins["automl"] == automl.__version__
    for name in ("scikit-learn", "pandas", "numpy"):
        assert pins[name] == metadata.version(name)
    assert "lightgbm" not in pins
    assert "torch" not in pins
    env = yaml.safe_load((clf_package / "python_env.yaml").read_text())
    assert env["dependencies"] == ["-r requirements.txt"]
    assert env["python"].startswith("3.")


def test_requirements_detect_lightgbm(tmp_path: Path, data: pd.DataFrame) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    features = data[["age", "visits"]]
    pipeline = make_pipeline(
        SimpleImputer(), lightgbm.LGBMRegressor(n_estimators=5, verbose=-1)
    ).fit(features, data["spend"])
    path = write_package(
        tmp_path / "model",
        pipeline=pipeline,
        task="regression",
        target="spend",
        classes=None,
        input_example=features.head(3),
        reference_sample=data[["age", "visits", "spend"]],
        metadata={},
    )
    text = (path / "requirements.txt").read_text()
    assert f"lightgbm=={metadata.version('lightgbm')}" in text.splitlines()


def test_installed_distributions_are_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Reading every distribution's file list took 0.4 s, and a run asks twice.
    from automl.package.environment import distributions_of, module_distributions

    calls = []

    def packages_distributions() -> dict[str, list[str]]:
        calls.append(1)
        return {"sklearn": ["scikit-learn"]}

    monkeypatch.setattr(metadata, "packages_distributions", packages_distributions)
    module_distributions.cache_clear()
    try:
        assert "scikit-learn" in distributions_of({"sklearn"})
        assert "scikit-learn" in distributions_of({"sklearn", "numpy"})
    finally:
        module_distributions.cache_clear()
    assert calls == [1]


def test_the_input_example_is_predicted_once_per_check(
    tmp_path: Path, classifier: Pipeline, data: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An ensemble predicts through every member's pipeline: once for the predictions to
    # reproduce, once for the example in the users' column types; the reloaded copy once more.
    real = Pipeline.predict
    calls: list[str] = []

    def predict(self: Pipeline, features: Any, **params: Any) -> Any:
        calls.append("original" if self is classifier else "reloaded")
        return real(self, features, **params)

    monkeypatch.setattr(Pipeline, "predict", predict)
    _write_classifier(tmp_path / "model", classifier, data)
    assert calls.count("original") == 2
    assert calls.count("reloaded") == 1


def test_local_version_labels_are_not_pinned() -> None:
    from automl.package.environment import requirements_text

    text = requirements_text({"automl": "0.1.0", "torch": "2.13.0+cpu"})
    assert "torch==2.13.0" in text.splitlines()
    assert "# torch was installed as the local build 2.13.0+cpu" in text


# --- refusing modified packages ------------------------------------------------------------


@pytest.mark.parametrize("relative", ["data/pipeline.pkl", "code/automl_pyfunc.py", "MLmodel"])
def test_modified_file_is_refused(copy: Path, relative: str) -> None:
    with (copy / relative).open("ab") as handle:
        handle.write(b"\n# tampered\n")
    with pytest.raises(PackageError, match="trusted source") as info:
        load_model(copy)
    assert relative in str(info.value)
    assert "does not match its checksum" in str(info.value)


def test_missing_file_is_refused(copy: Path) -> None:
    (copy / "input_example.json").unlink()
    with pytest.raises(PackageError, match=r"input_example\.json is missing"):
        load_model(copy)


def test_missing_checksums_are_refused(copy: Path) -> None:
    (copy / CHECKSUMS_FILE).unlink()
    with pytest.raises(PackageError, match=r"CHECKSUMS\.sha256 is missing.*trusted source"):
        load_model(copy)


def test_unlisted_package_file_is_refused(copy: Path) -> None:
    # Dropping the pickle's line must not turn it into an "unlisted file" that is read anyway.
    checksums = copy / CHECKSUMS_FILE
    lines = checksums.read_text().splitlines(keepends=True)
    checksums.write_text("".join(line for line in lines if "pipeline.pkl" not in line))
    with pytest.raises(PackageError, match=r"data/pipeline\.pkl is not listed"):
        load_model(copy)


def test_unlisted_extra_file_is_ignored_with_a_warning(
    copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (copy / "notes.txt").write_text("hello")
    with caplog.at_level(logging.WARNING, logger="automl.package"):
        model = load_model(copy)
    assert model.task == "binary"
    assert "notes.txt" in caplog.text


def test_expected_digest(copy: Path, clf_package: Path) -> None:
    digest = package_digest(clf_package)
    assert load_model(copy, expected_digest=digest).digest == digest
    with pytest.raises(PackageError, match="expected"):
        load_model(copy, expected_digest="0" * 64)


def test_missing_package_folder(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="does not exist"):
        load_model(tmp_path / "nowhere")


# --- input checks --------------------------------------------------------------------------


def test_missing_columns_are_all_listed(clf_package: Path, new_rows: pd.DataFrame) -> None:
    model = load_model(clf_package)
    with pytest.raises(DataError, match="lacks 2 of the model's 4 feature columns: age, visits"):
        model.predict(new_rows.drop(columns=["age", "visits"]))


def test_extra_columns_are_dropped_with_a_warning(
    clf_package: Path,
    classifier: Pipeline,
    new_rows: pd.DataFrame,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = load_model(clf_package)
    shuffled = new_rows.assign(customer_id=range(len(new_rows)))[
        ["customer_id", "visits", "churned", "plan", "age", "active", "spend"]
    ]
    with caplog.at_level(logging.WARNING, logger="automl.package"):
        predictions = model.predict(shuffled)
    assert predictions.tolist() == classifier.predict(new_rows[FEATURES]).tolist()
    assert "customer_id, churned, spend" in caplog.text
    assert "target column 'churned'" in caplog.text


def test_values_are_coerced_to_training_types(
    clf_package: Path, classifier: Pipeline, new_rows: pd.DataFrame
) -> None:
    model = load_model(clf_package)
    features = new_rows[FEATURES]
    as_text = pd.DataFrame(
        {
            "age": ["" if pd.isna(v) else repr(float(v)) for v in features["age"]],
            "plan": features["plan"].astype(object),
            "active": ["yes" if v else "no" for v in features["active"]],
            "visits": [f" {v} " for v in features["visits"]],
        },
        dtype=object,
    )
    prepared = model.prepare_input(as_text)
    assert [str(t) for t in prepared.dtypes] == ["float64", "str", "bool", "int64"]
    assert model.predict(as_text).tolist() == classifier.predict(features).tolist()


def test_missing_values_in_an_integer_column_become_floats(
    clf_package: Path, classifier: Pipeline, new_rows: pd.DataFrame
) -> None:
    model = load_model(clf_package)
    features = new_rows[FEATURES].copy()
    features["visits"] = features["visits"].astype("float64")
    features.loc[features.index[:3], "visits"] = np.nan
    assert model.predict(features).tolist() == classifier.predict(features).tolist()


def test_uncoercible_values_are_reported_by_column(
    clf_package: Path, new_rows: pd.DataFrame
) -> None:
    model = load_model(clf_package)
    bad = new_rows[FEATURES].astype(object)
    bad.loc[bad.index[0], "age"] = "abc"
    bad.loc[bad.index[1], "age"] = "?"
    bad.loc[bad.index[2], "active"] = "maybe"
    with pytest.raises(DataError) as info:
        model.predict(bad)
    message = str(info.value)
    assert "column 'age'" in message
    assert "2 values that are not numbers: 'abc', '?'" in message
    assert "column 'active'" in message
    assert "'maybe'" in message
    assert "column 'visits'" not in message


def test_empty_input_is_refused(clf_package: Path, new_rows: pd.DataFrame) -> None:
    model = load_model(clf_package)
    with pytest.raises(DataError, match="no rows"):
        model.predict(new_rows[FEATURES].head(0))
    with pytest.raises(DataError, match="no rows"):
        model.predict(pd.DataFrame())


def test_records_are_accepted(clf_package: Path, classifier: Pipeline) -> None:
    model = load_model(clf_package)
    records = [{"age": 50.0, "plan": "pro", "active": True, "visits": 12}]
    expected = classifier.predict(pd.DataFrame(records)).tolist()
    assert model.predict(records).tolist() == expected
    with pytest.raises(DataError, match="expected a pandas DataFrame"):
        model.predict("age=50")


# --- MLflow --------------------------------------------------------------------------------


def test_mlflow_pyfunc_predicts_like_automl(
    mlflow: Any, clf_package: Path, new_rows: pd.DataFrame
) -> None:
    pyfunc = mlflow.pyfunc.load_model(str(clf_package))
    features = new_rows[FEATURES]
    ours = load_model(clf_package).predict(features)
    assert list(pyfunc.predict(features)) == ours.tolist()


def test_mlflow_pyfunc_regression(mlflow: Any, reg_package: Path, new_rows: pd.DataFrame) -> None:
    pyfunc = mlflow.pyfunc.load_model(str(reg_package))
    features = new_rows[FEATURES]
    np.testing.assert_allclose(
        pyfunc.predict(features), load_model(reg_package).predict(features).to_numpy()
    )


def test_mlflow_reads_signature_and_input_example(
    mlflow: Any, clf_package: Path, data: pd.DataFrame
) -> None:
    model = mlflow.models.Model.load(str(clf_package))
    assert model.signature is not None
    assert model.signature.inputs.input_names() == FEATURES
    assert model.signature.outputs.input_names() == ["prediction"]
    example = model.load_input_example(str(clf_package))
    pd.testing.assert_frame_equal(example, data[FEATURES].head(5), check_dtype=False)
    assert list(mlflow.pyfunc.load_model(str(clf_package)).predict(example))


def test_mlflow_refuses_nan_in_an_integer_column(
    mlflow: Any, clf_package: Path, new_rows: pd.DataFrame
) -> None:
    # The documented difference (docs/model-package.md): MLflow enforces `long` before our
    # loader runs, while automl.load_model accepts the column as floats.
    features = new_rows[FEATURES].copy()
    features["visits"] = features["visits"].astype("float64")
    features.loc[features.index[0], "visits"] = np.nan
    with pytest.raises(mlflow.exceptions.MlflowException, match="visits"):
        mlflow.pyfunc.load_model(str(clf_package)).predict(features)
    assert len(load_model(clf_package).predict(features)) == len(features)


# --- atomic writing ------------------------------------------------------------------------


def _unpicklable(data: pd.DataFrame) -> Pipeline:
    model = Pipeline(
        [
            ("log", FunctionTransformer(lambda frame: frame)),
            ("pre", _preprocessor()),
            ("model", LogisticRegression()),
        ]
    )
    return model.fit(data[FEATURES], data["churned"])


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_failed_write_leaves_nothing(tmp_path: Path, data: pd.DataFrame) -> None:
    with pytest.raises(PackageError, match="cannot be pickled"):
        _write_classifier(tmp_path / "model", _unpicklable(data), data)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_existing_package(
    copy: Path, data: pd.DataFrame, clf_package: Path
) -> None:
    digest = package_digest(copy)
    with pytest.raises(PackageError, match="cannot be pickled"):
        _write_classifier(copy, _unpicklable(data), data)
    assert load_model(copy).digest == digest
    assert _leftovers(copy.parent) == []


def test_crash_late_in_writing_leaves_nothing(
    tmp_path: Path, classifier: Pipeline, data: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import automl.package

    def crash(*args: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(automl.package.write, "mlmodel_text", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        _write_classifier(tmp_path / "model", classifier, data)
    assert list(tmp_path.iterdir()) == []


def test_existing_package_is_replaced(copy: Path, regressor: Pipeline, data: pd.DataFrame) -> None:
    _write_regressor(copy, regressor, data)
    assert load_model(copy).task == "regression"
    assert _leftovers(copy.parent) == []


def test_a_folder_that_is_not_a_package_is_not_replaced(
    tmp_path: Path, classifier: Pipeline, data: pd.DataFrame
) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "precious.txt").write_text("keep me")
    with pytest.raises(PackageError, match="not a model package"):
        _write_classifier(tmp_path / "model", classifier, data)
    assert (tmp_path / "model" / "precious.txt").read_text() == "keep me"


def test_bad_arguments(tmp_path: Path, classifier: Pipeline, data: pd.DataFrame) -> None:
    common: dict[str, Any] = {
        "pipeline": classifier,
        "target": "churned",
        "input_example": data[FEATURES].head(5),
        "reference_sample": data,
        "metadata": {},
    }
    with pytest.raises(ValueError, match="task must be one of"):
        write_package(tmp_path / "a", task="ranking", classes=["no", "yes"], **common)
    with pytest.raises(ValueError, match="needs its classes"):
        write_package(tmp_path / "b", task="binary", classes=None, **common)
    with pytest.raises(ValueError, match="cannot have 3 classes"):
        write_package(tmp_path / "c", task="binary", classes=["a", "b", "c"], **common)
    assert list(tmp_path.iterdir()) == []


# --- automl predict ------------------------------------------------------------------------


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def input_csv(tmp_path: Path, new_rows: pd.DataFrame) -> Path:
    path = tmp_path / "new.csv"
    new_rows.to_csv(path, index=False)
    return path


def test_cli_csv_to_csv(
    clf_package: Path, input_csv: Path, tmp_path: Path, classifier: Pipeline
) -> None:
    output = tmp_path / "out" / "predictions.csv"
    result = _invoke("predict", str(clf_package), str(input_csv), "-o", str(output))
    assert result.exit_code == 0, result.output
    written = pd.read_csv(output)
    assert list(written.columns) == ["prediction"]
    expected = classifier.predict(pd.read_csv(input_csv)[FEATURES])
    assert written["prediction"].tolist() == expected.tolist()
    assert "Ignoring 2 input columns" in result.stderr
    assert "Wrote 30 predictions" in result.stderr


def test_cli_parquet_with_probabilities(
    clf_package: Path, tmp_path: Path, new_rows: pd.DataFrame, classifier: Pipeline
) -> None:
    source = tmp_path / "new.parquet"
    new_rows.to_parquet(source, index=False)
    output = tmp_path / "predictions.parquet"
    result = _invoke("predict", str(clf_package), str(source), "-o", str(output), "--proba")
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(output)
    assert list(written.columns) == ["prediction", "proba_no", "proba_yes"]
    expected = classifier.predict_proba(new_rows[FEATURES])
    np.testing.assert_allclose(written[["proba_no", "proba_yes"]].to_numpy(), expected)


def test_cli_stdout(clf_package: Path, input_csv: Path, classifier: Pipeline) -> None:
    result = _invoke("predict", str(clf_package), str(input_csv), "--proba")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "prediction,proba_no,proba_yes"
    assert len(lines) == 31
    expected = classifier.predict(pd.read_csv(input_csv)[FEATURES]).tolist()
    assert [line.split(",")[0] for line in lines[1:]] == expected
    assert "Ignoring" not in result.stdout


def test_cli_regression(reg_package: Path, input_csv: Path) -> None:
    result = _invoke("predict", str(reg_package), str(input_csv))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "prediction"
    result = _invoke("predict", str(reg_package), str(input_csv), "--proba")
    assert result.exit_code == ExitCode.PACKAGE
    assert "--proba needs a classification model" in result.stderr


def test_cli_missing_input(clf_package: Path, tmp_path: Path) -> None:
    result = _invoke("predict", str(clf_package), str(tmp_path / "absent.csv"))
    assert result.exit_code == ExitCode.DATA
    assert "input file not found" in result.stderr


def test_cli_missing_column(clf_package: Path, tmp_path: Path, new_rows: pd.DataFrame) -> None:
    source = tmp_path / "partial.csv"
    new_rows.drop(columns=["plan"]).to_csv(source, index=False)
    result = _invoke("predict", str(clf_package), str(source))
    assert result.exit_code == ExitCode.DATA
    assert "plan" in result.stderr


def test_cli_unreadable_input(clf_package: Path, tmp_path: Path) -> None:
    source = tmp_path / "broken.parquet"
    source.write_text("not parquet")
    result = _invoke("predict", str(clf_package), str(source))
    assert result.exit_code == ExitCode.DATA
    assert "cannot read" in result.stderr


def test_cli_tampered_package(copy: Path, input_csv: Path) -> None:
    with (copy / "data" / "pipeline.pkl").open("ab") as handle:
        handle.write(b"x")
    result = _invoke("predict", str(copy), str(input_csv))
    assert result.exit_code == ExitCode.PACKAGE
    assert "pipeline.pkl" in result.stderr


def test_cli_bad_output_extension(clf_package: Path, input_csv: Path, tmp_path: Path) -> None:
    result = _invoke("predict", str(clf_package), str(input_csv), "-o", str(tmp_path / "p.xlsx"))
    assert result.exit_code == ExitCode.USAGE
    assert not (tmp_path / "p.xlsx").exists()


def test_other_column_types(tmp_path: Path) -> None:
    from sklearn.dummy import DummyRegressor

    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(["2020-01-01", "2021-05-03", None]),
            "tier": pd.Categorical(["a", "b", "a"]),
            "flag": pd.Series([True, None, False], dtype=object),
            "count": pd.array([1, None, 3], dtype="Int64"),
            "ratio": np.array([1.5, 2.5, np.nan], dtype="float32"),
            "code": pd.Series(["1", "2", "3"], dtype="str"),
        }
    )
    path = write_package(
        tmp_path / "model",
        pipeline=DummyRegressor().fit(frame, [1.0, 2.0, 3.0]),
        task="regression",
        target="y",
        classes=None,
        input_example=frame,
        reference_sample=frame.assign(y=[1.0, 2.0, 3.0]),
        metadata={},
    )
    signature = yaml.safe_load((path / "MLmodel").read_text())["signature"]
    types = [c["type"] for c in json.loads(signature["inputs"])]
    # Int64 with missing values is declared double: MLflow's `long` refuses NaN.
    assert types == ["datetime", "string", "boolean", "double", "double", "string"]
    model = load_model(path)
    text = pd.DataFrame(
        {
            "when": ["2022-02-02", "", "2023-01-01 10:00"],
            "tier": ["a", "c", None],
            "flag": ["yes", "0", None],
            "count": ["4", None, "6"],
            "ratio": [1, 2, 3],
            "code": [1.0, 2.0, np.nan],
        }
    )
    prepared = model.prepare_input(text)
    assert {name: str(dtype) for name, dtype in prepared.dtypes.items()} == model.features
    assert prepared["when"].isna().tolist() == [False, True, False]
    assert prepared["flag"].tolist()[:2] == [True, False]
    assert prepared["count"].tolist()[0] == 4
    assert prepared["code"].tolist()[:2] == ["1", "2"]
    with pytest.raises(DataError, match="1 value that is not a date: 'x'"):
        model.predict(text.assign(when=["x", "2020-01-01", None]))


# --- MLflow accepts the users' own data ----------------------------------------------------

RECIPES = Path(__file__).resolve().parent.parent / "recipes"


def _csv_recipes() -> list[Any]:
    """(recipe name, csv path, target, task) of every example recipe reading a local CSV."""
    cases = []
    for path in sorted(RECIPES.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        source = document["data"]["source"]
        if source.get("type") == "csv":
            csv = path.parent / source["path"]
            case = (csv, document["data"]["target"], document["task"])
            cases.append(pytest.param(*case, id=path.stem))
    return cases


def _fast_package(tmp_path: Path, raw: pd.DataFrame, target: str, task: str) -> Path:
    """A package of a quick model fitted the way a run fits it (automl's preparation and
    preprocessing), declaring the raw columns' dtypes as a run does."""
    from automl.data import build_pipeline, category_levels, prepare

    table = prepare(raw, target, task, cv=3)
    estimator = Ridge() if task == "regression" else LogisticRegression(max_iter=500)
    levels = category_levels(table.features, table.kinds)
    pipeline = build_pipeline(estimator, table.kinds, levels, scale=True)
    pipeline.fit(table.features, table.target)
    reference = table.features.assign(**{target: table.target})
    return write_package(
        tmp_path / "model",
        pipeline=pipeline,
        task=table.task.value,
        target=target,
        classes=table.classes,
        input_example=table.features.head(5),
        reference_sample=reference,
        metadata={},
        input_dtypes=raw.dtypes.to_dict(),
    )


@pytest.mark.parametrize(("csv", "target", "task"), _csv_recipes())
def test_mlflow_accepts_the_example_data_as_read_by_pandas(
    mlflow: Any, tmp_path: Path, csv: Path, target: str, task: str
) -> None:
    raw = pd.read_csv(csv)
    path = _fast_package(tmp_path, raw, target, task)
    features = pd.read_csv(csv).drop(columns=target)
    ours = automl.load_model(path).predict(features)
    theirs = mlflow.pyfunc.load_model(str(path)).predict(features)
    assert list(theirs) == ours.tolist()
    # The signature declares the columns as pandas read them.
    declared = {c["name"]: c["type"] for c in json.loads(_mlmodel(path)["signature"]["inputs"])}
    wanted = {"int64": "long", "float64": "double", "str": "string", "object": "string"}
    assert declared == {name: wanted[str(dtype)] for name, dtype in features.dtypes.items()}
    # MLflow replays the stored example against the signature.
    example = mlflow.models.Model.load(str(path)).load_input_example(str(path))
    assert list(mlflow.pyfunc.load_model(str(path)).predict(example)) == (
        automl.load_model(path).predict(example).tolist()
    )


def _mlmodel(path: Path) -> Any:
    return yaml.safe_load((path / "MLmodel").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("raw", "declared"),
    [
        pytest.param(pd.Series([1, 2, 3]), "long", id="int64-trained-as-float"),
        pytest.param(pd.Series(["yes", "no", "yes"]), "string", id="yes-no-trained-as-bool"),
        pytest.param(pd.Series([True, False, True]), "boolean", id="true-bool"),
        pytest.param(pd.Series(["2020-01-01", "2020-02-01", "x"]), "string", id="date-text"),
        pytest.param(pd.to_datetime(pd.Series(["2020-01-01"] * 3)), "datetime", id="datetime"),
        pytest.param(pd.Series([1.5, 2.0, 3.0]), "double", id="float"),
        pytest.param(pd.array([1, None, 3], dtype="Int64"), "double", id="Int64-with-missing"),
    ],
)
def test_signature_types_follow_the_input_dtypes(raw: Any, declared: str) -> None:
    from automl.package.schema import check_frames

    raw = pd.Series(raw, name="x")
    trained = pd.DataFrame({"x": pd.Series([1.0, np.nan, 3.0])})
    _, features = check_frames(trained, trained, "y", {"x": raw.dtype})
    assert features[0].mlflow_type == declared
    assert features[0].dtype == "float64"  # what prepare_input converts to is unchanged


def test_stored_example_is_written_in_the_input_types(tmp_path: Path) -> None:
    from sklearn.dummy import DummyClassifier

    trained = pd.DataFrame({"rooms": [3.0, 4.0, 5.0], "garden": pd.array([True, False, True])})
    raw_dtypes = {"rooms": np.dtype("int64"), "garden": np.dtype(object)}
    path = write_package(
        tmp_path / "model",
        pipeline=DummyClassifier().fit(trained, ["a", "b", "a"]),
        task="binary",
        target="y",
        classes=["a", "b"],
        input_example=trained,
        reference_sample=trained.assign(y=["a", "b", "a"]),
        metadata={},
        input_dtypes=raw_dtypes,
    )
    stored = json.loads((path / "input_example.json").read_text())
    assert stored["data"] == [[3, "True"], [4, "False"], [5, "True"]]
    model = load_model(path)
    pd.testing.assert_frame_equal(model.input_example(), trained)
    assert model.features == {"rooms": "float64", "garden": "boolean"}


# --- probabilities through MLflow ----------------------------------------------------------


def test_mlflow_predict_proba_param(
    mlflow: Any, clf_package: Path, classifier: Pipeline, new_rows: pd.DataFrame
) -> None:
    pyfunc = mlflow.pyfunc.load_model(str(clf_package))
    features = new_rows[FEATURES]
    proba = pyfunc.predict(features, params={"predict_method": "predict_proba"})
    assert list(proba.columns) == ["no", "yes"]
    np.testing.assert_allclose(proba.to_numpy(), classifier.predict_proba(features))
    default = pyfunc.predict(features, params={"predict_method": "predict"})
    assert list(default) == classifier.predict(features).tolist()
    with pytest.raises(ValueError, match="predict_method must be one of predict, predict_proba"):
        pyfunc.predict(features, params={"predict_method": "decision_function"})
    params = mlflow.models.Model.load(str(clf_package)).signature.params
    assert [(p.name, p.default) for p in params] == [("predict_method", "predict")]


def test_scoring_protocol_accepts_predict_method(
    mlflow: Any, clf_package: Path, classifier: Pipeline, new_rows: pd.DataFrame
) -> None:
    # What `mlflow models serve` runs for POST /invocations, without starting a server.
    from mlflow.pyfunc import scoring_server

    pyfunc = mlflow.pyfunc.load_model(str(clf_package))
    rows = new_rows[FEATURES].head(3)
    body = {
        "dataframe_split": json.loads(rows.to_json(orient="split", index=False)),
        "params": {"predict_method": "predict_proba"},
    }
    schema = pyfunc.metadata.get_input_schema()
    answer = scoring_server.invocations(json.dumps(body), "application/json", pyfunc, schema)
    assert answer.status == 200, answer.response
    predictions = json.loads(answer.response)["predictions"]
    assert [sorted(row) for row in predictions] == [["no", "yes"]] * 3
    expected = classifier.predict_proba(rows)[:, 1]
    np.testing.assert_allclose([row["yes"] for row in predictions], expected)


# --- pass-through columns ------------------------------------------------------------------


def test_predict_table_keeps_columns(
    clf_package: Path, classifier: Pipeline, new_rows: pd.DataFrame, caplog: Any
) -> None:
    model = load_model(clf_package)
    rows = new_rows.assign(customer_id=[f"c{i}" for i in range(len(new_rows))])
    with caplog.at_level(logging.WARNING, logger="automl.package"):
        table = model.predict_table(rows, keep=["customer_id", "plan"], proba=True)
    assert list(table.columns) == ["customer_id", "plan", "prediction", "proba_no", "proba_yes"]
    assert table["customer_id"].tolist() == rows["customer_id"].tolist()
    assert table["plan"].tolist() == rows["plan"].tolist()
    assert table["prediction"].tolist() == classifier.predict(rows[FEATURES]).tolist()
    # Kept columns are not reported as ignored; the other extra columns are.
    assert "customer_id" not in caplog.text
    assert "churned, spend" in caplog.text
    plain = model.predict_table(rows)
    assert list(plain.columns) == ["prediction"]


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        pytest.param(
            ["customer_id"], "cannot keep the column 'customer_id': not in the input", id="absent"
        ),
        pytest.param(
            ["a", "b"], "cannot keep the columns 'a', 'b': not in the input", id="two-absent"
        ),
        pytest.param(["prediction"], "the output has a column of that name", id="clash"),
    ],
)
def test_predict_table_refuses_bad_keep(
    clf_package: Path, new_rows: pd.DataFrame, keep: list[str], message: str
) -> None:
    rows = new_rows.assign(prediction=1) if keep == ["prediction"] else new_rows
    with pytest.raises(DataError, match=message):
        load_model(clf_package).predict_table(rows, keep=keep)


def test_cli_keep(clf_package: Path, tmp_path: Path, new_rows: pd.DataFrame) -> None:
    source = tmp_path / "new.csv"
    new_rows.assign(customer_id=range(100, 100 + len(new_rows))).to_csv(source, index=False)
    result = _invoke(
        "predict", str(clf_package), str(source), "--keep", "customer_id", "--keep", "churned"
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(io.StringIO(result.stdout))
    assert list(written.columns) == ["customer_id", "churned", "prediction"]
    assert written["customer_id"].tolist() == list(range(100, 100 + len(new_rows)))
    assert written["churned"].tolist() == new_rows["churned"].tolist()
    assert "Ignoring the input column" not in result.stderr
    result = _invoke("predict", str(clf_package), str(source), "--keep", "order_id")
    assert result.exit_code == ExitCode.DATA
    assert "cannot keep the column 'order_id': not in the input" in result.stderr


# --- categories never seen in training -----------------------------------------------------


def _with_new_plans(rows: pd.DataFrame) -> pd.DataFrame:
    changed = rows[FEATURES].copy()
    changed.loc[changed.index[:3], "plan"] = ["enterprise", "free", "enterprise"]
    changed.loc[changed.index[3], "plan"] = None  # missing is not a new category
    return changed


def test_unseen_categories_are_counted_and_logged(
    clf_package: Path, new_rows: pd.DataFrame, caplog: Any
) -> None:
    model = load_model(clf_package)
    assert model.categories == {"plan": ("basic", "pro", "team")}
    rows = _with_new_plans(new_rows)
    assert model.unseen_categories(rows) == {"plan": {"enterprise": 2, "free": 1}}
    assert model.unseen_categories(new_rows[FEATURES]) == {}
    with caplog.at_level(logging.WARNING, logger="automl.package"):
        model.predict(rows)
    assert (
        "unseen categories: column 'plan': 3 rows with categories never seen in training: "
        "'enterprise' (2), 'free' (1); predicted as unknown"
    ) in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="automl.package"):
        model.predict(new_rows[FEATURES])
    assert "never seen" not in caplog.text


def test_unseen_categories_with_automl_preprocessing(tmp_path: Path) -> None:
    # automl's own pipelines: categories stripped to text, rare ones grouped, many-level
    # columns target-encoded.
    rng = np.random.default_rng(0)
    n = 300
    raw = pd.DataFrame(
        {
            "size": rng.normal(0, 1, n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "city": [f"city{i % 40}" for i in range(n)],
        }
    )
    raw["y"] = raw["size"] * 2 + (raw["colour"] == "red") + rng.normal(0, 0.1, n)
    model = load_model(_fast_package(tmp_path, raw, "y", "regression"))
    assert set(model.categories) == {"colour", "city"}
    rows = raw.drop(columns="y").head(4).assign(colour=["red", "purple", " red ", "red"])
    rows.loc[rows.index[0], "city"] = "atlantis"
    assert model.unseen_categories(rows) == {"colour": {"purple": 1}, "city": {"atlantis": 1}}


def test_cli_reports_unseen_categories(
    clf_package: Path, tmp_path: Path, new_rows: pd.DataFrame
) -> None:
    source = tmp_path / "new.csv"
    _with_new_plans(new_rows).to_csv(source, index=False)
    result = _invoke("predict", str(clf_package), str(source))
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(new_rows) + 1
    stderr = " ".join(result.stderr.split())
    assert (
        "unseen categories: column 'plan': 3 rows with categories never seen in training: "
        "'enterprise' (2), 'free' (1); predicted as unknown"
    ) in stderr


def _user_frame(recipe: dict[str, Any]) -> pd.DataFrame:
    """The recipe's data as a user reads it with pandas (CSV file or SQL query)."""
    source = recipe["data"]["source"]
    if source["type"] == "csv":
        return pd.read_csv(source["path"])
    import sqlite3

    database = source["url"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        query = source["query"].replace(":min_tenure", str(source["params"]["min_tenure"]))
        return pd.read_sql_query(query, connection)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["quickstart", "housing", "plants", "sql_example"])
def test_run_package_accepts_the_example_data_through_mlflow(
    mlflow: Any, tmp_path: Path, name: str
) -> None:
    recipe = yaml.safe_load((RECIPES / f"{name}.yaml").read_text(encoding="utf-8"))
    source = recipe["data"]["source"]
    if source["type"] == "csv":
        source["path"] = str(RECIPES / source["path"])
    else:
        source["url"] = f"sqlite:///{RECIPES / 'data' / 'churn.sqlite'}"
    regression = recipe["task"] == "regression"
    recipe["models"] = ["ridge" if regression else "logistic_regression"]
    recipe["search"] = {"n_trials": 2, "cv": 3, "seed": 0}
    recipe["execution"] = {"workers": 1}
    result = automl.run(recipe, run_dir=tmp_path / "run", progress=False)
    path = result.run_dir / "model"
    features = _user_frame(recipe).drop(columns=recipe["data"]["target"])
    ours = automl.load_model(path).predict(features)
    theirs = mlflow.pyfunc.load_model(str(path)).predict(features)
    if regression:
        np.testing.assert_allclose(theirs, ours.to_numpy())
    else:
        assert list(theirs) == ours.tolist()


def test_a_compiled_cython_function_needs_its_own_module_not_cythons(tmp_path: Path) -> None:
    """A Cython function (a fitted histogram gradient boosting's loss unpickles through one) is
    pickled by its module and name: its distribution is required, and Cython's shared
    ``_cython_3_x`` module, which holds only its type, is not recorded (it warned on every
    such package that no distribution provides it)."""
    from sklearn.utils._random import sample_without_replacement

    from automl.package.pickling import write_pipeline

    assert type(sample_without_replacement).__module__.startswith("_cython_")
    modules = write_pipeline(tmp_path / "pipeline.pkl", {"f": sample_without_replacement})
    assert "sklearn" in modules
    assert not any(module.startswith("_cython_") for module in modules)
