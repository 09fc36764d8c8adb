"""Building blocks shared by every API schema."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from zoneinfo import available_timezones

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from plugin.core.guards import squeeze
from plugin.i18n import LANGUAGES

MAX_PAGE = 500
# What the OpenAPI document states for rules the fields enforce in code (see plugin/core/api.py's converter):
NO_NUL = r"^[^\u0000]*$"  # every free-text input; PostgreSQL text cannot hold NUL
YEARS = r"^(19\d\d|2[01]\d\d|2200)-"  # a date or datetime of the years 1900 to 2200, as written
CURSOR = r"^[A-Za-z0-9_-]*$"  # base64url, unpadded: the `next_cursor` of an earlier page
NOTHING_TO_CHANGE = "Nothing to change: send at least one field."
# What Python's str.isspace() calls white space, spelled out: `\s` differs between regex engines.
_SPACE = r"\t\n\v\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SPACE = _SPACE  # for the patterns of other modules
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{_SPACE}][^\\u0000]*$"
WEB_URL = r"^https?://([A-Za-z0-9-]+\.)+[A-Za-z]{2,63}(:[0-9]{1,5})?([/?#][^\u0000-\u0020\u007f]*)?$"

def _reject_nul(value: Any, path: str, errors: dict[str, list[str]]) -> None:
    """PostgreSQL text cannot hold NUL; catch it here so it becomes a 422, not a database error."""
    if isinstance(value, str) and "\x00" in value:
        errors.setdefault(path or "_schema", []).append("Must not contain NUL characters.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key, path, errors)
            _reject_nul(item, f"{path}.{key}" if path else str(key), errors)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _reject_nul(item, f"{path}.{i}" if path else str(i), errors)


class BaseSchema(Schema):
    """An input schema. `json_schema` is merged into its OpenAPI component, for rules across fields that
    the fields cannot state (e.g. `oneOf`); `refuse_empty` makes `{}` a 422, as a partial load (a PATCH) is."""

    json_schema: ClassVar[dict[str, Any]] = {}
    refuse_empty: ClassVar[bool] = False

    class Meta:
        unknown = RAISE  # our own API rejects unknown fields

    def __init__(self, *, partial: Any = None, **kwargs: Any) -> None:
        # `partial=True` would reach into nested objects too, so that a PATCH could send a work-history
        # item without its employer; a PATCH leaves out top-level fields only.
        super().__init__(partial=tuple(self._declared_fields) if partial is True else partial, **kwargs)

    def refuses_empty(self) -> bool:
        return self.refuse_empty or bool(self.partial)

    @validates_schema(pass_original=True)
    def _something(self, _data: Any, original: Any, partial: Any = None, **_: Any) -> None:
        if isinstance(original, Mapping) and not original and (self.refuses_empty() or partial):
            raise ValidationError(NOTHING_TO_CHANGE)

    @pre_load
    def _no_nul(self, data: Any, **_: Any) -> Any:
        errors: dict[str, list[str]] = {}
        _reject_nul(data, "", errors)
        if errors:
            raise ValidationError(errors)
        return data


def _sane_date(value: date) -> None:
    if not 1900 <= value.year <= 2200:
        raise ValidationError("Must be between the years 1900 and 2200.")


def _with(metadata: Mapping[str, Any], kw: dict[str, Any]) -> dict[str, Any]:
    return {**kw, "metadata": {**metadata, **kw.get("metadata", {})}}


def matching(pattern: str, error: str) -> validate.Validator:
    """The value matches `pattern` whole (the document states the same pattern; Python's `$` would also
    match before a final newline)."""
    compiled = re.compile(pattern)

    def check(value: str) -> None:
        if not compiled.fullmatch(value):
            raise ValidationError(error)
    return check


def web_url(**kw: Any) -> fields.String:
    """An http(s) URL with a DNS host name."""
    return fields.String(validate=[validate.Length(max=500), matching(WEB_URL, "Not a valid URL.")],
                         **_with({"pattern": WEB_URL}, kw))


def text(max_length: int, *, required: bool = False, min_length: int = 0, **kw: Any) -> fields.String:
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kw)


class Name(fields.String):
    """A name, checked as written (the document's length and pattern hold for what was sent), then trimmed
    with each run of white space inside made one space (`guards.squeeze`)."""

    def deserialize(self, value: Any, attr: str | None = None, data: Mapping[str, Any] | None = None,
                    **kwargs: Any) -> Any:
        output = super().deserialize(value, attr, data, **kwargs)
        return squeeze(output) if isinstance(output, str) else output


def name(max_length: int, *, blank_ok: bool = False, **kw: Any) -> fields.String:
    """A person's or referrer's name: never blank unless `blank_ok` (then white space alone reads as no name)."""
    length = validate.Length(min=0 if blank_ok else 1, max=max_length)
    if blank_ok:
        return Name(validate=length, **_with({"pattern": NO_NUL, "description": "Trimmed."}, kw))
    return Name(validate=[length, matching(NOT_BLANK, "Must not be blank.")],
                **_with({"pattern": NOT_BLANK, "description": "Trimmed; white space alone is no name."}, kw))


class UTCDateTimeField(fields.AwareDateTime):
    """An ISO 8601 datetime of the years 1900 to 2200 as written, read as UTC when it has no offset and
    converted to UTC, so that what a POST echoes is what a later GET returns."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        # The year as written, which is what the document's pattern can state (an offset may move the
        # instant into 1899 or 2201, which is harmless; years near 1 or 9999 would overflow in UTC).
        if not 1900 <= parsed.year <= 2200:
            raise ValidationError("Must be between the years 1900 and 2200.")
        return parsed.astimezone(UTC)


def when(**kw: Any) -> fields.AwareDateTime:
    return UTCDateTimeField(default_timezone=UTC, **_with({"pattern": YEARS}, kw))


def day(**kw: Any) -> fields.Date:
    return fields.Date(validate=_sane_date, **_with({"pattern": YEARS}, kw))


def exactly_one_of(*names: str) -> dict[str, Any]:
    """The document's form of "give exactly one of these fields" (a `BaseSchema.json_schema`)."""
    return {"oneOf": [{"required": [name]} for name in names]}


class Flag(fields.Boolean):
    """JSON true or false only. marshmallow's Boolean also takes 1, "yes" or "off", and even with
    `truthy={True}` it takes 1 and 0 (1 == True in a set); the document's `boolean` allows neither."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class QueryFlag(fields.Boolean):
    """A query-string boolean: exactly `true` or `false`, as OpenAPI serialises one."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value not in ("true", "false") or not isinstance(value, str):
            raise self.make_error("invalid", input=value)
        return value == "true"


class Whole(fields.Integer):
    """A JSON number without a fraction: 30 or 30.0 (one number to JSON Schema), never "30" or true, which
    marshmallow's Integer takes (and its `strict` refuses 30.0)."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
            raise self.make_error("invalid", input=value)
        return int(value)


def whole(low: int, high: int, **kw: Any) -> fields.Integer:
    """A whole number in [low, high]."""
    return Whole(validate=validate.Range(min=low, max=high), **kw)


def string_list(item_max: int, max_items: int, **kw: Any) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=item_max)),
                       validate=validate.Length(max=max_items), **kw)


def one_of(enum: Any, **kw: Any) -> fields.String:
    return fields.String(validate=validate.OneOf([m.value for m in enum]), **kw)


def time_zone(**kw: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(sorted(available_timezones())), **kw)


def language(**kw: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(LANGUAGES), **kw)


class PageQuery(BaseSchema):
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = fields.String(load_default=None, validate=[
        validate.Length(max=1000), matching(CURSOR, "Invalid cursor.")], metadata={"pattern": CURSOR,
        "description": "The `next_cursor` of the previous page, as it was handed out (base64url); any other "
                       "value is a 422. Absent or empty: the first page."})


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """An output schema `{data: [item], next_cursor}` for a list endpoint."""
    return type(name, (Schema,), {
        "data": fields.List(fields.Nested(item)),
        "next_cursor": fields.String(allow_none=True, metadata={
            "description": "Pass as `cursor` to get the next page; null on the last page."}),
    })


class ErrorOut(Schema):
    """The one error envelope of the API (plugin/errors.py)."""

    code = fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    status = fields.String(required=True, metadata={"description": "The HTTP status name."})
    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True, metadata={
        "description": "Field (dotted path into the request; `_schema` for the whole) → what is wrong with it."})
