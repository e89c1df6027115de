"""The dataset sources: ``sklearn`` (bundled with scikit-learn) and ``openml`` (cached)."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from automl import DataError, PluginRegistry, RecipeError
from automl_io.openml import find_cached, write_cache
from tests.source_helpers import load_source


def _load(registry: PluginRegistry, base_dir: Path, source: str) -> pd.DataFrame:
    return load_source(registry, source, base_dir=base_dir, target="target")


# -- sklearn -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shape", "labels"),
    [
        pytest.param("iris", (150, 5), ["setosa", "versicolor", "virginica"], id="iris"),
        pytest.param("wine", (178, 14), ["class_0", "class_1", "class_2"], id="wine"),
        pytest.param("breast_cancer", (569, 31), ["benign", "malignant"], id="breast_cancer"),
        pytest.param("digits", (1797, 65), list(range(10)), id="digits"),
        pytest.param("diabetes", (442, 11), None, id="diabetes"),
    ],
)
def test_sklearn_datasets(
    tmp_path: Path, registry: PluginRegistry, name: str, shape: tuple[int, int], labels: list | None
) -> None:
    frame = _load(registry, tmp_path, f"{{type: sklearn, name: {name}}}")
    assert frame.shape == shape
    assert frame.columns[-1] == "target"
    if labels is None:
        assert pd.api.types.is_float_dtype(frame["target"])
    else:
        assert sorted(frame["target"].unique().tolist()) == labels


def test_sklearn_class_codes(tmp_path: Path, registry: PluginRegistry) -> None:
    frame = _load(registry, tmp_path, "{type: sklearn, name: iris, class_names: false}")
    assert sorted(frame["target"].unique().tolist()) == [0, 1, 2]


def test_sklearn_unknown_name(tmp_path: Path, registry: PluginRegistry) -> None:
    with pytest.raises(RecipeError, match="Did you mean 'iris'"):
        _load(registry, tmp_path, "{type: sklearn, name: irsi}")


# -- openml --------------------------------------------------------------------------------------


def _openml_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://api.openml.org/api/v1/json/data/61", timeout=3):
            return True
    except OSError:
        return False


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails, as on an offline machine."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


IRIS = pd.DataFrame(
    {
        "sepallength": [5.1, 7.0, 6.3],
        "petalwidth": [0.2, 1.4, 2.5],
        "class": pd.Categorical(["Iris-setosa", "Iris-versicolor", "Iris-virginica"]),
    }
)


def _seed(cache: Path, frame: pd.DataFrame = IRIS, version: int = 1, id: int = 61) -> None:
    write_cache(
        cache,
        frame,
        {"id": id, "name": "iris", "version": version, "default_target": "class"},
    )


def test_openml_offline_without_cache_fails_fast(tmp_path: Path, registry: PluginRegistry) -> None:
    if _openml_reachable():
        pytest.skip("openml.org is reachable from here; this test covers the offline case")
    started = time.monotonic()
    with pytest.raises(DataError) as caught:
        _load(registry, tmp_path, "{type: openml, id: 61, cache_dir: cache, timeout: 3}")
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert message.startswith("openml source: cannot reach OpenML (https://api.openml.org")
    assert f"to download dataset 61, and no cached copy exists in {tmp_path / 'cache'}" in message


def test_openml_cached_copy_works_offline(
    tmp_path: Path, registry: PluginRegistry, no_network: None
) -> None:
    _seed(tmp_path / "cache")
    frame = _load(registry, tmp_path, "{type: openml, id: 61, cache_dir: cache}")
    pd.testing.assert_frame_equal(frame, IRIS)
    assert frame["class"].dtype == "category"


def test_openml_by_name_and_version(
    tmp_path: Path, registry: PluginRegistry, no_network: None
) -> None:
    cache = tmp_path / "cache"
    _seed(cache, IRIS.head(2), version=3, id=900)
    _seed(cache, IRIS, version=1, id=61)
    assert len(_load(registry, tmp_path, "{type: openml, name: iris, cache_dir: cache}")) == 3
    frame = _load(registry, tmp_path, "{type: openml, name: iris, version: 3, cache_dir: cache}")
    assert len(frame) == 2
    with pytest.raises(DataError, match=r"cannot reach OpenML .* dataset 'iris' version 2"):
        _load(
            registry,
            tmp_path,
            "{type: openml, name: iris, version: 2, cache_dir: cache, timeout: 1}",
        )


def test_openml_default_cache_dir(
    tmp_path: Path, registry: PluginRegistry, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    _seed(tmp_path / ".cache" / "automl" / "openml")
    assert len(_load(registry, tmp_path, "{type: openml, id: 61}")) == 3


def test_openml_incomplete_and_damaged_cache(
    tmp_path: Path, registry: PluginRegistry, no_network: None
) -> None:
    cache = tmp_path / "cache"
    _seed(cache)
    (cache / "61" / "dataset.json").unlink()  # an interrupted write: no metadata yet
    assert find_cached(cache, id=61) is None
    _seed(cache)
    (cache / "61" / "data.parquet").write_bytes(b"garbage")
    with pytest.raises(
        DataError, match=r"the cached copy in .*61 is unreadable .*delete that folder"
    ):
        _load(registry, tmp_path, "{type: openml, id: 61, cache_dir: cache}")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param("{type: openml}", "exactly one of id", id="neither"),
        pytest.param("{type: openml, id: 61, name: iris}", "exactly one of id", id="both"),
        pytest.param(
            "{type: openml, id: 61, version: 2}", "version goes with name", id="id-version"
        ),
        pytest.param("{type: openml, id: 0}", "greater than or equal to 1", id="id-zero"),
    ],
)
def test_openml_parameter_errors(
    tmp_path: Path, registry: PluginRegistry, source: str, message: str
) -> None:
    with pytest.raises(RecipeError, match=message):
        _load(registry, tmp_path, source)
