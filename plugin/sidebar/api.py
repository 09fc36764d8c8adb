"""/sidebar: server-to-server help for hosts that cannot sign launch JWTs themselves (a token exchange, like
Jobylon's embedding API), and the connection code a Teamtailor admin pastes into the partner activation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.views import MethodView

from plugin.ats import partners
from plugin.core.api import Blueprint, db_session, get_state, requires_scope, tenant_id
from plugin.core.lookup import get_owned
from plugin.errors import InvalidError
from plugin.models import Installation, Vendor
from plugin.sidebar import launch
from plugin.sidebar.schemas import LaunchUrlIn, LaunchUrlOut, TeamtailorCodeIn, TeamtailorCodeOut
from plugin.tenancy import tenants

blp = Blueprint("sidebar", __name__, url_prefix="/sidebar", description="Sidebar launches for embedding hosts.")

EXCHANGE_LIFETIME = 120  # seconds: the host loads the URL in its iframe right away


@blp.route("/launch-urls")
class LaunchUrls(MethodView):
    @requires_scope("admin")
    @blp.arguments(LaunchUrlIn)
    @blp.response(201, LaunchUrlOut)
    def post(self, data: dict) -> dict:
        """A signed, single-use sidebar URL for one recruiter and candidate; the host frames it at once.
        Admin scope: the URL acts as that recruiter. Its queue link signs nobody in: an API key vouches
        for no recruiter, so the recruiter signs in to the pages by e-mail."""
        session = db_session()
        state = get_state()
        tenant = tenants.get(session, tenant_id())
        try:
            launch.find_recruiter(session, tenant.id, data["sub"])
        except launch.LaunchError as exc:
            raise InvalidError(str(exc), {"sub": ["Not an active recruiter of this tenant."]}) from None
        ctx = {k: str(v) for k, v in data["ctx"].items()}
        token = launch.sign(tenants.sidebar_secret(state.vault, tenant), tenant.id, data["sub"], ctx,
                            lifetime=EXCHANGE_LIFETIME, exchanged=True)
        base = state.setting("BASE_URL").rstrip("/") + state.url_prefix
        return {"url": f"{base}{launch.LAUNCH_PATH}?jwt={token}",
                "expires_at": datetime.now(UTC) + timedelta(seconds=EXCHANGE_LIFETIME)}


@blp.route("/teamtailor-codes")
class TeamtailorCodes(MethodView):
    @requires_scope("admin")
    @blp.arguments(TeamtailorCodeIn)
    @blp.response(201, TeamtailorCodeOut)
    @blp.alt_response(404, response="NotFound")  # an installation_id not of this tenant
    def post(self, data: dict) -> dict:
        """The connection code for a Teamtailor installation (admin scope): Teamtailor sends it back with
        every partner call, which is how Brobygger knows the tenant."""
        installation = get_owned(db_session(), Installation, tenant_id(), data["installation_id"], "installation")
        if installation.vendor != Vendor.TEAMTAILOR:
            raise InvalidError("Not a Teamtailor installation.", {"installation_id": ["Not Teamtailor."]})
        return {"code": partners.connection_code(get_state().setting("SECRET_KEY"), installation)}
