"""The layering rules, read from the source: plugins' import path and no private imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

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
