"""The builtin file sources: csv, tsv, parquet, json, jsonl (local files, file:// and http://)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from automl import DataError, PluginRegistry, RecipeError
from tests.source_helpers import load_source


def _load(
    registry: PluginRegistry, base_dir: Path, source: str, env: dict[str, str] | None = None
) -> pd.DataFrame:
    return load_source(registry, source, base_dir=base_dir, env=env)


FRAME = pd.DataFrame({"x": [1.5, 2.5, 3.5], "c": ["a", "b", "a"], "y": [0, 1, 0]})


def _write_all_formats(folder: Path) -> None:
    FRAME.to_csv(folder / "train.csv", index=False)
    FRAME.to_csv(folder / "train.tsv", index=False, sep="\t")
    FRAME.to_parquet(folder / "train.parquet")
    FRAME.to_json(folder / "train.json", orient="records")
    FRAME.to_json(folder / "train.jsonl", orient="records", lines=True)


FORMATS = [
    pytest.param("csv", "train.csv", id="csv"),
    pytest.param("tsv", "train.tsv", id="tsv"),
    pytest.param("parquet", "train.parquet", id="parquet"),
    pytest.param("json", "train.json", id="json"),
    pytest.param("jsonl", "train.jsonl", id="jsonl"),
]


def test_discovery_imports_no_io_library() -> None:
    """Registering the sources must not import what reading them needs."""
    code = (
        "import sys, json\n"
        "from automl.registry import PluginRegistry\n"
        "registry = PluginRegistry.discover(autoload=False)\n"
        "assert 'sql' in registry.names('data_source')\n"
        "heavy = ['pandas', 'numpy', 'sqlalchemy', 'fsspec', 's3fs', 'requests', 'boto3',\n"
        "         'botocore', 'sklearn', 'pyarrow', 'urllib.request', 'http.client']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(("kind", "name"), FORMATS)
def test_every_format_relative_to_recipe(
    tmp_path: Path, registry: PluginRegistry, kind: str, name: str
) -> None:
    (tmp_path / "data").mkdir()
    _write_all_formats(tmp_path / "data")
    frame = _load(registry, tmp_path, f"{{type: {kind}, path: data/{name}}}")
    pd.testing.assert_frame_equal(frame, FRAME, check_dtype=False)


@pytest.mark.parametrize(("kind", "name"), FORMATS)
def test_every_format_from_a_file_url(
    tmp_path: Path, registry: PluginRegistry, kind: str, name: str
) -> None:
    _write_all_formats(tmp_path)
    url = (tmp_path / name).as_uri()
    frame = _load(registry, tmp_path / "elsewhere", f"{{type: {kind}, path: '{url}'}}")
    pd.testing.assert_frame_equal(frame, FRAME, check_dtype=False)


@pytest.fixture(scope="module")
def file_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A static file server on 127.0.0.1 serving every format; yields its base URL."""
    folder = tmp_path_factory.mktemp("served")
    _write_all_formats(folder)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.mark.parametrize(("kind", "name"), FORMATS)
def test_every_format_over_http(
    tmp_path: Path, registry: PluginRegistry, file_server: str, kind: str, name: str
) -> None:
    frame = _load(registry, tmp_path, f"{{type: {kind}, path: '{file_server}/{name}'}}")
    pd.testing.assert_frame_equal(frame, FRAME, check_dtype=False)


def test_url_not_found_hides_query_values(
    tmp_path: Path, registry: PluginRegistry, file_server: str
) -> None:
    with pytest.raises(DataError) as caught:
        _load(registry, tmp_path, f"{{type: csv, path: '{file_server}/nope.csv?token=abc123'}}")
    message = str(caught.value)
    assert message.startswith("csv source: not found: ")
    assert f"{file_server}/nope.csv?token=***" in message
    assert "abc123" not in message


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


def test_compressed_csv_by_extension(tmp_path: Path, registry: PluginRegistry) -> None:
    FRAME.to_csv(tmp_path / "train.csv.gz", index=False)
    frame = _load(registry, tmp_path, "{type: csv, path: train.csv.gz}")
    assert frame.shape == (3, 3)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            "{type: csv, path: a.csv, read_options: {chunksize: 10}}",
            "read_options may not set chunksize",
            id="csv-chunksize",
        ),
        pytest.param(
            "{type: csv, path: a.csv, read_options: {storage_options: {}}}",
            "read_options may not set storage_options",
            id="csv-storage-options",
        ),
        pytest.param(
            "{type: tsv, path: a.tsv, read_options: {sep: ','}}",
            "the tsv source always splits on tabs",
            id="tsv-sep",
        ),
        pytest.param(
            "{type: json, path: a.json, read_options: {lines: true}}",
            "use the jsonl source",
            id="json-lines",
        ),
        pytest.param(
            "{type: jsonl, path: a.jsonl, read_options: {lines: false}}",
            "always reads one record per line",
            id="jsonl-lines",
        ),
        pytest.param(
            "{type: parquet, path: a.parquet, read_options: {columns: [x]}}",
            "set columns as data.source.columns",
            id="parquet-columns",
        ),
        pytest.param(
            "{type: csv, path: a.csv, storage_options: {key: k}}",
            "storage_options apply to URLs only",
            id="local-storage-options",
        ),
        pytest.param("{type: csv, path: ''}", "data.source.path", id="empty-path"),
    ],
)
def test_parameter_errors(
    tmp_path: Path, registry: PluginRegistry, source: str, message: str
) -> None:
    with pytest.raises(RecipeError, match=message):
        _load(registry, tmp_path, source)


def test_storage_options_from_the_environment_are_not_echoed(
    tmp_path: Path, registry: PluginRegistry
) -> None:
    secret = "very-secret-key-42"
    with pytest.raises(RecipeError) as caught:
        _load(
            registry,
            tmp_path,
            "{type: csv, path: a.csv, storage_options: {secret: '${S3_SECRET}'}}",
            env={"S3_SECRET": secret},
        )
    assert "storage_options apply to URLs only" in str(caught.value)
    assert secret not in str(caught.value)


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
        pytest.param(
            None, "{type: jsonl, path: 'file:///no/such/file.jsonl'}", "file not found", id="url"
        ),
        pytest.param(
            None,
            "{type: csv, path: 'file://otherhost/x.csv'}",
            "names the host 'otherhost'",
            id="file-url-host",
        ),
        pytest.param("dir", "{type: csv, path: folder}", "is not a file", id="directory"),
        pytest.param("empty", "{type: csv, path: empty.csv}", "is empty", id="empty-csv"),
        pytest.param(
            "header",
            "{type: csv, path: header.csv}",
            r"holds no rows \(columns: a, b\)",
            id="no-rows",
        ),
        pytest.param(
            "emptylist", "{type: json, path: empty.json}", "holds no columns", id="empty-json"
        ),
        pytest.param(
            "garbage",
            "{type: parquet, path: garbage.parquet}",
            "cannot parse .* as Parquet",
            id="not-parquet",
        ),
        pytest.param(
            "ragged", "{type: csv, path: ragged.csv}", "cannot parse .* as CSV", id="ragged-csv"
        ),
        pytest.param(
            "badjson", "{type: json, path: bad.json}", "cannot parse .* as JSON", id="bad-json"
        ),
        pytest.param("badjson", "{type: jsonl, path: bad.json}", "as JSON Lines", id="bad-jsonl"),
        pytest.param(
            "latin1",
            "{type: csv, path: latin1.csv}",
            "UnicodeDecodeError.*read_options \\(sep, encoding",
            id="encoding",
        ),
    ],
)
def test_file_errors(
    tmp_path: Path, registry: PluginRegistry, setup: str | None, source: str, message: str
) -> None:
    if setup == "dir":
        (tmp_path / "folder").mkdir()
    elif setup == "empty":
        (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    elif setup == "header":
        (tmp_path / "header.csv").write_text("a,b\n", encoding="utf-8")
    elif setup == "emptylist":
        (tmp_path / "empty.json").write_text("[]", encoding="utf-8")
    elif setup == "garbage":
        (tmp_path / "garbage.parquet").write_text("not parquet at all", encoding="utf-8")
    elif setup == "ragged":
        (tmp_path / "ragged.csv").write_text('a,b\n1,2\n3,"4\n', encoding="utf-8")
    elif setup == "badjson":
        (tmp_path / "bad.json").write_text('{"a": [1, 2', encoding="utf-8")
    elif setup == "latin1":
        (tmp_path / "latin1.csv").write_bytes("name,y\nJosé,1\n".encode("latin-1"))
    with pytest.raises(DataError, match=message) as caught:
        _load(registry, tmp_path, source)
    assert caught.value.exit_code == 5
