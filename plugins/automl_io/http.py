"""The ``http`` source: records from a JSON API, following its pagination.

Requests use the standard library (``urllib``), so the source adds no dependency. Header values
(tokens) and query values are never logged or shown: messages name the URL with query values
hidden, except the page number and page size automl sets itself.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlencode, urljoin, urlsplit

from pydantic import Field, field_validator, model_validator

from automl import DataError, Params, Scrubber, SourceContext
from automl_io.frames import require_rows
from automl_io.redact import safe_url

if TYPE_CHECKING:
    import urllib.error
    import urllib.request
    from email.message import Message
    from http.client import HTTPMessage

    import pandas as pd

logger = logging.getLogger(__name__)

_HTTP_URL = re.compile(r"^https?://[^/?#]+", re.IGNORECASE)
_LINK_NEXT = re.compile(r"<([^>]*)>\s*;[^,]*\brel=\"?next\"?", re.IGNORECASE)
_MAX_RETRY_AFTER = 30.0  # seconds: a longer Retry-After is capped rather than obeyed
_SCALAR = str | int | float | bool


class NextLinkPagination(Params):
    """Follow the link to the next page until there is none (or a page is empty)."""

    type: Literal["next_link"]
    path: str | None = Field(
        default=None,
        description=(
            "Dot path of the next page's URL in the response (e.g. links.next); "
            'empty: the Link header\'s rel="next".'
        ),
    )
    max_pages: int = Field(default=1000, ge=1, description="Fail rather than read more pages.")


class PagePagination(Params):
    """Ask for page start, start + 1, ... until a page is empty (or shorter than size)."""

    type: Literal["page"]
    param: str = Field(
        default="page", min_length=1, description="Query parameter of the page number."
    )
    start: int = Field(default=1, description="The first page's number.")
    size_param: str | None = Field(
        default=None, min_length=1, description="Query parameter of the page size (e.g. per_page)."
    )
    size: int | None = Field(default=None, ge=1, description="Records per page asked for.")
    max_pages: int = Field(default=1000, ge=1, description="Fail rather than read more pages.")

    @model_validator(mode="after")
    def _size_needs_param(self) -> PagePagination:
        if (self.size is None) != (self.size_param is None):
            raise ValueError(
                "set size_param and size together (e.g. size_param: per_page, size: 100)"
            )
        return self


Pagination = Annotated[NextLinkPagination | PagePagination, Field(discriminator="type")]


class HttpParams(Params):
    """Parameters of the ``http`` source."""

    url: str = Field(
        min_length=1,
        repr=False,
        description="The API endpoint (http:// or https://), answering JSON.",
    )
    params: dict[str, _SCALAR | list[_SCALAR]] = Field(
        default_factory=dict,
        repr=False,
        description="Query parameters (values are never shown in messages).",
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        repr=False,
        description="Request headers, e.g. {Authorization: 'Bearer ${API_TOKEN}'} (never shown).",
    )
    records: str = Field(
        default="",
        description="Dot path of the list of records in the response (e.g. data.items); empty: the response is the list.",
    )
    pagination: Pagination | None = Field(
        default=None,
        description="{type: next_link, path: links.next} or {type: page, param: page, start: 1, size_param: per_page, size: 100}.",
    )
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for each answer.")
    retries: int = Field(
        default=3, ge=0, le=20, description="Retries on connection errors, timeouts, 429 and 5xx."
    )
    backoff: float = Field(
        default=0.5, ge=0, description="Seconds before the first retry; doubled for each next one."
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not _HTTP_URL.match(value):
            raise ValueError("url must start with http:// or https:// and name a host")
        return value

    @field_validator("records")
    @classmethod
    def _dot_path(cls, value: str) -> str:
        if value and any(not part for part in value.split(".")):
            raise ValueError("records is a dot path such as data.items (no empty parts)")
        return value


def read_http(params: HttpParams, context: SourceContext) -> pd.DataFrame:
    """Read every record of a JSON API (all pages) into a DataFrame."""
    import pandas as pd

    client = _Client(params)
    pagination = params.pagination
    if isinstance(pagination, PagePagination):
        records = _read_numbered_pages(client, params, pagination)
    elif isinstance(pagination, NextLinkPagination):
        records = _follow_next_links(client, params, pagination)
    else:
        body, _ = client.get(params.url, params.params)
        records = _records(body, params.records, client.shown(params.url, params.params))
    where = client.shown(params.url, params.params)
    if not records:
        raise DataError(
            f"http source: {where} answered no records; check data.source.url and params "
            "(a filter that matches nothing?) and data.source.records"
        )
    return require_rows(pd.json_normalize(records), "http", where)


def _read_numbered_pages(
    client: _Client, params: HttpParams, pagination: PagePagination
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for number in range(pagination.start, pagination.start + pagination.max_pages):
        query: dict[str, Any] = {**params.params, pagination.param: number}
        if pagination.size_param is not None:
            query[pagination.size_param] = pagination.size
        body, _ = client.get(params.url, query)
        page = _records(body, params.records, client.shown(params.url, query))
        records += page
        if not page or (pagination.size is not None and len(page) < pagination.size):
            return records
    raise _too_many_pages(client.shown(params.url, params.params), pagination.max_pages)


def _follow_next_links(
    client: _Client, params: HttpParams, pagination: NextLinkPagination
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    url, query = params.url, dict(params.params)
    seen: set[str] = set()
    for _ in range(pagination.max_pages):
        body, headers = client.get(url, query)
        current = client.full_url(url, query)
        seen.add(current)
        page = _records(body, params.records, client.shown(url, query))
        records += page
        link = _next_link(body, headers, pagination.path)
        if not page or not link:
            return records
        url, query = urljoin(current, link), {}
        if _origin(url) != _origin(params.url):
            raise DataError(
                f"http source: the next page's link points to another server "
                f"({client.shown(url, {})}, from {client.shown(current, {})}); automl does not "
                "send the request headers (tokens) elsewhere. Read that server with its own source"
            )
        if url in seen:
            raise DataError(
                f"http source: the API's next link goes back to a page already read "
                f"({client.shown(url, {})}); check pagination.path"
            )
    raise _too_many_pages(client.shown(params.url, params.params), pagination.max_pages)


def _too_many_pages(shown: str, max_pages: int) -> DataError:
    return DataError(
        f"http source: {shown} still had more pages after {max_pages} (pagination.max_pages); "
        "raise max_pages if the data really is that large, or check the pagination settings "
        "(an API that ignores the page parameter answers the same page forever)"
    )


def _next_link(body: Any, headers: Message, path: str | None) -> str | None:
    if path is None:
        match = _LINK_NEXT.search(headers.get("Link", "") or "")
        return match.group(1) if match else None
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, str) and value else None


def _records(body: Any, path: str, shown: str) -> list[dict[str, Any]]:
    """The list of records at ``path`` in a decoded response."""
    value = body
    walked: list[str] = []
    for part in path.split(".") if path else []:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            at = f"at {'.'.join(walked)!r} the response" if walked else "the response"
            raise DataError(
                f"http source: records path {path!r} does not match the answer of {shown}: "
                f"{at} is {_describe(value)}, with no {part!r}. Fix data.source.records"
            )
        walked.append(part)
    if not isinstance(value, list):
        place = f"records path {path!r} leads to" if path else "the response is"
        raise DataError(
            f"http source: {place} {_describe(value)} in the answer of {shown}, not a list of "
            "records; set data.source.records to the dot path of the list (e.g. data or data.items)"
        )
    bad = next((item for item in value if not isinstance(item, dict)), None)
    if bad is not None:
        raise DataError(
            f"http source: the records of {shown} must be JSON objects (one per row), but one is "
            f"{_describe(bad)}; check data.source.records"
        )
    return value


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(map(str, list(value)[:15])) + (" ..." if len(value) > 15 else "")
        return f"an object with keys {keys}" if value else "an empty object"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string"}.get(type(value), "a number")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower().rpartition("@")[2]


class _Client:
    """GET with a timeout, retries and backoff, turning every failure into a DataError."""

    def __init__(self, params: HttpParams) -> None:
        self.params = params
        keep: set[str] = set()
        if isinstance(params.pagination, PagePagination):
            keep = {params.pagination.param, *filter(None, [params.pagination.size_param])}
        self._keep_query = keep
        self._scrub = Scrubber(
            [
                *params.headers.values(),
                *(str(v) for value in params.params.values() for v in _as_list(value)),
                urlsplit(params.url).password,
            ]
        )
        self._opener = _opener(set(params.headers))

    def full_url(self, url: str, query: Mapping[str, Any]) -> str:
        """``url`` with ``query`` appended."""
        if not query:
            return url
        values = {key: _query_value(value) for key, value in query.items()}
        return url + ("&" if urlsplit(url).query else "?") + urlencode(values, doseq=True)

    def shown(self, url: str, query: Mapping[str, Any]) -> str:
        """The URL as messages show it (query values hidden but the page's)."""
        return self._scrub(safe_url(self.full_url(url, query), keep_query=self._keep_query))

    def get(self, url: str, query: Mapping[str, Any]) -> tuple[Any, Message]:
        """GET ``url`` and decode its JSON answer, retrying transient failures."""
        import urllib.error
        import urllib.request

        full = self.full_url(url, query)
        shown = self.shown(url, query)
        headers = {"Accept": "application/json", "User-Agent": _user_agent(), **self.params.headers}
        attempts = self.params.retries + 1
        problem = ""
        for attempt in range(attempts):
            wait = self.params.backoff * 2**attempt
            logger.debug("http source: GET %s (attempt %d of %d)", shown, attempt + 1, attempts)
            try:
                request = urllib.request.Request(full, headers=headers, method="GET")
                with self._opener.open(request, timeout=self.params.timeout) as response:
                    body = response.read()
                    return self._decode(body, response.headers, shown), response.headers
            except urllib.error.HTTPError as exc:
                _close(exc)
                status = f"{exc.code} {exc.reason}"
                if exc.code != 429 and exc.code < 500:
                    raise _status_error(exc.code, status, shown) from None
                problem = f"it answered {status}"
                wait = max(wait, _retry_after(exc.headers))
            except DataError:
                raise
            except (urllib.error.URLError, OSError) as exc:
                problem = self._connection_problem(exc)
            except ValueError as exc:  # a URL urllib cannot use: retrying will not help
                raise DataError(
                    f"http source: cannot request {shown}: {self._scrub.error(exc)}; "
                    "check data.source.url"
                ) from None
            except Exception as exc:  # http.client.HTTPException and kin: a broken answer
                problem = f"the connection failed ({self._scrub.error(exc)})"
            if attempt + 1 < attempts:
                logger.info(
                    "http source: %s: %s; retrying in %.1f s", shown, problem, min(wait, 60.0)
                )
                time.sleep(min(wait, 60.0))
        tries = f"{attempts} attempts" if attempts > 1 else "1 attempt, no retries"
        raise DataError(
            f"http source: cannot read {shown}: {problem} ({tries}). Check that the API is up "
            "and reachable, or raise data.source.timeout / retries"
        )

    def _connection_problem(self, exc: BaseException) -> str:
        import urllib.error

        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return f"no answer within {self.params.timeout:g} s (timeout)"
        if isinstance(reason, BaseException):
            return f"cannot connect ({self._scrub.error(reason)})"
        return f"cannot connect ({self._scrub(str(reason))})"

    def _decode(self, body: bytes, headers: Message, shown: str) -> Any:
        try:
            return json.loads(body)
        except (UnicodeDecodeError, ValueError):
            kind = headers.get("Content-Type", "no content type")
            excerpt = body[:60].decode("utf-8", "replace").replace("\n", " ").strip()
            raise DataError(
                f"http source: {shown} did not answer JSON (content type {kind}, "
                f"{len(body)} bytes, starting {self._scrub(excerpt)!r}); check data.source.url: "
                "it must be an API endpoint that answers JSON"
            ) from None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _query_value(value: Any) -> Any:
    """JSON spelling for booleans (``true``, not Python's ``True``), recursively for lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_query_value(item) for item in value]
    return value


def _status_error(code: int, status: str, shown: str) -> DataError:
    if code in (401, 403):
        fix = "check the credentials in data.source.headers (e.g. the token's variable)"
    elif code == 404:
        fix = "check data.source.url"
    else:
        fix = "check data.source.url and params"
    return DataError(f"http source: {shown} answered {status}; {fix}")


def _close(exc: urllib.error.HTTPError) -> None:
    """Release an HTTPError's connection (it holds the answer's body)."""
    if getattr(exc, "fp", None) is not None:
        exc.close()


def _retry_after(headers: Message) -> float:
    value = headers.get("Retry-After", "") if headers is not None else ""
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER)
    except ValueError:
        return 0.0


def _user_agent() -> str:
    import automl

    return f"automl/{automl.__version__}"


def _opener(secret_headers: set[str]) -> urllib.request.OpenerDirector:
    """An opener whose redirects to another server drop the recipe's headers (tokens)."""
    import urllib.request

    class _SameOriginHeaders(urllib.request.HTTPRedirectHandler):
        def redirect_request(
            self,
            req: urllib.request.Request,
            fp: IO[bytes],
            code: int,
            msg: str,
            headers: HTTPMessage,
            newurl: str,
        ) -> urllib.request.Request | None:
            new = super().redirect_request(req, fp, code, msg, headers, newurl)
            if new is not None and _origin(newurl) != _origin(req.full_url):
                for name in secret_headers:
                    new.remove_header(name.capitalize())
            return new

    return urllib.request.build_opener(_SameOriginHeaders())
