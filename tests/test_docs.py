"""The docs' lists of components, files and error messages match what the code really has.

Each test reads a list from a page (README.md, docs/*.md, a docstring) and compares it with its
source of truth: the builtin plugins' registry, the column kinds, the run directory's layout, or
the message that loading a recipe gives. The error examples of docs/recipes.md are marked for
this test:

- ``<!-- example-recipe: FILE -->`` before a ``yaml`` block: the recipe, saved as FILE;
- ``<!-- example-error: FILE [VAR=value ...] -->`` before a ``text`` block: what loading FILE
  prints with exactly those environment variables set.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from automl import PluginRegistry, RecipeError, load_recipe
from automl.data.types import KINDS
from automl.recipe import DEFAULT_METRICS
from automl.rundir import layout as layout_module
from automl.rundir.layout import RunLayout
from automl.specs import ALL_TASKS, ComponentKind, MetricSpec
from tests.conftest import ROOT

DOCS = ROOT / "docs"


@cache
def _page(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


@cache
def _builtins() -> PluginRegistry:
    """The components shipped with automl only (third-party plugins never load)."""
    return PluginRegistry.discover(autoload=False)


def _builtin_names(kind: ComponentKind) -> list[str]:
    return sorted(c.name for c in _builtins().components(kind) if c.plugin.builtin)


def _section(text: str, heading: str) -> str:
    """The text under ``heading`` (a whole Markdown heading line), up to the next heading."""
    match = re.search(rf"^{re.escape(heading)}\n(.*?)(?=^#{{1,6}} |\Z)", text, re.M | re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


def _table(text: str) -> list[list[str]]:
    """The body rows of the first Markdown table in ``text``, cells stripped."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) > 2, "no table"
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def _code_names(cell: str) -> list[str]:
    """The names written as code in a cell or sentence: `csv`, `tsv` -> [csv, tsv]."""
    return re.findall(r"`([^`]+)`", cell)


def _tasks(cell: str) -> set[str]:
    if cell == "all":
        return {task.value for task in ALL_TASKS}
    return {task.strip() for task in cell.split(",")}


# -- components ----------------------------------------------------------------------------------


def test_recipes_page_lists_every_builtin_model() -> None:
    sentence = re.search(r"the builtins\s+are (.+?)\):", _page("docs/recipes.md"), re.S)
    assert sentence
    assert sorted(_code_names(sentence.group(1))) == _builtin_names(ComponentKind.MODEL)


README_MODEL_NAMES = {
    "k-nearest neighbours": "knn",
    "histogram gradient boosting": "hist_gradient_boosting",
    "pytorch mlp": "mlp",
}
"""README names the builtin models in words; the ones that are not the name with spaces."""


def test_readme_names_every_builtin_model() -> None:
    sentence = re.search(r"Builtin models: (.+?)\.\s", _page("README.md"), re.S)
    assert sentence
    words = re.split(r",\s+|\s+and\s+", " ".join(sentence.group(1).split()))
    names = []
    for word in words:
        plain = word.lower().removeprefix("a ")
        names.append(README_MODEL_NAMES.get(plain, plain.replace(" ", "_")))
    assert sorted(names) == _builtin_names(ComponentKind.MODEL)


def test_search_page_gives_every_builtin_model_its_tasks() -> None:
    rows = _table(_section(_page("docs/search.md"), "## The search space"))
    documented = {name: _tasks(row[1]) for row in rows for name in _code_names(row[0])}
    assert sorted(documented) == _builtin_names(ComponentKind.MODEL)
    for component in _builtins().components(ComponentKind.MODEL):
        assert documented[component.name] == {t.value for t in component.spec.tasks}, component


def test_recipes_page_describes_every_builtin_metric() -> None:
    rows = _table(_section(_page("docs/recipes.md"), "### Builtin metrics"))
    documented = {
        _code_names(name)[0]: (direction, proba == "yes", _tasks(tasks))
        for name, direction, proba, tasks, _meaning in rows
    }
    assert sorted(documented) == _builtin_names(ComponentKind.METRIC)
    for component in _builtins().components(ComponentKind.METRIC):
        spec = component.spec_as(MetricSpec)
        tasks = {t.value for t in spec.tasks}
        assert documented[spec.name] == (spec.direction, spec.needs_proba, tasks), spec.name


def test_recipes_page_gives_the_default_metric_of_each_task() -> None:
    rows = _table(_section(_page("docs/recipes.md"), "### Default metric by task"))
    documented = {_code_names(task)[0]: _code_names(metric)[0] for task, metric in rows}
    assert documented == {task.value: metric for task, metric in DEFAULT_METRICS.items()}


@pytest.mark.parametrize(
    ("page", "heading"),
    [("docs/recipes.md", "## Data sources"), ("docs/data.md", "## Sources")],
    ids=["recipes", "data"],
)
def test_pages_list_every_builtin_data_source(page: str, heading: str) -> None:
    rows = _table(_section(_page(page), heading))
    listed = sorted(name for row in rows for name in _code_names(row[0]))
    assert listed == _builtin_names(ComponentKind.DATA_SOURCE)


def test_data_page_describes_every_column_kind() -> None:
    rows = _table(_section(_page("docs/data.md"), "### Column kinds"))
    assert sorted(_code_names(row[0])[0] for row in rows) == sorted(KINDS)


# -- the run directory ---------------------------------------------------------------------------


def _listing(text: str) -> list[str]:
    """The entries of a run-directory listing: the first word of each line indented two more
    than the folder's own line (the first line that starts with a word ending in ``/``)."""
    folder = re.search(r"^( *)\S+/(?: |$)", text, re.M)
    assert folder, "no listing"
    indent = " " * (len(folder.group(1)) + 2)
    return re.findall(rf"^{indent}(\S+)\s", text[folder.end() :], re.M)


def test_search_page_lists_the_run_directory_as_the_layout_does() -> None:
    block = re.search(
        r"```\n(runs/<name>.*?)```", _section(_page("docs/search.md"), "## The run directory"), re.S
    )
    assert block
    assert layout_module.__doc__
    assert _listing(block.group(1)) == _listing(layout_module.__doc__)


def test_the_layout_docstring_names_every_file_of_the_layout() -> None:
    assert layout_module.__doc__
    documented = set(_listing(layout_module.__doc__))
    documented |= set(re.findall(r"\balso (\S+)$", layout_module.__doc__, re.M))
    root = Path("run")
    paths = RunLayout(root)
    top = {
        getattr(paths, name).relative_to(root).parts[0]
        for name, value in vars(RunLayout).items()
        if isinstance(value, property)
    }
    assert {name.rstrip("/") for name in documented} == top


# -- error examples ------------------------------------------------------------------------------

RECIPE = re.compile(r"<!-- example-recipe: (\S+) -->\n```yaml\n(.*?)```", re.S)
ERROR = re.compile(r"<!-- example-error: (\S+)((?: \w+=\S*)*) -->\n```text\n(.*?)```", re.S)


def _error_examples() -> list[tuple[str, dict[str, str], str]]:
    text = _page("docs/recipes.md")
    examples = []
    for match in ERROR.finditer(text):
        env = dict(pair.split("=", 1) for pair in match.group(2).split())
        examples.append((match.group(1), env, match.group(3)))
    return examples


def test_every_error_example_is_marked() -> None:
    text = _page("docs/recipes.md")
    # Every "Error:" block of the page is checked: none is left unmarked.
    assert len(_error_examples()) == text.count("```text\nError: ") == 4
    recipes = {name for name, _ in RECIPE.findall(text)}
    assert {name for name, _, _ in _error_examples()} <= recipes


@pytest.mark.parametrize(
    ("name", "env", "expected"),
    _error_examples(),
    ids=[f"{name}{''.join(f'-{k}' for k in env)}" for name, env, _ in _error_examples()],
)
def test_error_examples_are_what_loading_the_recipe_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, env: dict[str, str], expected: str
) -> None:
    recipes = dict(RECIPE.findall(_page("docs/recipes.md")))
    (tmp_path / name).write_text(recipes[name], encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the message names the file as given, as `automl validate` does
    with pytest.raises(RecipeError) as caught:
        load_recipe(name, _builtins(), env=env)
    assert f"Error: {caught.value}\n" == expected


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("### Top level", "Recipe"),
        ("### `data`", "DataSpec"),
        ("### `search`", "SearchSpec"),
        ("### `execution`", "ExecutionSpec"),
        ("### `ensemble`", "EnsembleSpec"),
    ],
)
def test_recipes_reference_lists_every_key_of_each_section(heading: str, section: str) -> None:
    """The reference tables of docs/recipes.md name exactly the keys the schema accepts."""
    from automl.recipe import schema

    rows = _table(_section(_page("docs/recipes.md"), heading))
    documented = [_code_names(row[0])[0] for row in rows]
    model = getattr(schema, section)
    assert sorted(documented) == sorted(model.model_fields)
