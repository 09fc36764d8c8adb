"""What every API view needs: the request's tenant and actor, and page sizes."""

from __future__ import annotations

import uuid
from typing import Any

import flask_smorest
from flask import g
from webargs.flaskparser import FlaskParser

from ...extension import db_session, get_state
from ...services.actors import Actor
from ...services.pagination import Page

__all__ = ["Blueprint", "Page", "actor", "db_session", "page_args", "page_body", "tenant_id"]


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
