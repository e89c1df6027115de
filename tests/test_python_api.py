"""The Python entry point: ``automl.run`` on a recipe in any form, data given as a DataFrame,
progress in notebooks, results as tables."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest

import automl
from automl import PluginRegistry, RecipeError, UsageError, load_recipe
from automl.api import load
from automl.leaderboard import Leaderboard
from automl.records import LeaderboardRow, MetricScores, RunSummary
from automl.runner import RunResult
from tests.conftest import ROOT
from tests.run_helpers import CHURN, churn_recipe

SOURCE_REQUIRED = "data.source is required unless you pass data= in Python"

RECIPE_TEXT = """\
name: from-text
task: binary
data:
  source: {type: csv, path: churn.csv}
  target: churned
"""
RECIPE_DICT: dict[str, Any] = {
    "name": "from-dict",
    "task": "binary",
    "data": {"source": {"type": "csv", "path": "churn.csv"}, "target": "churned"},
}
NO_SOURCE: dict[str, Any] = {"name": "frame", "task": "binary", "data": {"target": "churned"}}


@pytest.fixture(scope="module")
def registry() -> PluginRegistry:
    return PluginRegistry.discover()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_automl_run_is_the_python_entry_point() -> None:
    from automl.api import run

    assert automl.run is run


@pytest.mark.parametrize(
    ("form", "name"),
    [
        pytest.param(str, "churn-test", id="path-str"),
        pytest.param(lambda path: path, "churn-test", id="path"),
        pytest.param(lambda path: RECIPE_TEXT, "from-text", id="yaml-text"),
        pytest.param(
            lambda path: "{task: binary, data: {source: {type: csv, path: churn.csv}, target: y}}",
            "recipe",
            id="flow-yaml",
        ),
        pytest.param(lambda path: RECIPE_DICT, "from-dict", id="dict"),
        pytest.param(load_recipe, "churn-test", id="resolved"),
    ],
)
def test_a_recipe_loads_from_any_form(
    in_tmp: Path, registry: PluginRegistry, form: Any, name: str | None
) -> None:
    path = churn_recipe(in_tmp)
    resolved = load(form(path), registry)
    if name is not None:
        assert resolved.name == name
    assert resolved.data_source is not None
    assert resolved.data_source.params.path == "churn.csv"  # type: ignore[attr-defined]
    assert resolved.base_dir == in_tmp.resolve()  # text and dicts: the working directory


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        pytest.param("missing.yaml", "file not found", id="missing-file"),
        pytest.param("name: [x\ndata: 1\n", "line", id="bad-yaml"),
        pytest.param(
            {"data": {"target": "y", "source": {"type": "cvs"}}}, "Did you mean", id="bad-dict"
        ),
        pytest.param(NO_SOURCE, SOURCE_REQUIRED, id="no-source-without-data"),
        pytest.param(
            {"data": {"source": {"type": "csv", "path": Path("x.csv")}}},
            "data.target",
            id="path-value",
        ),
    ],
)
def test_an_unusable_recipe_is_a_recipe_error(
    in_tmp: Path, registry: PluginRegistry, recipe: Any, message: str
) -> None:
    with pytest.raises(RecipeError, match=message):
        load(recipe, registry)


def test_a_missing_file_gives_the_error_the_cli_gives(
    in_tmp: Path, registry: PluginRegistry
) -> None:
    with pytest.raises(RecipeError) as from_api:
        automl.run("missing.yaml", registry=registry)
    with pytest.raises(RecipeError) as from_loader:
        load_recipe("missing.yaml", registry)
    assert str(from_api.value) == str(from_loader.value)


def test_a_recipe_file_without_a_source_is_refused(write: Any, registry: PluginRegistry) -> None:
    path = write("r.yaml", "data:\n  target: y\n")
    with pytest.raises(RecipeError, match=SOURCE_REQUIRED):
        load_recipe(path, registry)
    assert load_recipe(path, registry, source_required=False).data_source is None


def test_without_a_source_the_runner_says_data_is_needed(registry: PluginRegistry) -> None:
    from automl.runner.prepare import read_data

    resolved = load(NO_SOURCE, registry, source_required=False)
    with pytest.raises(RecipeError, match=SOURCE_REQUIRED):
        read_data(resolved, resolved.data_source)


FRAME = object()  # stands for a small DataFrame in the table below


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"recipe": 3}, UsageError, "got int", id="recipe-type"),
        pytest.param(
            {"data": [[1, 2]]}, UsageError, "data= takes a pandas DataFrame", id="data-type"
        ),
        pytest.param(
            {"data": None, "test_data": FRAME}, UsageError, "test_data= needs data=", id="test-only"
        ),
        pytest.param(
            {"progress": "yes"}, UsageError, "progress= is True, False or 'auto'", id="progress"
        ),
        pytest.param({"n_trials": 0}, RecipeError, "search.n_trials", id="bad-override"),
        pytest.param({"workers": 0}, RecipeError, "execution.workers", id="bad-workers"),
        pytest.param(
            {"recipe": {"data": {"target": "churned", "holdout": 0.1}}, "test_data": FRAME},
            RecipeError,
            "either data.holdout",
            id="holdout-and-test-data",
        ),
    ],
)
def test_wrong_arguments_fail_before_running(
    tmp_path: Path, registry: PluginRegistry, kwargs: dict[str, Any], error: type, message: str
) -> None:
    frame = pd.read_csv(CHURN).head(50)
    given = {"recipe": NO_SOURCE, "data": FRAME, **kwargs}
    given = {key: frame if value is FRAME else value for key, value in given.items()}
    with pytest.raises(error, match=message):
        automl.run(given.pop("recipe"), registry=registry, run_dir=tmp_path / "run", **given)
    assert not (tmp_path / "run").exists()


class ZMQInteractiveShell:
    """Stands for the shell of a Jupyter kernel."""

    config: ClassVar[dict[str, object]] = {}


class TerminalInteractiveShell:
    config: ClassVar[dict[str, object]] = {}


class KernelShell:
    config: ClassVar[dict[str, object]] = {"IPKernelApp": {}}


@pytest.mark.parametrize(
    ("shell", "expected"),
    [
        pytest.param(None, False, id="plain-python"),
        pytest.param(TerminalInteractiveShell(), False, id="ipython-terminal"),
        pytest.param(ZMQInteractiveShell(), True, id="jupyter"),
        pytest.param(KernelShell(), True, id="other-kernel"),
    ],
)
def test_progress_auto_shows_only_in_a_notebook(
    monkeypatch: pytest.MonkeyPatch, shell: object, expected: bool
) -> None:
    import sys
    import types

    from automl.api import _wants_progress
    from automl.notebook import in_notebook

    assert in_notebook() is False  # under pytest
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert in_notebook() is expected
    assert _wants_progress("auto") is expected
    assert _wants_progress(True) is True
    assert _wants_progress(False) is False


def _board() -> Leaderboard:
    row = LeaderboardRow(
        rank=1,
        trial=3,
        model="ridge<b>",
        scores={"rmse": MetricScores(mean=1.25, std=0.1, folds=[1.2, 1.3])},
        holdout={"rmse": 1.5},
        fit_time=0.02,
    )
    return Leaderboard(metric="rmse", direction="minimize", metrics=[], rows=[row])


def test_a_leaderboard_shows_as_a_table_in_notebooks() -> None:
    html = _board()._repr_html_()
    assert "<table>" in html
    assert "<th>rmse (cv)</th><th>rmse (holdout)</th>" in html
    assert "ridge&lt;b&gt;" in html  # escaped
    assert "<td>1.25</td><td>1.5</td>" in html


def test_a_leaderboard_pretty_prints_as_aligned_text() -> None:
    class Printer:
        text_out = ""

        def text(self, value: str) -> None:
            self.text_out += value

    printer = Printer()
    _board()._repr_pretty_(printer, cycle=False)
    lines = printer.text_out.splitlines()
    assert lines[0] == "Leaderboard by rmse (minimize)"
    assert lines[1].split() == [
        "rank",
        "trial",
        "model",
        "rmse",
        "(cv)",
        "rmse",
        "(holdout)",
        "fit",
        "s",
    ]
    assert lines[2].split() == ["1", "3", "ridge<b>", "1.25", "1.5", "0.02"]


def test_a_run_result_shows_its_run_and_leaderboard() -> None:
    summary = RunSummary(recipe="r", recipe_file="r.yaml", started_at="now", seed=0, versions={})
    result = RunResult(run_dir=Path("runs/r/1"), summary=summary, leaderboard=_board())
    html = result._repr_html_()
    assert "runs" in html
    assert "Leaderboard by rmse" in html


# -- end to end ------------------------------------------------------------------------------

FAST = {
    "models": ["logistic_regression"],
    "search": {"cv": 2, "seed": 0},
    "execution": {"workers": 1},
}


@pytest.mark.slow
def test_run_a_recipe_file_with_overrides(in_tmp: Path) -> None:
    path = churn_recipe(in_tmp, extra="models: [logistic_regression]\nsearch: {time_budget: 600}\n")
    result = automl.run(str(path), run_dir="out", n_trials=2, seed=3, workers=1)
    summary = json.loads((in_tmp / "out" / "run.json").read_text())
    assert result.run_dir == Path("out")
    assert summary["trials"]["complete"] == 2
    assert summary["seed"] == 3
    assert summary["budget"]["time_budget"] is None  # n_trials replaced the whole budget


@pytest.mark.slow
def test_run_on_a_dataframe_reads_no_source(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import automl.data

    def no_reading(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a data source was read")

    monkeypatch.setattr(automl.data, "read_source", no_reading)
    frame = pd.read_csv(CHURN).head(300)
    test_frame = pd.read_csv(CHURN).iloc[300:400]
    phases: list[str] = []
    result = automl.run(
        {**NO_SOURCE, **FAST},
        data=frame,
        test_data=test_frame,
        n_trials=2,
        run_dir="out",
        progress=True,
        on_phase=phases.append,
    )
    run = automl.open_run(result.run_dir)
    assert run.summary.data["source"] == "a pandas DataFrame given in Python"
    assert run.summary.data["rows"] == 300
    assert run.summary.data["holdout_rows"] == 100  # the test set
    assert (in_tmp / "out" / "recipe.yaml").read_text().startswith("# data: a pandas DataFrame")
    assert phases[:2] == ["load", "prepare"]  # the caller's callback and the display both hear
    assert "trials" in capsys.readouterr().err  # the live display, on standard error
    assert result.leaderboard.best is not None


@pytest.mark.slow
def test_a_dataframe_replaces_the_source_of_a_recipe_file(in_tmp: Path) -> None:
    path = churn_recipe(
        in_tmp,
        extra=textwrap.dedent("""
        models: [logistic_regression]
        search: {n_trials: 2, cv: 2}
        execution: {workers: 1}
        """),
    )
    frame = pd.read_csv(CHURN).tail(200)
    result = automl.run(path, data=frame, run_dir="out", progress=False)
    assert result.summary.data["rows"] == 200


@pytest.mark.slow
def test_the_python_page_code_runs(in_tmp: Path) -> None:
    """docs/python.md's code blocks, executed in order in one namespace (as a notebook would)."""
    import re

    from tests.conftest import ROOT

    (in_tmp / "recipes").symlink_to(ROOT / "recipes")  # the page runs from the repository root
    page = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert len(blocks) == 4
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "docs/python.md", "exec"), namespace)
    assert namespace["accuracy"] > 0.5  # type: ignore[operator]
    assert (in_tmp / "runs" / "notebook-frame" / "run.json").is_file()


def test_bad_overrides_are_named_as_arguments_of_run(tmp_path: Path) -> None:
    import automl

    with pytest.raises(automl.RecipeError) as caught:
        automl.run(ROOT / "recipes" / "quickstart.yaml", workers=0, run_dir=tmp_path / "run")
    message = str(caught.value)
    assert message.startswith("arguments of automl.run: 1 problem in the recipe")
    assert "execution.workers" in message
    assert not (tmp_path / "run").exists()
