"""Shared fixtures: throw-away installed distributions and fresh plugin registries."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@contextlib.contextmanager
def _plugin_path(site: Path) -> Iterator[None]:
    """Ray processes started meanwhile import from ``site`` (they inherit the environment)."""
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(site), *sys.path])
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


@dataclass
class RayTestCluster:
    """The session's Ray cluster and the folder of test plugins its workers can import."""

    cluster: Any
    site: Path

    def add_node(self, **options: Any) -> Any:
        """Add a node (options as ``ray.cluster_utils.Cluster.add_node``) with the test plugins."""
        with _plugin_path(self.site):
            node = self.cluster.add_node(**options)
            self.cluster.wait_for_nodes()
        return node

    def remove_node(self, node: Any) -> None:
        """Remove a node, killing its processes."""
        self.cluster.remove_node(node)

    def node_by_id(self, node_id: str) -> Any:
        """The worker node with this Ray node id."""
        for node in self.cluster.worker_nodes:
            if node.node_id == node_id:
                return node
        raise LookupError(f"no worker node {node_id}")

    def ensure_capacity(self, cpus: int = 2) -> None:
        """Add a worker node if the cluster has fewer than ``cpus`` CPUs left."""
        import ray

        if ray.cluster_resources().get("CPU", 0) < cpus:
            self.add_node(num_cpus=cpus, object_store_memory=100 * 1024**2)


@pytest.fixture(scope="session")
def ray_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayTestCluster]:
    """One Ray runtime for the whole test session: a real two-node cluster on this machine.

    The head has no CPU for trials and one worker node has 2 CPUs; object stores are capped. Test plugins are
    installed in a folder that the cluster's worker processes import from (plugins must be
    installed on every node). The driver (this process) attaches, so runs with
    ``backend: ray`` use the cluster and leave it running.
    """
    import ray
    from ray.cluster_utils import Cluster

    from tests.run_helpers import KILLABLE, install_test_models

    site_path = tmp_path_factory.mktemp("ray-site")
    site = SiteDir(site_path)
    install_test_models(site)
    site.add("automl-killable", {"automl_killable": KILLABLE}, {"killable": "automl_killable"})
    store = 100 * 1024**2
    with _plugin_path(site_path):
        # The head runs no trials (0 CPUs), so that any worker node may be removed by a test.
        cluster = Cluster(
            initialize_head=True,
            head_node_args={
                "num_cpus": 0,
                "object_store_memory": store,
                "include_dashboard": False,
            },
        )
        cluster.add_node(num_cpus=2, object_store_memory=store)
        cluster.wait_for_nodes()
    ray.init(address=cluster.address, logging_level=logging.WARNING, log_to_driver=False)
    try:
        yield RayTestCluster(cluster=cluster, site=site_path)
    finally:
        ray.shutdown()
        cluster.shutdown()
        for name in ("automl_test_models", "automl_killable"):
            sys.modules.pop(name, None)


@pytest.fixture
def ray_cluster(ray_session: RayTestCluster, monkeypatch: pytest.MonkeyPatch) -> RayTestCluster:
    """The session's Ray cluster, with its test plugins discoverable by this test's driver."""
    monkeypatch.syspath_prepend(str(ray_session.site))
    return ray_session


@pytest.fixture
def example_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """recipes/data/serve_example_api.py on a free loopback port; AUTOML_EXAMPLE_API points at it."""
    import importlib.util

    path = ROOT / "recipes" / "data" / "serve_example_api.py"
    spec = importlib.util.spec_from_file_location("serve_example_api", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = module.start(0)
    monkeypatch.setenv("AUTOML_EXAMPLE_API", server.url)
    try:
        yield server.url
    finally:
        server.shutdown()
