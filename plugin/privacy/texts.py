"""The privacy texts: the GDPR art. 14 notice, the consent renewal e-mail and the reasons of the privacy
tasks, written in English and translated in the catalogue, always in the language of the person they are
for (`force_locale`). The consent page's words are in its template.

The notice follows what Datatilsynet expects of a notice to someone whose data was not collected from
them: who the controller is and how to reach them, what data, from which source, for what purpose, on
which legal basis, for how long, and every right, including the right to complain to Datatilsynet.
It names no one: the person's name is not repeated into a second place, and the text can be sent as is.
"""

from __future__ import annotations

from datetime import datetime

from plugin.formats import date_long
from plugin.i18n import force_locale, gettext


def notice_subject(lang: str, controller: str) -> str:
    with force_locale(lang):
        return gettext("How %(controller)s processes personal data about you", controller=controller)


def notice_text(lang: str, *, controller: str, contact: str, source: str, basis: str, months: int) -> str:
    """The notice's body; `basis` is the person's lawful basis, `source` what `source_text` gives."""
    with force_locale(lang):
        bases = {
            "legitimate_interest": gettext("our legitimate interest in being able to contact suitable"
                                           " candidates when a relevant position comes up (GDPR "
                                           "Article 6(1)(f)). We have assessed that this interest "
                                           "outweighs the inconvenience to you, because we keep only "
                                           "information about your professional background and use it"
                                           " for nothing else"),
            "consent": gettext("your consent (GDPR Article 6(1)(a)). You may withdraw your consent at"
                               " any time, without affecting the processing that took place before "
                               "you withdrew it"),
        }
        retention = {
            "legitimate_interest": gettext("We erase or anonymise the information once %(months)s "
                                           "months have passed without contact between us, or sooner "
                                           "if you ask us to.", months=months),
            "consent": gettext("Your consent is valid for %(months)s months. Before it expires we "
                               "will ask whether you want to renew it; if you do not, we anonymise "
                               "the information.", months=months),
        }
        return gettext("""Hello,

%(controller)s has recorded information about you in our recruitment tool. As we did not obtain this
information from you, you have the right under Article 14 of the GDPR to be told about it.

Controller: %(controller)s. Contact us about privacy at %(contact)s.

What information: name, contact details (e-mail, phone, LinkedIn profile), current and past employers
and positions, and notes from our contact with you.

Where it comes from: %(source)s.

Purpose: to be able to contact you about relevant positions, including positions not yet advertised.
We do not use the information for automated decisions or profiling with legal effects for you, and we
do not sell it or share it with others for their purposes.

Legal basis: %(basis)s.

How long we keep it: %(retention)s

Your rights: you may ask for access to the information we hold about you, have it corrected, ask for it
to be erased, ask for restricted processing, object to the processing, and receive the information you
gave us (data portability). If you would rather not hear from us again, just say so and we will erase
the information. You may also complain to the Norwegian Data Protection Authority, Datatilsynet
(www.datatilsynet.no), or the supervisory authority where you live, if you believe we process your
information unlawfully.

Kind regards
%(controller)s
""", controller=controller, contact=contact, source=source, basis=bases[basis],
                       retention=retention[basis])


def source_text(lang: str, category: str, detail: str) -> str:
    """Where the data came from, by the source's category (`notice.source_category`); "other" is the
    source as it was recorded."""
    if category not in ("referral", "linkedin", "sync", "import", "event"):
        return detail
    with force_locale(lang):
        return {
            "referral": gettext("a person who recommended you to us"),
            "linkedin": gettext("your public LinkedIn profile or our LinkedIn network"),
            "sync": gettext("our applicant tracking system (%(detail)s)", detail=detail),
            "import": gettext("a list we imported (%(detail)s)", detail=detail),
            "event": gettext("an event where we met (%(detail)s)", detail=detail),
        }[category]


def notice_task_reason(lang: str, source: str) -> str:
    with force_locale(lang):
        return gettext("Send the privacy notice (GDPR art. 14): the data came from %(source)s", source=source)


def renewal_task_reason(lang: str, expires: datetime, zone: str) -> str:
    with force_locale(lang):
        return gettext("Consent expires on %(date)s: send the renewal link", date=date_long(expires, zone))


def renewal_mail(lang: str, *, controller: str, url: str, link_expires: datetime, expires: datetime | None,
                 zone: str) -> tuple[str, str]:
    """(subject, text) of the e-mail that carries a consent link; its days as written in `lang`, in `zone`."""
    with force_locale(lang):
        subject = gettext("Would you still like to hear from %(controller)s?", controller=controller)
        text = gettext("""Hello,

You earlier agreed that %(controller)s may keep information about you and contact you about relevant
positions. Your consent expires on %(expires)s.

Here you can renew your consent, extend it, or ask us to erase the information about you:
%(url)s

The link is personal, works once and is valid until %(link_expires)s. If you do nothing, we anonymise
the information once your consent has expired.

Kind regards
%(controller)s
""", controller=controller, url=url, link_expires=date_long(link_expires, zone),
                       expires=date_long(expires, zone) if expires else "—")
    return subject, text
