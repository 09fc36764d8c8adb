"""What every API view needs: the request's tenant and actor, and page sizes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from flask import Response, g
from webargs.flaskparser import FlaskParser

from plugin.core.actors import Actor
from plugin.core.pagination import Page
from plugin.core.ratelimit import Verdict
from plugin.errors import envelope
from plugin.extension import db_session, get_state

__all__ = ["Blueprint", "Page", "actor", "db_session", "page_args", "page_body", "requires_scope", "tenant_id",
           "too_many"]

SCOPE_ATTRIBUTE = "_brobygger_scope"
F = TypeVar("F", bound=Callable[..., Any])


class _StrictParser(FlaskParser):
    # webargs ignores unknown query parameters by default; our API rejects them like unknown body fields
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _StrictParser()


def tenant_id() -> uuid.UUID:
    return g.tenant_id


def actor() -> Actor:
    return g.actor


def page_args(args: dict[str, Any]) -> dict[str, Any]:
    """Query arguments with the page size defaulted from settings."""
    return {**args, "limit": args.get("limit") or get_state().setting("API_PAGE_SIZE")}


def page_body(page: Page) -> dict[str, Any]:
    return {"data": page.items, "next_cursor": page.next_cursor}


def requires_scope(scope: str) -> Callable[[F], F]:
    """Mark a view method as needing `scope` (e.g. 'admin') instead of the method's read/write scope;
    `require_api_key` enforces it before the view runs, so no view can forget the check."""
    def mark(view: F) -> F:
        setattr(view, SCOPE_ATTRIBUTE, scope)
        return view
    return mark


def too_many(verdict: Verdict) -> Response:
    return envelope(429, f"Too many requests; retry after {verdict.retry_after} seconds.",
                    headers={"Retry-After": str(verdict.retry_after), "RateLimit-Limit": str(verdict.limit)})
