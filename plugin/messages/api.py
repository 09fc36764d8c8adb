"""/tone-check; /messages (drafts and their trail), /messages/settings (who reads before sending, notes to
referrers, the tenant's tone words); /message-templates; /tenant/mail-server.

Reviewing, approving and sending are done by signed-in recruiters on the message pages, not over the API:
a tenant-wide key could otherwise be both author and second reader, and the four-eyes rule would mean
nothing. The API drafts for a named author and reads everything.
"""

from __future__ import annotations

import uuid

from flask.views import MethodView

from plugin.core.api import Blueprint, actor, db_session, page_args, page_body, requires_scope, tenant_id
from plugin.core.lookup import check_owned
from plugin.errors import InvalidError
from plugin.extension import get_state
from plugin.messages import mailing, messages, templates, tone
from plugin.messages.schemas import (
    MailServerIn,
    MailServerOut,
    MessageDetailOut,
    MessageIn,
    MessageOut,
    MessagePage,
    MessageQuery,
    MessageSettingsOut,
    TemplateIn,
    TemplateList,
    TemplateOut,
    ToneCheckIn,
    ToneCheckOut,
)
from plugin.models import FollowUp, Person, Recruiter, Role, Tenant
from plugin.tenancy import settings as tenant_settings

tone_blp = Blueprint("tone_check", __name__, url_prefix="/tone-check",
                     description="The honest-tone check of a message text (nb and en).")


@tone_blp.route("")
class ToneCheck(MethodView):
    @tone_blp.arguments(ToneCheckIn)
    @tone_blp.response(200, ToneCheckOut)
    def post(self, data: dict) -> dict:
        """Flags intensifiers, superlatives, exclamation marks in series, salary or perk claims without a
        figure, and clichés, each with why and a plainer suggestion, and a score from 0 to 100 (100: plain).
        The tenant's own words (`/messages/settings` `tone_additions`) count too. Never blocks anything."""
        session = db_session()
        tenant = session.get(Tenant, tenant_id())
        language = data.get("language") or (tenant.default_language if tenant else "nb")
        additions = tenant_settings.messages_of(tenant.settings if tenant else None).tone_additions
        return tone.check(data["text"], language, additions).to_dict()


blp = Blueprint("messages", __name__, url_prefix="/messages",
                description="Messages to people and notes to referrers: drafts, their review trail, sending.")


@blp.route("")
class Messages(MethodView):
    @blp.arguments(MessageQuery, location="query")
    @blp.response(200, MessagePage)
    def get(self, args: dict) -> dict:
        """The tenant's messages, newest first."""
        return page_body(messages.list_(db_session(), tenant_id(), **page_args(args)))

    @requires_scope("write")
    @blp.arguments(MessageIn)
    @blp.response(201, MessageOut)
    def post(self, data: dict) -> object:
        """A draft from a template for `author_id` to finish on the message page (its reason line, a review
        if the tenant's rule asks for one, then sending). Refused (409) when the person may not be contacted."""
        session = db_session()
        author = session.get(Recruiter, data.pop("author_id"))
        if author is None or author.tenant_id != tenant_id() or not author.active:
            raise InvalidError("author_id does not name an active recruiter of this tenant.",
                               {"author_id": ["Unknown id."]})
        for model, field in ((Person, "person_id"), (FollowUp, "followup_id"), (Role, "role_id")):
            check_owned(session, model, tenant_id(), data.get(field), field)  # unknown ids in a body: 422
        return messages.start(session, tenant_id(), author, data, actor())


@blp.route("/<uuid:message_id>")
class MessageById(MethodView):
    @blp.response(200, MessageDetailOut)
    def get(self, message_id: uuid.UUID) -> object:
        """The message with its trail: each step, who took it, comments, and the text before and after edits."""
        session = db_session()
        message = messages.get(session, tenant_id(), message_id)
        message.events = messages.events(session, message)  # type: ignore[attr-defined]  # output only
        return message


@blp.route("/settings")
class MessageSettings(MethodView):
    @blp.response(200, MessageSettingsOut)
    def get(self) -> dict:
        """Which messages need a second reader, what happens to referrers' notes, the tenant's tone words."""
        return {"data": tenant_settings.load_messages(db_session(), tenant_id()).as_dict()}

    @requires_scope("admin")
    @blp.arguments(tenant_settings.MessageSettingsSchema(partial=True))
    @blp.response(200, MessageSettingsOut)
    def patch(self, data: dict) -> dict:
        """Change some of them. Admin scope: the review rule is a control over what leaves the company."""
        return {"data": tenant_settings.update_messages(db_session(), tenant_id(), data, actor()).as_dict()}


templates_blp = Blueprint("message_templates", __name__, url_prefix="/message-templates",
                          description="The wording of message templates, per language (nb, en).")


def _template_out(key: str, language: str, wording: templates.Wording, own: bool) -> dict:
    return {"key": key, "language": language, "subject": wording.subject, "body": wording.body, "own": own}


@templates_blp.route("")
class Templates(MethodView):
    @templates_blp.response(200, TemplateList)
    def get(self) -> dict:
        """Every template in both languages: the tenant's wording where it has one, else the built-in."""
        return {"data": [_template_out(*row) for row in templates.all_wordings(db_session(), tenant_id())],
                "placeholders": sorted(templates.PLACEHOLDERS)}


TEMPLATE_PARAMETERS = [
    {"in": "path", "name": "key", "required": True, "schema": {"type": "string", "enum": list(templates.BUILT_IN)}},
    {"in": "path", "name": "language", "required": True,
     "schema": {"type": "string", "enum": list(templates.LANGUAGES)}}]


@templates_blp.route("/<string:key>/<string:language>", parameters=TEMPLATE_PARAMETERS)
class TemplateByKey(MethodView):
    @requires_scope("admin")
    @templates_blp.arguments(TemplateIn)
    @templates_blp.response(200, TemplateOut)
    def put(self, data: dict, key: str, language: str) -> dict:
        """Set the tenant's wording. Placeholders: {first_name}, {reason}, {role}, {sender}, {person}; an
        unknown one, or a lone brace, is a 422. Admin scope."""
        wording = templates.save(db_session(), tenant_id(), key, language, data["subject"], data["body"], actor())
        return _template_out(key, language, wording, True)

    @requires_scope("admin")
    @templates_blp.response(200, TemplateOut)
    def delete(self, key: str, language: str) -> dict:
        """Back to the built-in wording. Admin scope."""
        return _template_out(key, language, templates.reset(db_session(), tenant_id(), key, language, actor()), False)


mail_blp = Blueprint("mail_server", __name__, url_prefix="/tenant/mail-server",
                     description="The tenant's own mail server for its recruiters' messages.")


@mail_blp.route("")
class MailServer(MethodView):
    @requires_scope("admin")
    @mail_blp.response(200, MailServerOut)
    def get(self) -> dict:
        """Whether messages go through the tenant's server, its host and sender; never its password."""
        tenant = db_session().get(Tenant, tenant_id())
        assert tenant is not None
        return mailing.server_info(tenant, get_state().vault)

    @requires_scope("admin")
    @mail_blp.arguments(MailServerIn)
    @mail_blp.response(200, MailServerOut)
    def put(self, data: dict) -> dict:
        """Send messages through this server, from this address (the recruiter is the Reply-To). The URL,
        with its password, is stored encrypted. Admin scope."""
        state = get_state()
        tenant = mailing.set_server(db_session(), tenant_id(), state.vault, data["smtp_url"], data["sender"],
                                    actor())
        return mailing.server_info(tenant, state.vault)

    @requires_scope("admin")
    @mail_blp.response(200, MailServerOut)
    def delete(self) -> dict:
        """Back to the deployment's server and sender. Admin scope."""
        return mailing.server_info(mailing.clear_server(db_session(), tenant_id(), actor()), get_state().vault)
