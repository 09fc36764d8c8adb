"""manifest.yaml: loaded and validated once at start-up; a broken manifest stops the app with a clear message."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from plugin.config import ConfigError
from plugin.errors import flatten
from plugin.models.enums import Vendor
from plugin.resources import resource_path

VENDORS = [v.value for v in Vendor]


class _Vendor(Schema):
    name = fields.String(required=True)
    url = fields.Url(required=True)
    email = fields.Email(required=True)


class _Surface(Schema):
    url = fields.String(required=True, validate=validate.Regexp(r"^\{base_url\}/"))
    description = fields.String(required=True)
    auth = fields.String()


class _Surfaces(Schema):
    sidebar = fields.Nested(_Surface, required=True)
    queue = fields.Nested(_Surface, required=True)
    report = fields.Nested(_Surface, required=True)


class _Webhook(Schema):
    url = fields.String(required=True, validate=validate.Regexp(r"^\{base_url\}/webhooks/\w+/\{installation_id\}$"))
    signature = fields.String(required=True)
    events = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class _Setting(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]+$"))
    label = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["string", "secret", "url", "boolean"]))
    required = fields.Boolean(required=True)
    vendors = fields.List(fields.String(validate=validate.OneOf(VENDORS)))
    default = fields.Raw()


class ManifestSchema(Schema):
    name = fields.String(required=True)
    slug = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9-]*$"))
    version = fields.String(required=True)
    description = fields.String(required=True)
    vendor = fields.Nested(_Vendor, required=True)
    surfaces = fields.Nested(_Surfaces, required=True)
    webhooks = fields.Dict(keys=fields.String(validate=validate.OneOf(VENDORS)), values=fields.Nested(_Webhook),
                           required=True)
    permissions = fields.Dict(keys=fields.String(validate=validate.OneOf(VENDORS)),
                              values=fields.List(fields.String()), required=True)
    settings = fields.List(fields.Nested(_Setting), required=True)

    @validates_schema
    def _every_vendor_covered(self, data: dict[str, Any], **_: Any) -> None:
        for section in ("webhooks", "permissions"):
            missing = sorted(set(VENDORS) - set(data.get(section, {})))
            if missing:
                raise ValidationError(f"no entry for {', '.join(missing)}", section)
        keys = [s["key"] for s in data.get("settings", [])]
        if len(keys) != len(set(keys)):
            raise ValidationError("setting keys must be unique", "settings")


def load_manifest(path: str | Path | None = None) -> dict[str, Any]:
    source = Path(path) if path else resource_path("manifest.yaml")
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"manifest {source.name} cannot be read: {exc}") from None
    try:
        manifest = ManifestSchema().load(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(flatten(exc.messages).items()))
        raise ConfigError(f"manifest {source.name} is invalid: {problems}") from None
    try:
        installed = version("brobygger")
    except PackageNotFoundError:
        installed = manifest["version"]
    if manifest["version"] != installed:
        raise ConfigError(f"manifest version {manifest['version']} does not match the package ({installed})")
    return manifest


def render(manifest: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The manifest with `{base_url}` filled in, as served at /manifest.json."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{base_url}", base_url.rstrip("/"))
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return fill(manifest)
