"""Shared fixtures: throw-away installed distributions and fresh plugin registries."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from automl.registry import PluginRegistry

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PLUGIN = ROOT / "tests" / "example_plugin"


class SiteDir:
    """A folder on ``sys.path`` into which tests install fake distributions.

    A distribution is real as far as ``importlib.metadata`` is concerned: a ``.dist-info``
    folder with ``METADATA`` and ``entry_points.txt`` beside its modules.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.modules: list[str] = []

    def add(
        self,
        distribution: str,
        modules: dict[str, str],
        entry_points: dict[str, str],
        version: str = "1.0",
    ) -> None:
        """Install ``modules`` (name -> source) as ``distribution`` with ``automl`` entry points."""
        for name, source in modules.items():
            (self.path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
            self.modules.append(name)
        info = self.path / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n", encoding="utf-8"
        )
        lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[automl]\n{lines}\n", encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SiteDir]:
    """A fresh folder on ``sys.path`` for fake plugin distributions, removed afterwards."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    site_dir = SiteDir(path)
    yield site_dir
    for name in site_dir.modules:
        sys.modules.pop(name, None)


@pytest.fixture(autouse=True)
def _clean_plugin_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start without the user's plugin switches."""
    monkeypatch.delenv("AUTOML_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("AUTOML_DISABLE_PLUGIN_AUTOLOAD", raising=False)


@pytest.fixture(autouse=True)
def _restore_automl_logger() -> Iterator[None]:
    """The CLI configures the ``automl`` logger; give every test the default back."""
    yield
    for name in ("automl", "automl.registry"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


@pytest.fixture
def registry() -> PluginRegistry:
    """The builtin plugins only (whatever else the environment has installed)."""
    return PluginRegistry.discover(autoload=False)


@pytest.fixture
def example_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The example third-party plugin module from tests/example_plugin, importable in-process."""
    monkeypatch.syspath_prepend(str(EXAMPLE_PLUGIN / "src"))
    import automl_example

    yield automl_example
    for name in [
        m for m in sys.modules if m == "automl_example" or m.startswith("automl_example.")
    ]:
        sys.modules.pop(name, None)


@pytest.fixture
def registry_with_example(example_plugin: object) -> PluginRegistry:
    """Builtins plus the example plugin, which contributes a model and a metric."""
    registry = PluginRegistry.discover(autoload=False)
    assert registry.add_plugin(
        example_plugin, name="example", distribution="automl-example", version="0.1.0"
    )
    return registry


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a text file under the test's temporary folder and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write
