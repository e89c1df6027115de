"""The layering rules, read from the source: plugins' import path and no private imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PLUGIN_FILES = sorted((ROOT / "plugins").glob("automl_*/**/*.py"))
CORE_FILES = sorted((ROOT / "automl").rglob("*.py"))


def _imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """Every absolute import in ``path``: (line, module, imported names), nested ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_the_scans_find_the_sources() -> None:
    assert len(PLUGIN_FILES) >= 4
    assert ROOT / "automl" / "__init__.py" in CORE_FILES


def test_builtin_plugins_import_only_from_automl() -> None:
    """A builtin plugin uses the plugin author's one import path: ``from automl import ...``."""
    offenders = [
        f"{_where(path, line)} imports {module}"
        for path in PLUGIN_FILES
        for line, module, _ in _imports(path)
        if module.startswith("automl.")
    ]
    assert offenders == [], "import these names from `automl` (add them to its _LAZY table)"


def test_no_module_imports_private_names() -> None:
    """A leading-underscore name belongs to its module: make it public or move it instead."""
    offenders = [
        f"{_where(path, line)} imports {name} from {module}"
        for path in [*CORE_FILES, *PLUGIN_FILES]
        for line, module, names in _imports(path)
        for name in names
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__"))
    ]
    assert offenders == []


# Which lower layers may not import which higher ones (dependencies point down).
FORBIDDEN = [
    pytest.param("search", ("automl.recipe", "automl.runner", "automl.cli"), id="search"),
    pytest.param(
        "data", ("automl.recipe", "automl.runner", "automl.cli", "automl.search"), id="data"
    ),
    pytest.param(
        "package", ("automl.recipe", "automl.runner", "automl.cli", "automl.search"), id="package"
    ),
    pytest.param("records", ("automl.",), id="records-import-nothing-of-automl"),
    pytest.param(
        "rundir", ("automl.recipe", "automl.runner", "automl.cli", "automl.search"), id="rundir"
    ),
    pytest.param("runner", ("automl.cli",), id="runner"),
    pytest.param(
        "ensemble",
        ("automl.recipe", "automl.runner", "automl.cli", "automl.search", "automl.data"),
        id="ensemble",
    ),
]


@pytest.mark.parametrize(("package", "forbidden"), FORBIDDEN)
def test_layers_point_down(package: str, forbidden: tuple[str, ...]) -> None:
    files = sorted((ROOT / "automl" / package).rglob("*.py"))
    assert files
    offenders = [
        f"{_where(path, line)} imports {module}"
        for path in files
        for line, module, _ in _imports(path)
        if any(module == f.rstrip(".") or module.startswith(f.rstrip(".") + ".") for f in forbidden)
        and not module.startswith(f"automl.{package}")
    ]
    assert offenders == []


def test_core_modules_stay_small() -> None:
    """One responsibility per module: none grows past ~300 lines."""
    large = [
        f"{path.relative_to(ROOT)} ({lines} lines)"
        for path in CORE_FILES
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 310
    ]
    assert large == []


@pytest.mark.parametrize(
    "package", ["search", "data", "package", "records", "rundir", "runner", "ensemble"]
)
def test_subpackages_export_a_short_all(package: str) -> None:
    import importlib

    module = importlib.import_module(f"automl.{package}")
    names = module.__all__
    assert 0 < len(names) <= 40
    assert list(names) == sorted(names, key=lambda name: (not name.isupper(), name)) or list(
        names
    ) == sorted(names)
    for name in names:
        assert getattr(module, name) is not None
