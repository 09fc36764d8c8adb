"""Building blocks shared by every API schema."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import available_timezones

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from plugin.i18n import LANGUAGES

MAX_PAGE = 500



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
    class Meta:
        unknown = RAISE  # our own API rejects unknown fields

    @pre_load
    def _no_nul(self, data: Any, **_: Any) -> Any:
        errors: dict[str, list[str]] = {}
        _reject_nul(data, "", errors)
        if errors:
            raise ValidationError(errors)
        return data


def _sane_datetime(value: datetime) -> None:
    if not 1900 <= value.year <= 2200:
        raise ValidationError("Must be between the years 1900 and 2200.")


def _sane_date(value: date) -> None:
    if not 1900 <= value.year <= 2200:
        raise ValidationError("Must be between the years 1900 and 2200.")


def text(max_length: int, *, required: bool = False, min_length: int = 0, **kw: Any) -> fields.String:
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kw)


class UTCDateTimeField(fields.AwareDateTime):
    """An ISO 8601 datetime, read as UTC when it has no offset and converted to UTC, so that what a
    POST echoes is what a later GET returns."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:59-14:00 lies past datetime.max in UTC
            raise ValidationError("Must be between the years 1900 and 2200.") from None


def when(**kw: Any) -> fields.AwareDateTime:
    return UTCDateTimeField(default_timezone=UTC, validate=_sane_datetime, **kw)


def day(**kw: Any) -> fields.Date:
    return fields.Date(validate=_sane_date, **kw)


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
    cursor = fields.String(load_default=None, validate=validate.Length(max=1000))


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """An output schema `{data: [item], next_cursor}` for a list endpoint."""
    return type(name, (Schema,), {
        "data": fields.List(fields.Nested(item)),
        "next_cursor": fields.String(allow_none=True, metadata={
            "description": "Pass as `cursor` to get the next page; null on the last page."}),
    })
