"""/installations: the tenant's ATS connections and whether sync, webhooks and write-back work."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from plugin.ats import installations
from plugin.ats.schemas import InstallationList, InstallationStatusOut
from plugin.core.api import Blueprint, db_session, tenant_id
from plugin.extension import get_state
from plugin.models import Installation

blp = Blueprint("installations", __name__, url_prefix="/installations",
                description="ATS connections and their sync, webhook and write-back status.")


def _view(installation: Installation) -> dict[str, Any]:
    prefix = get_state().url_prefix
    return {**{c: getattr(installation, c) for c in ("id", "vendor", "name", "base_url", "active", "created_at")},
            "write_back": installations.writes_back(installation),
            "reaches": installation.settings.get("reaches"),
            "webhook_path": f"{prefix}/webhooks/{installation.vendor.value}/{installation.id}"}


@blp.route("")
class Installations(MethodView):
    @blp.response(200, InstallationList)
    def get(self) -> dict:
        return {"data": [_view(i) for i in installations.list_(db_session(), tenant_id())]}


@blp.route("/<uuid:installation_id>")
class InstallationById(MethodView):
    @blp.response(200, InstallationStatusOut)
    def get(self, installation_id: uuid.UUID) -> dict:
        status = installations.status(db_session(), tenant_id(), installation_id)
        return {**status.__dict__, "installation": _view(status.installation)}
