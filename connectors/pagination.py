"""Paginators: small generators that yield one page of items at a time, so syncs stream."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connectors.errors import MalformedResponse
from connectors.http import HttpClient, json_body


def link_header_pages(client: HttpClient, path: str, params: Mapping[str, Any]) -> Iterator[list[Any]]:
    """Cursor pages linked by `Link: <…>; rel="next"` (Greenhouse Harvest v3). The next URL is followed
    exactly as given: it carries the cursor, which must be the only query parameter."""
    response = client.request("GET", path, params=params)
    while True:
        body = json_body(response, path)
        if not isinstance(body, list):
            raise MalformedResponse(f"GET {path}: expected a JSON array of records")
        yield body
        next_url = response.links.get("next", {}).get("url")
        if not next_url:
            return
        response = client.request("GET", next_url)


def offset_token_pages(client: HttpClient, path: str, params: Mapping[str, Any], limit: int = 100
                       ) -> Iterator[list[Any]]:
    """`{"data": [...], "hasNext": true, "next": "<token>"}`; the token goes back as `offset` (Lever)."""
    offset: str | None = None
    while True:
        query = {**params, "limit": limit, **({"offset": offset} if offset else {})}
        body = client.get_json(path, query)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise MalformedResponse(f"GET {path}: expected an object with a data array")
        yield body["data"]
        offset = body.get("next")
        if not body.get("hasNext") or not offset:
            return


def json_api_pages(client: HttpClient, path: str, params: Mapping[str, Any], size: int = 30
                   ) -> Iterator[dict[str, Any]]:
    """JSON:API documents paged by `page[number]`/`page[size]`, following `links.next` (Teamtailor).
    Yields whole documents, because related records arrive in `included`."""
    body = client.get_json(path, {**params, "page[size]": size, "page[number]": 1})
    while True:
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise MalformedResponse(f"GET {path}: expected a JSON:API document with a data array")
        yield body
        next_url = (body.get("links") or {}).get("next")
        if not next_url:
            return
        body = client.get_json(next_url)
