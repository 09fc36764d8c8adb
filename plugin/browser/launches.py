"""What the extension's panel opens: a launch link for the person a page names, signed here, so no signing
secret ever reaches the browser; and "Track in Brobygger" for a LinkedIn profile.

The extension sends a page's kind and the id its URL shows, nothing else from an ATS page. Which record that
id names depends on the ATS (`pages.PageKind.names`): Greenhouse, Teamtailor and Ashby pages show the
candidate's API id, which the launch itself resolves (and an unknown one can be pulled from the ATS with
"Start tracking"); Lever's pages show an opportunity, found among the applications; Workable's show a number
that only the candidate's page URL holds (Kombo's `remote_url`), so it is matched there.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from plugin.browser.connections import SURFACE
from plugin.browser.pages import PageKind, linkedin_profile_url
from plugin.core.actors import Actor
from plugin.models import AtsApplication, Installation, Person, PersonLink, Recruiter, Tenant, Vendor
from plugin.people import people
from plugin.people.identity import linkedin_key
from plugin.security import Vault
from plugin.sidebar import launch
from plugin.tenancy import tenants

LIFETIME = 120  # seconds: the panel loads the URL at once
LINKEDIN_SOURCE = "LinkedIn (browser extension)"


@dataclass(frozen=True)
class Target:
    """Whom a page names: the launch context, and whether Brobygger knows the person yet."""

    ctx: dict[str, Any]
    known: bool


def target(session: Session, tenant_id: uuid.UUID, kind: PageKind, page_id: str) -> Target:
    if kind.names == "candidate":  # an unknown candidate's sidebar offers to start tracking: pull it from the ATS
        assert kind.vendor is not None
        ctx = {"vendor": kind.vendor.value, "candidate_id": page_id}
        person_id = launch.person_for(session, tenant_id, ctx)
        return Target({"person_id": str(person_id)} if person_id else ctx, known=person_id is not None)
    person_id = _found(session, tenant_id, kind, page_id)
    if person_id is None:  # the sidebar says the next sync brings it in
        return Target({"page": kind.name, "page_id": page_id}, known=False)
    return Target({"person_id": str(person_id)}, known=True)


def _found(session: Session, tenant_id: uuid.UUID, kind: PageKind, page_id: str) -> uuid.UUID | None:
    if kind.names == "application":
        return session.scalar(
            select(AtsApplication.person_id).join(Installation, Installation.id == AtsApplication.installation_id)
            .where(AtsApplication.tenant_id == tenant_id, Installation.vendor == kind.vendor,
                   AtsApplication.ats_id == page_id).limit(1))
    if kind.names == "page":  # the id is digits (pages.KINDS), so it needs no escaping in a LIKE pattern
        return session.scalar(
            select(PersonLink.person_id).join(Installation, Installation.id == PersonLink.installation_id)
            .where(PersonLink.tenant_id == tenant_id, Installation.vendor == Vendor.KOMBO,
                   or_(PersonLink.url.like(f"https://%.{kind.name}.com/%/candidates/{page_id}"),
                       PersonLink.url.like(f"https://%.{kind.name}.com/%/candidate/{page_id}"))).limit(1))
    return linkedin_person(session, tenant_id, linkedin_profile_url(page_id))


def linkedin_person(session: Session, tenant_id: uuid.UUID, url: str) -> uuid.UUID | None:
    """The person with this LinkedIn profile, however its URL was spelt when it was stored (identity.linkedin_key)."""
    key = linkedin_key(url)
    slug = key.rsplit("/", 1)[-1]
    # Stored URLs keep whatever host, query or trailing slash they came with: the pattern finds the candidates,
    # the key decides.
    pattern = "%linkedin.com/in/" + re.sub(r"([%_\\])", r"\\\1", slug) + "%"
    for person_id, stored in session.execute(
            select(Person.id, Person.linkedin_url).where(Person.tenant_id == tenant_id,
                                                         func.lower(Person.linkedin_url).like(pattern, escape="\\"))):
        if linkedin_key(stored) == key:
            return person_id
    return None


def launch_url(vault: Vault, base_url: str, tenant: Tenant, recruiter: Recruiter, kind: PageKind,
               ctx: dict[str, Any]) -> str:
    """A single-use launch link for `recruiter`, framed only by `kind`'s own pages."""
    token = launch.sign(tenants.sidebar_secret(vault, tenant), tenant.id, recruiter.email, ctx, lifetime=LIFETIME,
                        frame=kind.name)
    return f"{base_url}{launch.LAUNCH_PATH}?jwt={token}"


def track_linkedin(session: Session, tenant_id: uuid.UUID, recruiter: Recruiter, slug: str, name: str,
                   headline: str) -> uuid.UUID:
    """The person behind a LinkedIn profile, created with what the recruiter sees on it (name and headline) when
    Brobygger does not know them yet: owned by the recruiter, told about us by an art. 14 notice like everyone
    someone else told us about (people.create schedules it). An erased person is not brought back (409)."""
    url = linkedin_profile_url(slug)
    existing = linkedin_person(session, tenant_id, url)
    if existing is not None:
        return existing
    first, _, last = " ".join(name.split()).partition(" ")
    person = people.create(session, tenant_id, {
        "first_name": first[:100], "last_name": last[:100], "title": " ".join(headline.split())[:200] or None,
        "linkedin_url": url, "owner_id": recruiter.id, "data_source": LINKEDIN_SOURCE},
        Actor("recruiter", str(recruiter.id), SURFACE))
    return person.id

