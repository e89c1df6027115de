"""The example recipes of the sql and http sources load their data (churn.csv, 1500 rows)."""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from automl import PluginRegistry, load_recipe
from automl.recipe import parse_recipe
from automl.specs import SourceContext

RECIPES = Path(__file__).resolve().parent.parent / "recipes"
CHURN = pd.read_csv(RECIPES / "data" / "churn.csv")


def _script(name: str) -> ModuleType:
    """A script of recipes/data, imported as a module."""
    spec = importlib.util.spec_from_file_location(
        f"recipes_data_{name}", RECIPES / "data" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _frame(recipe: Path, registry: PluginRegistry) -> pd.DataFrame:
    resolved = load_recipe(recipe, registry)
    source = resolved.data_source
    return source.component.spec.factory(source.params, SourceContext(base_dir=resolved.base_dir))


@pytest.fixture
def example_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """recipes/data/serve_example_api.py on a free port; AUTOML_EXAMPLE_API points at it."""
    server = _script("serve_example_api").start(0)
    try:
        monkeypatch.setenv("AUTOML_EXAMPLE_API", server.url)
        yield server.url
    finally:
        server.shutdown()


def test_sql_example(registry: PluginRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    frame = _frame(RECIPES / "sql_example.yaml", registry)
    assert list(frame.columns) == list(CHURN.columns)
    assert len(frame) == len(CHURN) == 1500
    pd.testing.assert_frame_equal(frame, CHURN, check_dtype=False)


def test_http_example(registry: PluginRegistry, example_api: str) -> None:
    frame = _frame(RECIPES / "http_example.yaml", registry)
    assert list(frame.columns) == list(CHURN.columns)
    pd.testing.assert_frame_equal(frame, CHURN, check_dtype=False)


def test_example_api_pages(example_api: str, registry: PluginRegistry, tmp_path: Path) -> None:
    """The example server also serves numbered pages, the other pagination kind."""
    recipe = tmp_path / "paged.yaml"
    recipe.write_text(
        "data:\n"
        "  source: {type: http, url: '${AUTOML_EXAMPLE_API}', records: data,\n"
        "           pagination: {type: page, size_param: per_page, size: 400}}\n"
        "  target: churned\n",
        encoding="utf-8",
    )
    assert len(_frame(recipe, registry)) == 1500


def test_shipped_sqlite_matches_its_generator(tmp_path: Path) -> None:
    """churn.sqlite is what make_churn_sqlite.py builds from churn.csv, and stays small."""
    shipped = RECIPES / "data" / "churn.sqlite"
    assert shipped.stat().st_size <= 300 * 1024
    rebuilt = _script("make_churn_sqlite").build(tmp_path / "churn.sqlite")

    def dump(path: Path) -> list[str]:
        with sqlite3.connect(path) as db:
            lines = list(db.iterdump())
        db.close()
        return lines

    assert dump(rebuilt) == dump(shipped)


def test_data_docs_examples_are_valid_recipes(registry: PluginRegistry) -> None:
    """Every YAML example of docs/data.md's Sources section validates (nothing is read)."""
    import re

    text = (RECIPES.parent / "docs" / "data.md").read_text(encoding="utf-8")
    sources = text.split("## Sources", 1)[1].split("## Preparation", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", sources, flags=re.DOTALL)
    assert len(blocks) >= 8
    for block in blocks:
        env = {name: f"value-of-{name}" for name in re.findall(r"\$\{(\w+)\}", block)}
        parse_recipe(block, base_dir=RECIPES, registry=registry, env=env)
