"""POST /webhooks/<vendor>/<installation_id>: verify the vendor's signature over the raw body, dedupe,
record, enqueue, and answer 200 at once. Greenhouse counts any other success status as a failure."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, jsonify, request

from ..extension import db_session, get_state
from ..services import webhooks

bp = Blueprint("brobygger_webhooks", __name__)


@bp.post("/webhooks/<vendor>/<uuid:installation_id>")
def receive(vendor: str, installation_id: uuid.UUID) -> Any:
    receipt = webhooks.receive(db_session(), get_state().vault, vendor, installation_id, request.headers,
                               request.get_data(cache=False))
    return jsonify({"status": receipt.value}), 200
