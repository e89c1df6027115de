"""A tiny JSON API serving churn.csv page by page, for recipes/http_example.yaml.

    python recipes/data/serve_example_api.py               # http://127.0.0.1:8765/customers
    python recipes/data/serve_example_api.py --port 9000   # then AUTOML_EXAMPLE_API=http://127.0.0.1:9000/customers

``GET /customers?page=N&per_page=M`` (defaults 1 and 100, at most 500 per page) answers::

    {"data": [{"customer_age": 35.0, ...}, ...],
     "meta": {"page": 1, "per_page": 100, "total": 1500},
     "links": {"next": "/customers?page=2&per_page=100"}}

``links.next`` is null on the last page, and a page past the end has no records, so both kinds
of pagination of the ``http`` source work. It listens on 127.0.0.1 only and uses the standard
library only. From Python (tests do this): ``server = start(0)`` serves in a background thread on
a free port (``server.port``); ``server.shutdown()`` stops it.
"""

from __future__ import annotations

import argparse
import csv
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).resolve().parent / "churn.csv"
DEFAULT_PORT = 8765
MAX_PER_PAGE = 500


def load_records(path: Path = DATA) -> list[dict[str, Any]]:
    """The CSV's rows as JSON-ready records: numbers as numbers, empty cells as null."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [{key: _value(text) for key, text in row.items()} for row in csv.DictReader(handle)]


def _value(text: str) -> Any:
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


class _Handler(BaseHTTPRequestHandler):
    server: ExampleApiServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.rstrip("/") != "/customers":
            self._send(404, {"error": f"no such endpoint {parts.path}; try /customers"})
            return
        query = parse_qs(parts.query)
        try:
            page = int(query.get("page", ["1"])[0])
            per_page = int(query.get("per_page", ["100"])[0])
        except ValueError:
            self._send(400, {"error": "page and per_page must be integers"})
            return
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            self._send(400, {"error": f"page >= 1 and 1 <= per_page <= {MAX_PER_PAGE}"})
            return
        records = self.server.records
        chunk = records[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(records)
        self._send(
            200,
            {
                "data": chunk,
                "meta": {"page": page, "per_page": per_page, "total": len(records)},
                "links": {
                    "next": f"/customers?page={page + 1}&per_page={per_page}" if more else None
                },
            },
        )

    def _send(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet unless run as a script
        if self.server.verbose:
            super().log_message(format, *args)


class ExampleApiServer(ThreadingHTTPServer):
    """The example API; :meth:`shutdown` stops serving and closes the socket."""

    daemon_threads = True

    def __init__(self, port: int, host: str = "127.0.0.1", *, verbose: bool = False) -> None:
        super().__init__((host, port), _Handler)
        self.records = load_records()
        self.verbose = verbose
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on (useful after ``start(0)``)."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """The customers endpoint, e.g. ``http://127.0.0.1:8765/customers``."""
        return f"http://{self.server_address[0]}:{self.port}/customers"

    def shutdown(self) -> None:
        """Stop serving, wait for the background thread, and release the port."""
        super().shutdown()
        if self._thread is not None:
            self._thread.join()
        self.server_close()


def start(port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> ExampleApiServer:
    """Serve in a background thread on ``host:port`` (0: a free port) and return the server."""
    server = ExampleApiServer(port, host)
    server._thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="example-api", daemon=True
    )
    server._thread.start()
    return server


def main() -> None:
    """Serve in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    args = parser.parse_args()
    server = ExampleApiServer(args.port, args.host, verbose=True)
    print(f"serving {DATA.name} on {server.url} (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
