"""What the message tests share: recruiters, people, roles and referrals made through the services (as a page or
the API would make them), the recruiter as the actor of what they do, the tenant's message rule, and reading back
what a message left behind (its trail, its delivery, the touches of its person)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor
from plugin.messages import messages
from plugin.models import (
    Delivery,
    Message,
    MessageEvent,
    Origin,
    Person,
    Recruiter,
    Reference,
    Referral,
    Role,
    Touchpoint,
)
from plugin.people import people, referrals, roles
from plugin.tenancy import recruiters
from plugin.tenancy import settings as tenant_settings

API = Actor("api_key", None, Origin.API)
REASON = "You asked me to get back to you after the summer."


def as_(recruiter: Recruiter) -> Actor:
    """The recruiter acting on a page."""
    return Actor("recruiter", str(recruiter.id), Origin.SIDEBAR)


class Desk:
    """One tenant's recruiters, people and rules, made through the services."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    # --- making things ----------------------------------------------------------------------------------

    def recruiter(self, name: str, *, admin: bool = False, language: str = "nb") -> Recruiter:
        email = f"{name.split()[0].lower()}@{str(self.tenant_id)[:8]}.acme.test"
        return recruiters.add(self.session, self.tenant_id, {"name": name, "email": email, "is_admin": admin,
                                                             "language": language}, API)

    def person(self, first: str, last: str = "Hansen", *, emails: tuple[str, ...] | None = None,
               owner: Recruiter | None = None, **extra: Any) -> Person:
        if emails is None:
            emails = (f"{first.lower()}.{last.lower()}@example.test",)
        data: dict[str, Any] = {"first_name": first, "last_name": last, "emails": list(emails), **extra}
        if owner is not None:
            data["owner_id"] = owner.id
        return people.create(self.session, self.tenant_id, data, API)

    def role(self, title: str, status: str) -> Role:
        return roles.create(self.session, self.tenant_id, {"title": title, "status": status}, API)

    def referral(self, referred: Person, referrer: dict[str, Any], **extra: Any) -> Referral:
        made, new = referrals.create(self.session, self.tenant_id, {
            "person_id": referred.id, "channel": "linkedin", "prompted": False, "referrer": referrer, **extra}, API)
        assert new
        return made

    def rule(self, **changes: Any) -> tenant_settings.MessageSettings:
        return tenant_settings.update_messages(self.session, self.tenant_id, changes, API)

    def draft(self, author: Recruiter, person: Person, *, reason: str = REASON, important: bool = False,
              **data: Any) -> Message:
        """A draft from a template, with the reason line filled in (and marked important, if asked)."""
        message = messages.start(self.session, self.tenant_id, author, {"person_id": person.id, **data}, as_(author))
        changes: dict[str, Any] = {"reason": reason}
        if important:
            changes["important"] = True
        return messages.edit(self.session, message, author, changes, as_(author))

    # --- reading back -----------------------------------------------------------------------------------

    def fresh(self, message: Message) -> Message:
        self.session.expire_all()
        found = self.session.get(Message, message.id)
        assert found is not None
        return found

    def trail(self, message: Message) -> list[tuple[str, uuid.UUID | None]]:
        self.session.expire_all()
        return [(event.kind, event.actor_id) for event in messages.events(self.session, message)]

    def deliveries(self) -> list[Delivery]:
        self.session.expire_all()
        return list(self.session.scalars(select(Delivery).where(Delivery.tenant_id == self.tenant_id,
                                                                Delivery.kind == messages.KIND)))

    def touches(self, person: Person, kind: str | None = None) -> list[Touchpoint]:
        self.session.expire_all()
        query = select(Touchpoint).where(Touchpoint.tenant_id == self.tenant_id, Touchpoint.person_id == person.id)
        if kind is not None:
            query = query.where(Touchpoint.kind == kind)
        return list(self.session.scalars(query.order_by(Touchpoint.occurred_at)))

    def messages(self, **where: Any) -> list[Message]:
        self.session.expire_all()
        return list(self.session.scalars(select(Message).filter_by(tenant_id=self.tenant_id, **where)
                                         .order_by(Message.created_at, Message.id)))

    def count(self, model: Any) -> int:
        return self.session.scalar(select(func.count()).select_from(model).where(
            model.tenant_id == self.tenant_id)) or 0

    def counts(self) -> dict[str, int]:
        """How many rows a message can leave behind: nothing may change when sending is refused."""
        return {model.__name__: self.count(model) for model in (Message, MessageEvent, Delivery, Touchpoint)}

    def reference_of(self, referral: Referral) -> Reference:
        found = self.session.get(Reference, referral.reference_id)
        assert found is not None
        return found
