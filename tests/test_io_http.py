"""The ``http`` source against a real JSON API served on 127.0.0.1 by the test."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from automl import DataError, PluginRegistry, RecipeError
from tests.source_helpers import load_source

TOKEN = "tok-3f9a-never-shown"
API_KEY = "key-77c1-never-shown"
RECORDS = [{"id": i, "x": i / 2, "c": "ab"[i % 2], "y": i % 3} for i in range(1, 8)]


@dataclass
class Reply:
    """What a route answers: status, a JSON-able body (or raw bytes), headers, a delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Route = Callable[[dict[str, str], int], Reply]


class Api(ThreadingHTTPServer):
    """A scriptable JSON API: ``routes`` maps a path to a function of (query, call number)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self.calls: dict[str, int] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reset(self) -> None:
        self.routes.clear()
        self.log.clear()
        self.calls.clear()


class _Handler(BaseHTTPRequestHandler):
    server: Api

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.server.log.append((self.path, dict(self.headers)))
        number = self.server.calls.get(parts.path, 0) + 1
        self.server.calls[parts.path] = number
        route = self.server.routes.get(parts.path)
        reply = route(query, number) if route else Reply(404, {"error": "no such route"})
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(server: Api) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Api, Api]]:
    """Two APIs (two origins) on 127.0.0.1, stopped at the end."""
    started = [(api, _serve(api)) for api in (Api(), Api())]
    try:
        yield started[0][0], started[1][0]
    finally:
        for api, thread in started:
            api.shutdown()
            thread.join()
            api.server_close()


@pytest.fixture
def api(servers: tuple[Api, Api]) -> Api:
    """The main API, with no routes and an empty request log."""
    for server in servers:
        server.reset()
    return servers[0]


def _load(registry: PluginRegistry, source: str, env: dict[str, str] | None = None) -> pd.DataFrame:
    return load_source(registry, source, env=env)


def _pages(query: dict[str, str], size: int = 3) -> list[dict[str, Any]]:
    page = int(query.get("page", "1"))
    size = int(query.get("per_page", str(size)))
    return RECORDS[(page - 1) * size : page * size]


# -- reading -------------------------------------------------------------------------------------


def test_plain_list_with_token_and_params(api: Api, registry: PluginRegistry) -> None:
    api.routes["/items"] = lambda q, n: Reply(
        body=RECORDS if q.get("api_key") == API_KEY and q.get("active") == "true" else []
    )
    frame = _load(
        registry,
        f"{{type: http, url: '{api.base}/items', params: {{api_key: '${{KEY}}', active: true}}, "
        "headers: {Authorization: 'Bearer ${TOKEN}'}}",
        {"KEY": API_KEY, "TOKEN": TOKEN},
    )
    assert frame.shape == (7, 4)
    assert api.log[0][1]["Authorization"] == f"Bearer {TOKEN}"


def test_nested_records_are_flattened(api: Api, registry: PluginRegistry) -> None:
    api.routes["/nested"] = lambda q, n: Reply(
        body={"data": {"items": [{"a": 1, "meta": {"b": 2}}, {"a": 3, "meta": {"b": 4}}]}}
    )
    frame = _load(registry, f"{{type: http, url: '{api.base}/nested', records: data.items}}")
    assert frame.to_dict("list") == {"a": [1, 3], "meta.b": [2, 4]}


@pytest.mark.parametrize(
    ("pagination", "requests"),
    [
        pytest.param("{type: page, size_param: per_page, size: 3}", 3, id="short-last-page"),
        pytest.param("{type: page}", 4, id="until-empty-page"),
        pytest.param("{type: page, param: p, start: 0}", 4, id="param-and-start"),
    ],
)
def test_page_pagination(
    api: Api, registry: PluginRegistry, pagination: str, requests: int
) -> None:
    def route(query: dict[str, str], number: int) -> Reply:
        if "p" in query:
            query = {"page": str(int(query["p"]) + 1)}
        return Reply(body={"data": _pages(query)})

    api.routes["/paged"] = route
    frame = _load(
        registry,
        f"{{type: http, url: '{api.base}/paged', records: data, pagination: {pagination}}}",
    )
    assert frame["id"].tolist() == list(range(1, 8))
    assert len(api.log) == requests


def test_next_link_in_the_body(api: Api, registry: PluginRegistry) -> None:
    def route(query: dict[str, str], number: int) -> Reply:
        page = int(query.get("page", "1"))
        more = page * 3 < len(RECORDS)
        # Relative and absolute links both occur in the wild.
        link = f"/linked?page={page + 1}" if page == 1 else f"{api.base}/linked?page={page + 1}"
        return Reply(body={"items": _pages(query), "links": {"next": link if more else None}})

    api.routes["/linked"] = route
    frame = _load(
        registry,
        f"{{type: http, url: '{api.base}/linked', records: items, "
        "pagination: {type: next_link, path: links.next}}",
    )
    assert frame["id"].tolist() == list(range(1, 8))
    assert [path for path, _ in api.log] == ["/linked", "/linked?page=2", "/linked?page=3"]


def test_next_link_in_the_link_header(api: Api, registry: PluginRegistry) -> None:
    def route(query: dict[str, str], number: int) -> Reply:
        page = int(query.get("page", "1"))
        headers = {}
        if page * 3 < len(RECORDS):
            headers["Link"] = f'<{api.base}/gh?page={page + 1}>; rel="next", <x>; rel="last"'
        return Reply(body=_pages(query), headers=headers)

    api.routes["/gh"] = route
    frame = _load(
        registry,
        f"{{type: http, url: '{api.base}/gh', headers: {{X-Token: '${{TOKEN}}'}}, "
        "pagination: {type: next_link}}",
        {"TOKEN": TOKEN},
    )
    assert len(frame) == 7
    assert all(headers["X-Token"] == TOKEN for _, headers in api.log)


def test_retries_after_503_and_429(api: Api, registry: PluginRegistry) -> None:
    failures = {1: Reply(503, {"error": "busy"}), 2: Reply(429, {}, {"Retry-After": "0"})}
    api.routes["/flaky"] = lambda q, n: failures.get(n, Reply(body=RECORDS))
    frame = _load(registry, f"{{type: http, url: '{api.base}/flaky', retries: 2, backoff: 0.01}}")
    assert len(frame) == 7
    assert len(api.log) == 3


def test_redirect_elsewhere_drops_the_headers(
    servers: tuple[Api, Api], api: Api, registry: PluginRegistry
) -> None:
    other = servers[1]
    api.routes["/moved"] = lambda q, n: Reply(302, b"", {"Location": f"{other.base}/data"})
    other.routes["/data"] = lambda q, n: Reply(body=RECORDS)
    frame = _load(
        registry,
        f"{{type: http, url: '{api.base}/moved', headers: {{Authorization: '${{TOKEN}}'}}}}",
        {"TOKEN": TOKEN},
    )
    assert len(frame) == 7
    assert api.log[0][1]["Authorization"] == TOKEN
    assert "Authorization" not in other.log[0][1]


# -- errors --------------------------------------------------------------------------------------


def _error(registry: PluginRegistry, source: str, message: str) -> str:
    with pytest.raises(DataError, match=message) as caught:
        _load(registry, source, {"KEY": API_KEY, "TOKEN": TOKEN})
    text = str(caught.value)
    assert caught.value.exit_code == 5
    assert TOKEN not in text
    assert API_KEY not in text
    return text


SECRETS = "params: {api_key: '${KEY}', q: open}, headers: {Authorization: 'Bearer ${TOKEN}'}"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        pytest.param(404, "answered 404 Not Found; check data.source.url", id="404"),
        pytest.param(
            401, "answered 401 Unauthorized; check the credentials in data.source.headers", id="401"
        ),
    ],
)
def test_client_errors_are_not_retried(
    api: Api, registry: PluginRegistry, status: int, message: str
) -> None:
    api.routes["/err"] = lambda q, n: Reply(status, {"error": "no"})
    text = _error(
        registry, f"{{type: http, url: '{api.base}/err', {SECRETS}, backoff: 0.01}}", message
    )
    assert text.startswith(f"http source: {api.base}/err?api_key=***&q=*** answered")
    assert len(api.log) == 1


def test_server_error_after_retries(api: Api, registry: PluginRegistry) -> None:
    api.routes["/down"] = lambda q, n: Reply(500, {"error": "boom"})
    _error(
        registry,
        f"{{type: http, url: '{api.base}/down', {SECRETS}, retries: 2, backoff: 0.01}}",
        r"cannot read http://127\.0\.0\.1:\d+/down\?api_key=\*\*\*&q=\*\*\*: it answered "
        r"500 Internal Server Error \(3 attempts\)",
    )
    assert len(api.log) == 3


def test_timeout(api: Api, registry: PluginRegistry) -> None:
    api.routes["/slow"] = lambda q, n: Reply(body=RECORDS, delay=1.0)
    started = time.monotonic()
    _error(
        registry,
        f"{{type: http, url: '{api.base}/slow', timeout: 0.2, retries: 0}}",
        r"no answer within 0\.2 s \(timeout\) \(1 attempt, no retries\)",
    )
    assert time.monotonic() - started < 1.0


def test_connection_refused(registry: PluginRegistry) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _error(
        registry,
        f"{{type: http, url: 'http://127.0.0.1:{port}/x?token=${{TOKEN}}', retries: 1, backoff: 0.01}}",
        rf"cannot read http://127\.0\.0\.1:{port}/x\?token=\*\*\*: cannot connect "
        r"\(ConnectionRefusedError.*\(2 attempts\)",
    )


def test_not_json(api: Api, registry: PluginRegistry) -> None:
    def route(query: dict[str, str], number: int) -> Reply:
        page = b"<html>Hello " + str(query.get("api_key")).encode() + b"</html>"
        return Reply(body=page, headers={"Content-Type": "text/html"})

    api.routes["/html"] = route
    text = _error(
        registry,
        f"{{type: http, url: '{api.base}/html', {SECRETS}}}",
        "did not answer JSON \\(content type text/html, ",
    )
    assert "starting '<html>Hello ***</html>'" in text


@pytest.mark.parametrize(
    ("body", "records", "message"),
    [
        pytest.param(
            {"data": {"items": RECORDS}},
            "data.itemz",
            "records path 'data.itemz' does not match the answer of .*: at 'data' the response "
            "is an object with keys items, with no 'itemz'. Fix data.source.records",
            id="wrong-path",
        ),
        pytest.param(
            {"data": {"items": RECORDS}},
            "data",
            "records path 'data' leads to an object with keys items",
            id="path-to-object",
        ),
        pytest.param(
            {"total": 7, "data": RECORDS},
            "",
            "the response is an object with keys total, data .*set data.source.records",
            id="object-without-path",
        ),
        pytest.param([1, 2, 3], "", "must be JSON objects .* one is a number", id="scalars"),
        pytest.param({"data": []}, "data", "answered no records", id="no-records"),
    ],
)
def test_records_errors(
    api: Api, registry: PluginRegistry, body: Any, records: str, message: str
) -> None:
    api.routes["/r"] = lambda q, n: Reply(body=body)
    _error(registry, f"{{type: http, url: '{api.base}/r', records: '{records}'}}", message)


def test_max_pages_guard(api: Api, registry: PluginRegistry) -> None:
    api.routes["/same"] = lambda q, n: Reply(body=RECORDS[:2])  # ignores the page parameter
    _error(
        registry,
        f"{{type: http, url: '{api.base}/same', pagination: {{type: page, max_pages: 3}}}}",
        "still had more pages after 3 \\(pagination.max_pages\\)",
    )
    assert len(api.log) == 3


def test_next_link_loop(api: Api, registry: PluginRegistry) -> None:
    api.routes["/loop"] = lambda q, n: Reply(body={"items": RECORDS, "next": "/loop?page=1"})
    _error(
        registry,
        f"{{type: http, url: '{api.base}/loop?page=1', records: items, "
        "pagination: {type: next_link, path: next}}",
        "next link goes back to a page already read",
    )


def test_next_link_to_another_server_is_refused(api: Api, registry: PluginRegistry) -> None:
    api.routes["/away"] = lambda q, n: Reply(
        body={"items": RECORDS, "next": "http://127.0.0.2:1/steal"}
    )
    _error(
        registry,
        f"{{type: http, url: '{api.base}/away', records: items, {SECRETS}, "
        "pagination: {type: next_link, path: next}}",
        "points to another server .*does not send the request headers",
    )
    assert len(api.log) == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            "{type: http, url: 'ftp://x/y'}", "must start with http:// or https://", id="scheme"
        ),
        pytest.param("{type: http, url: 'http://h', records: 'a..b'}", "dot path", id="records"),
        pytest.param(
            "{type: http, url: 'http://h', pagination: {type: pages}}",
            "pagination",
            id="pagination-kind",
        ),
        pytest.param(
            "{type: http, url: 'http://h', pagination: {type: page, size: 10}}",
            "set size_param and size together",
            id="size-alone",
        ),
        pytest.param(
            "{type: http, url: 'http://h', pagination: {type: next_link, param: p}}",
            "unknown key 'param'",
            id="next-link-param",
        ),
        pytest.param("{type: http, url: 'http://h', timeout: 0}", "timeout", id="timeout"),
    ],
)
def test_parameter_errors(registry: PluginRegistry, source: str, message: str) -> None:
    with pytest.raises(RecipeError, match=message):
        _load(registry, source)
