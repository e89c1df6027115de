"""The builtin file sources: csv and parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from automl import DataError, PluginRegistry
from automl.recipe import parse_recipe


def _load(registry: PluginRegistry, base_dir: Path, source: str) -> pd.DataFrame:
    resolved = parse_recipe(
        f"data:\n  source: {source}\n  target: y\n", base_dir=base_dir, registry=registry, env={}
    )
    spec = resolved.data_source.component.spec
    from automl.specs import SourceContext

    return spec.factory(resolved.data_source.params, SourceContext(base_dir=resolved.base_dir))


FRAME = pd.DataFrame({"x": [1.5, 2.5, 3.5], "c": ["a", "b", "a"], "y": [0, 1, 0]})


def test_csv_relative_to_recipe(tmp_path: Path, registry: PluginRegistry) -> None:
    (tmp_path / "data").mkdir()
    FRAME.to_csv(tmp_path / "data" / "train.csv", index=False)
    frame = _load(registry, tmp_path, "{type: csv, path: data/train.csv}")
    pd.testing.assert_frame_equal(frame, FRAME, check_dtype=False)


def test_csv_read_options(tmp_path: Path, registry: PluginRegistry) -> None:
    (tmp_path / "semi.csv").write_text("x;c;y\n1,5;a;0\n2,5;b;1\n", encoding="utf-8")
    frame = _load(
        registry, tmp_path, '{type: csv, path: semi.csv, read_options: {sep: ";", decimal: ","}}'
    )
    assert frame["x"].tolist() == [1.5, 2.5]


def test_parquet_with_columns(tmp_path: Path, registry: PluginRegistry) -> None:
    FRAME.to_parquet(tmp_path / "train.parquet")
    frame = _load(registry, tmp_path, "{type: parquet, path: train.parquet, columns: [x, y]}")
    assert list(frame.columns) == ["x", "y"]
    assert len(frame) == 3


@pytest.mark.parametrize(
    ("setup", "source", "message"),
    [
        pytest.param(
            None, "{type: csv, path: nope.csv}", "csv source: file not found: ", id="csv-missing"
        ),
        pytest.param(
            None,
            "{type: parquet, path: nope.parquet}",
            "parquet source: file not found",
            id="parquet-missing",
        ),
        pytest.param("dir", "{type: csv, path: folder}", "is not a file", id="directory"),
        pytest.param("empty", "{type: csv, path: empty.csv}", "is empty", id="empty-csv"),
        pytest.param(
            "garbage", "{type: parquet, path: garbage.parquet}", "cannot read", id="not-parquet"
        ),
        pytest.param("ragged", "{type: csv, path: ragged.csv}", "cannot parse", id="ragged-csv"),
    ],
)
def test_file_errors(
    tmp_path: Path, registry: PluginRegistry, setup: str | None, source: str, message: str
) -> None:
    if setup == "dir":
        (tmp_path / "folder").mkdir()
    elif setup == "empty":
        (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    elif setup == "garbage":
        (tmp_path / "garbage.parquet").write_text("not parquet at all", encoding="utf-8")
    elif setup == "ragged":
        (tmp_path / "ragged.csv").write_text('a,b\n1,2\n3,"4\n', encoding="utf-8")
    with pytest.raises(DataError, match=message) as caught:
        _load(registry, tmp_path, source)
    assert caught.value.exit_code == 5
