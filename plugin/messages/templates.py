"""Message templates: the built-in wording of each template in Norwegian and English, and a tenant's own
wording of any of them (a MessageTemplate row per template and language), filled with what the message is
about.

Placeholders are written `{name}` and only these are known: `{first_name}` (the recipient's), `{reason}`
(the follow-up's reason, in the message's language), `{role}` (the role's title), `{sender}` (the writing
recruiter's name) and, in notes to a referrer, `{person}` (the first name of the one they referred). A
tenant's wording is checked when saved, so a typo in a placeholder is refused then, not found in a sent
mail. The built-in texts follow the founding article: say why you write, and no intensifiers.
"""

from __future__ import annotations

import re
import string
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.schemas import SPACE
from plugin.errors import InvalidError, NotFoundError
from plugin.models import MessageTemplate, ReferralStatus

PLACEHOLDERS = frozenset({"first_name", "reason", "role", "sender", "person"})
LANGUAGES = ("nb", "en")
MAX_SUBJECT, MAX_BODY = 200, 5000


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


# {key: {language: Wording}}: templates a recruiter picks for a person, then the notes to referrers.
BUILT_IN: dict[str, dict[str, Wording]] = {
    "keep_in_touch": {
        "nb": Wording("Lenge siden sist", "Hei {first_name},\n\nDet er en stund siden vi snakket sammen, og jeg "
                      "ville høre hvordan det går med deg. {reason}\n\nHar du tid til en kort prat de nærmeste "
                      "ukene?\n\nHilsen {sender}"),
        "en": Wording("It has been a while", "Hi {first_name},\n\nIt has been a while since we last spoke, and I "
                      "wanted to hear how you are doing. {reason}\n\nWould you have time for a short call in the "
                      "coming weeks?\n\nBest regards,\n{sender}"),
    },
    "thank_after_meeting": {
        "nb": Wording("Takk for praten", "Hei {first_name},\n\nTakk for at du tok deg tid til å møte meg. "
                      "{reason}\n\nJeg tar gjerne kontakt igjen når vi har noe som passer for deg.\n\n"
                      "Hilsen {sender}"),
        "en": Wording("Thank you for meeting me", "Hi {first_name},\n\nThank you for taking the time to meet me. "
                      "{reason}\n\nI will be in touch when we have something that fits you.\n\n"
                      "Best regards,\n{sender}"),
    },
    "unadvertised_role": {
        "nb": Wording("En stilling som ikke er utlyst ennå", "Hei {first_name},\n\nVi skal snart rekruttere til "
                      "stillingen {role}, som ikke er utlyst ennå. {reason}\n\nVil du høre mer om den?\n\n"
                      "Hilsen {sender}"),
        "en": Wording("A role we have not advertised yet", "Hi {first_name},\n\nWe will soon be hiring for the "
                      "role {role}, which we have not advertised yet. {reason}\n\nWould you like to hear more "
                      "about it?\n\nBest regards,\n{sender}"),
    },
    "referrer_received": {
        "nb": Wording("Takk for at du anbefalte {person}", "Hei {first_name},\n\nTakk for at du anbefalte "
                      "{person} til oss. Vi har notert det og tar kontakt med {person} snart.\n\nHilsen {sender}"),
        "en": Wording("Thank you for referring {person}", "Hi {first_name},\n\nThank you for referring {person} to "
                      "us. We have noted it and will be in touch with {person} soon.\n\nBest regards,\n{sender}"),
    },
    "referrer_contacted": {
        "nb": Wording("Vi har snakket med {person}", "Hei {first_name},\n\nEn kort oppdatering: vi har nå vært i "
                      "kontakt med {person}, som du anbefalte. Takk for at du tenkte på oss.\n\nHilsen {sender}"),
        "en": Wording("We have been in touch with {person}", "Hi {first_name},\n\nA short update: we have now been "
                      "in touch with {person}, whom you referred. Thank you for thinking of us.\n\n"
                      "Best regards,\n{sender}"),
    },
    "referrer_in_process": {
        "nb": Wording("{person} er i prosess hos oss", "Hei {first_name},\n\n{person}, som du anbefalte, er nå i "
                      "en rekrutteringsprosess hos oss. Takk for anbefalingen.\n\nHilsen {sender}"),
        "en": Wording("{person} is in a recruitment process with us", "Hi {first_name},\n\n{person}, whom you "
                      "referred, is now in a recruitment process with us. Thank you for the referral.\n\n"
                      "Best regards,\n{sender}"),
    },
    "referrer_hired": {
        "nb": Wording("{person} har fått jobben", "Hei {first_name},\n\n{person}, som du anbefalte, har fått "
                      "jobb hos oss. Takk for at du tenkte på oss. Det betyr mye.\n\nHilsen {sender}"),
        "en": Wording("{person} has joined us", "Hi {first_name},\n\n{person}, whom you referred, has been hired. "
                      "Thank you for thinking of us. It means a lot.\n\nBest regards,\n{sender}"),
    },
    "referrer_not_hired": {
        "nb": Wording("Om anbefalingen av {person}", "Hei {first_name},\n\nTakk for at du anbefalte {person}. "
                      "Det ble ikke en ansettelse denne gangen, men vi er glade for at du tenkte på oss.\n\n"
                      "Hilsen {sender}"),
        "en": Wording("About your referral of {person}", "Hi {first_name},\n\nThank you for referring {person}. It "
                      "did not lead to a hire this time, but we are glad you thought of us.\n\n"
                      "Best regards,\n{sender}"),
    },
}
FOR_PEOPLE = ("keep_in_touch", "thank_after_meeting", "unadvertised_role")
REFERRER_NOTES = {ReferralStatus.RECEIVED: "referrer_received", ReferralStatus.CONTACTED: "referrer_contacted",
                  ReferralStatus.IN_PROCESS: "referrer_in_process", ReferralStatus.HIRED: "referrer_hired",
                  ReferralStatus.NOT_HIRED: "referrer_not_hired"}


_NAMES = "|".join(sorted(PLACEHOLDERS))
_TOKEN = f"[^{{}}\\u0000]|\\{{\\{{|\\}}\\}}|\\{{(?:{_NAMES})\\}}"
_SOLID = f"[^{{}}\\u0000{SPACE}]|\\{{\\{{|\\}}\\}}|\\{{(?:{_NAMES})\\}}"
# A wording: text, `{{` and `}}` for braces, known placeholders, and something besides white space. The API's
# document states this pattern; `check` holds the same rule with readable messages.
TEXT_PATTERN = f"^(?:{_TOKEN})*(?:{_SOLID})(?:{_TOKEN})*$"
_TOKENS = re.compile(f"(?:{_TOKEN})*")  # with `str.strip`, the same rule in linear time (the pattern backtracks)


def placeholders(text: str) -> set[str]:
    """The names of the `{…}` fields in `text`; ValueError when a brace is unbalanced."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def check(subject: str, body: str) -> None:
    """InvalidError (in English: the API's) when a wording is blank, too long or names an unknown placeholder."""
    errors: dict[str, list[str]] = {}
    for field, text, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        if len(text) > limit:
            errors[field] = [f"At most {limit} characters."]
        elif not text.strip() or not _TOKENS.fullmatch(text):
            errors[field] = ["Must not be blank, and may use only the placeholders "
                             + ", ".join(f"{{{name}}}" for name in sorted(PLACEHOLDERS))
                             + "; write {{ or }} for a brace itself."]
    if errors:
        raise InvalidError("The template is not valid: " + ", ".join(sorted(errors)) + ".", errors)


def _known(key: str, language: str) -> None:
    if key not in BUILT_IN or language not in LANGUAGES:
        raise NotFoundError(f"No template {key!r} in language {language!r}.")


def wording(session: Session, tenant_id: uuid.UUID, key: str, language: str) -> Wording:
    """The tenant's wording of a template in a language, else the built-in one."""
    _known(key, language)
    row = session.scalar(select(MessageTemplate).where(
        MessageTemplate.tenant_id == tenant_id, MessageTemplate.key == key, MessageTemplate.language == language))
    return Wording(row.subject, row.body) if row else BUILT_IN[key][language]


def all_wordings(session: Session, tenant_id: uuid.UUID) -> list[tuple[str, str, Wording, bool]]:
    """(key, language, wording, the tenant's own?) for every template and language, in one query."""
    own = {(row.key, row.language): row for row in session.scalars(
        select(MessageTemplate).where(MessageTemplate.tenant_id == tenant_id))}
    out = []
    for key, languages in BUILT_IN.items():
        for language in LANGUAGES:
            row = own.get((key, language))
            out.append((key, language, Wording(row.subject, row.body) if row else languages[language], row is not None))
    return out


def save(session: Session, tenant_id: uuid.UUID, key: str, language: str, subject: str, body: str,
         actor: Actor) -> Wording:
    """Set the tenant's wording of one template in one language."""
    _known(key, language)
    check(subject, body)
    row = session.scalar(select(MessageTemplate).where(
        MessageTemplate.tenant_id == tenant_id, MessageTemplate.key == key, MessageTemplate.language == language))
    if row is None:
        row = MessageTemplate(tenant_id=tenant_id, key=key, language=language, subject=subject, body=body)
        session.add(row)
    else:
        row.subject, row.body = subject, body
    session.flush()
    audit(session, tenant_id, actor, "update", "message_template", row.id, ["subject", "body"])
    session.commit()
    return Wording(subject, body)


def reset(session: Session, tenant_id: uuid.UUID, key: str, language: str, actor: Actor) -> Wording:
    """Back to the built-in wording."""
    _known(key, language)
    session.execute(delete(MessageTemplate).where(
        MessageTemplate.tenant_id == tenant_id, MessageTemplate.key == key, MessageTemplate.language == language))
    audit(session, tenant_id, actor, "delete", "message_template", tenant_id, [f"{key}.{language}"])
    session.commit()
    return BUILT_IN[key][language]


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with its placeholders filled; a placeholder with no value is left out (and the space before it),
    so a message about no role never reads "the role ."."""
    out: list[str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            value = values.get(name, "")
            if not value and out and out[-1].endswith(" "):
                out[-1] = out[-1][:-1]
            out.append(value)
    return "".join(out)
