"""File sources reading s3:// URLs from a real S3-compatible server (moto) on 127.0.0.1."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from automl import DataError, PluginRegistry
from tests.source_helpers import load_source

KEY_ID = "automl-test-key-id"
SECRET = "automl-test-secret-value"
BUCKET = "automl-data"
FRAME = pd.DataFrame({"x": [1.5, 2.5, 3.5], "c": ["a", "b", "a"], "y": [0, 1, 0]})

# A moto server and botocore's connection retries: several seconds in all.
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class S3Server:
    endpoint: str


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    """moto's S3 server on a free port of 127.0.0.1, with a bucket holding each format."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=BUCKET)
        uploads = {
            "train.csv": FRAME.to_csv(index=False).encode(),
            "train.tsv": FRAME.to_csv(index=False, sep="\t").encode(),
            "train.jsonl": FRAME.to_json(orient="records", lines=True).encode(),
            "train.json": FRAME.to_json(orient="records").encode(),
            "header-only.csv": b"x,c,y\n",
        }
        parquet = io.BytesIO()
        FRAME.to_parquet(parquet)
        uploads["nested/train.parquet"] = parquet.getvalue()
        for key, body in uploads.items():
            client.put_object(Bucket=BUCKET, Key=key, Body=body)
        client.close()
        yield S3Server(endpoint=endpoint)
    finally:
        server.stop()
        if server._server is not None:  # stop() leaves the listening socket open
            server._server.server_close()


@pytest.fixture(autouse=True)
def _isolated_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials or config of the machine's user may leak into (or out of) these tests."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # fsspec reuses a file system made with the same options, credentials found included.
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()


def _load(registry: PluginRegistry, source: str, env: dict[str, str]) -> pd.DataFrame:
    return load_source(registry, source, env=env)


def _options(endpoint_key: str = "endpoint_url") -> str:
    endpoint = "{endpoint_url: '${S3_ENDPOINT}'}" if endpoint_key == "client_kwargs" else None
    if endpoint:
        return f"{{key: '${{S3_KEY}}', secret: '${{S3_SECRET}}', client_kwargs: {endpoint}}}"
    return "{key: '${S3_KEY}', secret: '${S3_SECRET}', endpoint_url: '${S3_ENDPOINT}'}"


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        pytest.param("csv", "train.csv", id="csv"),
        pytest.param("tsv", "train.tsv", id="tsv"),
        pytest.param("parquet", "nested/train.parquet", id="parquet"),
        pytest.param("json", "train.json", id="json"),
        pytest.param("jsonl", "train.jsonl", id="jsonl"),
    ],
)
def test_every_format_from_s3(s3: S3Server, registry: PluginRegistry, kind: str, key: str) -> None:
    env = {"S3_KEY": KEY_ID, "S3_SECRET": SECRET, "S3_ENDPOINT": s3.endpoint}
    frame = _load(
        registry,
        f"{{type: {kind}, path: 's3://{BUCKET}/{key}', storage_options: {_options()}}}",
        env,
    )
    pd.testing.assert_frame_equal(frame, FRAME, check_dtype=False)


def test_endpoint_in_client_kwargs(s3: S3Server, registry: PluginRegistry) -> None:
    env = {"S3_KEY": KEY_ID, "S3_SECRET": SECRET, "S3_ENDPOINT": s3.endpoint}
    source = f"{{type: csv, path: 's3://{BUCKET}/train.csv', storage_options: {_options('client_kwargs')}}}"
    assert _load(registry, source, env).shape == (3, 3)


def test_credentials_from_the_environment(
    s3: S3Server, registry: PluginRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key in the recipe: boto's usual variables supply the credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    source = (
        f"{{type: parquet, path: 's3://{BUCKET}/nested/train.parquet', "
        f"storage_options: {{endpoint_url: '{s3.endpoint}'}}, columns: [x, y]}}"
    )
    frame = _load(registry, source, {})
    assert list(frame.columns) == ["x", "y"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param(f"s3://{BUCKET}/missing.csv", "csv source: not found: s3://", id="no-key"),
        pytest.param("s3://no-such-bucket/train.csv", "not found", id="no-bucket"),
        pytest.param(f"s3://{BUCKET}/header-only.csv", "holds no rows", id="no-rows"),
    ],
)
def test_s3_errors_name_the_url_but_no_credential(
    s3: S3Server, registry: PluginRegistry, path: str, message: str
) -> None:
    env = {"S3_KEY": KEY_ID, "S3_SECRET": SECRET, "S3_ENDPOINT": s3.endpoint}
    with pytest.raises(DataError, match=message) as caught:
        _load(registry, f"{{type: csv, path: '{path}', storage_options: {_options()}}}", env)
    assert path in str(caught.value)
    assert SECRET not in str(caught.value)
    assert KEY_ID not in str(caught.value)


def test_missing_credentials_mean_access_denied(s3: S3Server, registry: PluginRegistry) -> None:
    source = (
        f"{{type: csv, path: 's3://{BUCKET}/train.csv', "
        f"storage_options: {{endpoint_url: '{s3.endpoint}'}}}}"
    )
    with pytest.raises(DataError, match=r"access denied to s3://.*AWS_ACCESS_KEY_ID"):
        _load(registry, source, {})


def test_unreachable_endpoint(registry: PluginRegistry, s3: S3Server) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    env = {"S3_KEY": KEY_ID, "S3_SECRET": SECRET, "S3_ENDPOINT": f"http://127.0.0.1:{closed}"}
    source = (
        f"{{type: csv, path: 's3://{BUCKET}/train.csv', storage_options: "
        "{key: '${S3_KEY}', secret: '${S3_SECRET}', endpoint_url: '${S3_ENDPOINT}', "
        "config_kwargs: {retries: {max_attempts: 1}, connect_timeout: 2}}}"
    )
    with pytest.raises(DataError, match="csv source: cannot read s3://") as caught:
        _load(registry, source, env)
    assert SECRET not in str(caught.value)
