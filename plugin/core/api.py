"""What every API view needs: the request's tenant and actor, and page sizes; and the OpenAPI document's
exactness (`DocumentPlugin`): every rule the schemas enforce, and every error an operation can answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
import marshmallow
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from flask import Response, g
from webargs.flaskparser import FlaskParser

from plugin.core.actors import Actor
from plugin.core.pagination import Page
from plugin.core.ratelimit import Verdict
from plugin.core.schemas import NO_NUL, BaseSchema, ErrorOut
from plugin.errors import envelope
from plugin.extension import db_session, get_state

__all__ = ["Blueprint", "DocumentPlugin", "Page", "actor", "db_session", "page_args", "page_body",
           "requires_scope", "tenant_id", "too_many"]

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


# --- the OpenAPI document -------------------------------------------------------------------------------------

# Every error is the one envelope; what each status means here, and the headers it carries.
ERRORS: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: ("BadRequest", "The body is not JSON.", {}),
    401: ("Unauthorized", "No API key, or an unknown or revoked one.", {"WWW-Authenticate": {
        "required": True, "schema": {"type": "string", "pattern": "^Bearer "}}}),
    403: ("Forbidden", "The API key lacks the scope this operation needs.", {}),
    404: ("NotFound", "No such record in this tenant (another tenant's id looks like no id at all).", {}),
    409: ("Conflict", "The change conflicts with the record's state or with existing data.", {}),
    413: ("ContentTooLarge", "The request body is larger than the API accepts.", {}),
    422: ("UnprocessableContent", "Invalid input: `errors` names each field and what is wrong with it.", {}),
    429: ("TooManyRequests", "Over the API key's rate limit; retry after `Retry-After` seconds.", {
        "Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 0}},
        "RateLimit-Limit": {"required": True, "schema": {"type": "integer", "minimum": 1}}}),
    500: ("InternalServerError", "An unexpected failure; the details are logged, never shown.", {}),
}
WRITES = {"post", "put", "patch", "delete"}


def _error_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """What any operation of this shape can answer besides its own successes and the errors it declares."""
    statuses = {401, 403, 429, 500}
    if "{" in path:
        statuses.add(404)
    if method in WRITES:
        statuses.add(409)  # a constraint a concurrent writer won is a 409 for any write
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    return statuses


class _Converter(OpenAPIConverter):
    def schema2jsonschema(self, schema: Any) -> dict[str, Any]:
        """An input schema's rules across fields (`json_schema`), and `minProperties` for a PATCH."""
        json_schema = super().schema2jsonschema(schema)
        if isinstance(schema, BaseSchema):
            json_schema.update(schema.json_schema)
            if schema.refuses_empty():
                json_schema["minProperties"] = 1
        return json_schema


def _exact(self: OpenAPIConverter, field: marshmallow.fields.Field, ret: dict[str, Any]) -> dict[str, Any]:
    """What apispec leaves out or gets wrong about a field (an attribute function; see add_attribute_function)."""
    if isinstance(field, marshmallow.fields.Dict):
        # apispec states a Length validator of a Dict as a string's length
        for length, count in (("maxLength", "maxProperties"), ("minLength", "minProperties")):
            if length in ret:
                ret[count] = ret.pop(length)
        if field.key_field is not None:
            ret["propertyNames"] = self.field2property(field.key_field)
    # Free text of an input: the NUL character is refused (PostgreSQL text cannot hold it).
    if (type(field) is marshmallow.fields.String and isinstance(field.root, BaseSchema)
            and not {"pattern", "enum", "format"} & set(ret)):
        ret["pattern"] = NO_NUL
    ret.update(field.metadata.get("json_schema", {}))
    return {}


class DocumentPlugin(MarshmallowPlugin):
    """The marshmallow plugin, made exact: rules across fields, NUL-free text, dict keys, and every
    operation's error responses in the one envelope (no catch-all `default`)."""

    Converter = _Converter

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        assert self.converter is not None
        self.converter.add_attribute_function(_exact)
        spec.components.schema("Error", schema=ErrorOut)
        for name, description, headers in ERRORS.values():
            spec.components.response(name, {
                "description": description, "headers": headers,
                "content": {"application/json": {"schema": "Error"}}}, lazy=True)

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        super().operation_helper(path=path, operations=operations, **kwargs)
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            errors = [status for status in responses if status == "default" or int(status) >= 400]
            declared = {int(status) for status in errors if status != "default"}
            for status in errors:
                del responses[status]
            for code in sorted(declared | _error_statuses(path or "", method, operation)):
                responses[code] = ERRORS[code][0]
