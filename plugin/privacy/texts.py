"""The GDPR art. 14 notice and the consent page texts, written out in Norwegian (Bokmål) and English.

The notice follows what Datatilsynet expects of a notice to someone whose data was not collected from
them: who the controller is and how to reach them, what data, from which source, for what purpose, on
which legal basis, for how long, and every right, including the right to complain to Datatilsynet.
It names no one: the person's name is not repeated into a second place, and the text can be sent as is.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBJECTS = {
    "nb": "Informasjon om hvordan {controller} behandler personopplysninger om deg",
    "en": "How {controller} processes personal data about you",
}

BASES = {
    "nb": {
        "legitimate_interest": "vår berettigede interesse i å kunne kontakte aktuelle kandidater når vi får "
                               "en relevant stilling (personvernforordningen artikkel 6 nr. 1 bokstav f). "
                               "Vi har vurdert at denne interessen veier tyngre enn ulempen for deg, fordi vi "
                               "bare lagrer opplysninger om din yrkesmessige bakgrunn og ikke bruker dem til "
                               "noe annet",
        "consent": "ditt samtykke (personvernforordningen artikkel 6 nr. 1 bokstav a). Du kan når som helst "
                   "trekke samtykket tilbake, uten at det påvirker behandlingen før du trakk det",
    },
    "en": {
        "legitimate_interest": "our legitimate interest in being able to contact suitable candidates when a "
                               "relevant position comes up (GDPR Article 6(1)(f)). We have assessed that this "
                               "interest outweighs the inconvenience to you, because we keep only information "
                               "about your professional background and use it for nothing else",
        "consent": "your consent (GDPR Article 6(1)(a)). You may withdraw your consent at any time, without "
                   "affecting the processing that took place before you withdrew it",
    },
}

NOTICE = {
    "nb": """Hei,

{controller} har registrert opplysninger om deg i vårt rekrutteringsverktøy. Fordi vi ikke fikk
opplysningene fra deg selv, har du etter personvernforordningen artikkel 14 rett til å få vite dette.

Behandlingsansvarlig: {controller}. Kontakt oss om personvern på {contact}.

Hvilke opplysninger: navn, kontaktopplysninger (e-post, telefon, LinkedIn-profil), nåværende og
tidligere arbeidsgivere og stillinger, og notater fra kontakten vi har hatt med deg.

Hvor opplysningene kommer fra: {source}.

Formål: å kunne kontakte deg om relevante stillinger, også stillinger som ikke er utlyst ennå. Vi
bruker ikke opplysningene til automatiserte avgjørelser eller profilering med rettsvirkning for deg,
og vi selger eller deler dem ikke med andre for deres formål.

Rettslig grunnlag: {basis}.

Lagringstid: {retention}

Dine rettigheter: Du kan be om innsyn i opplysningene vi har om deg, få dem rettet, be om at de slettes,
be om begrenset behandling, protestere mot behandlingen og få utlevert opplysningene du har gitt oss
(dataportabilitet). Ønsker du ikke lenger å høre fra oss, sier du bare fra, så sletter vi opplysningene.
Du kan også klage til Datatilsynet (www.datatilsynet.no) hvis du mener vi behandler opplysningene
dine i strid med regelverket.

Vennlig hilsen
{controller}
""",
    "en": """Hello,

{controller} has recorded information about you in our recruitment tool. As we did not obtain this
information from you, you have the right under Article 14 of the GDPR to be told about it.

Controller: {controller}. Contact us about privacy at {contact}.

What information: name, contact details (e-mail, phone, LinkedIn profile), current and past employers
and positions, and notes from our contact with you.

Where it comes from: {source}.

Purpose: to be able to contact you about relevant positions, including positions not yet advertised.
We do not use the information for automated decisions or profiling with legal effects for you, and we
do not sell it or share it with others for their purposes.

Legal basis: {basis}.

How long we keep it: {retention}

Your rights: you may ask for access to the information we hold about you, have it corrected, ask for it
to be erased, ask for restricted processing, object to the processing, and receive the information you
gave us (data portability). If you would rather not hear from us again, just say so and we will erase
the information. You may also complain to the Norwegian Data Protection Authority, Datatilsynet
(www.datatilsynet.no), or the supervisory authority where you live, if you believe we process your
information unlawfully.

Kind regards
{controller}
""",
}

RETENTION = {
    "nb": {
        "legitimate_interest": "Vi sletter eller anonymiserer opplysningene når det har gått {months} måneder "
                               "uten kontakt mellom oss, eller tidligere hvis du ber om det.",
        "consent": "Samtykket gjelder i {months} måneder. Før det utløper spør vi om du vil fornye det; gjør du "
                   "ikke det, anonymiserer vi opplysningene.",
    },
    "en": {
        "legitimate_interest": "We erase or anonymise the information once {months} months have passed without "
                               "contact between us, or sooner if you ask us to.",
        "consent": "Your consent is valid for {months} months. Before it expires we will ask whether you want to "
                   "renew it; if you do not, we anonymise the information.",
    },
}

SOURCES = {
    "nb": {"referral": "en person som anbefalte deg til oss", "linkedin": "din offentlige LinkedIn-profil "
           "eller vårt nettverk på LinkedIn", "sync": "vårt søkersystem ({detail})", "import": "en liste vi "
           "importerte ({detail})", "event": "et arrangement der vi møttes ({detail})", "other": "{detail}"},
    "en": {"referral": "a person who recommended you to us", "linkedin": "your public LinkedIn profile or our "
           "LinkedIn network", "sync": "our applicant tracking system ({detail})", "import": "a list we imported "
           "({detail})", "event": "an event where we met ({detail})", "other": "{detail}"},
}

RENEWAL_SUBJECTS = {
    "nb": "Vil du fortsatt høre fra {controller}?",
    "en": "Would you still like to hear from {controller}?",
}

RENEWAL_MAIL = {
    "nb": """Hei,

Du har tidligere samtykket til at {controller} kan ta vare på opplysninger om deg og kontakte deg om
relevante stillinger. Samtykket utløper {expires}.

Her kan du fornye samtykket, forlenge det, eller be oss slette opplysningene om deg:
{url}

Lenken er personlig, kan brukes én gang og gjelder til {link_expires}. Gjør du ingenting, anonymiserer
vi opplysningene når samtykket har utløpt.

Vennlig hilsen
{controller}
""",
    "en": """Hello,

You earlier agreed that {controller} may keep information about you and contact you about relevant
positions. Your consent expires on {expires}.

Here you can renew your consent, extend it, or ask us to erase the information about you:
{url}

The link is personal, works once and is valid until {link_expires}. If you do nothing, we anonymise
the information once your consent has expired.

Kind regards
{controller}
""",
}


@dataclass(frozen=True)
class PageText:
    title: str
    intro: str
    expires: str
    accept: str
    extend: str
    erase: str
    erase_note: str
    accepted: str
    erased: str
    used: str
    invalid: str


PAGE = {
    "nb": PageText(
        title="Ditt samtykke hos {controller}",
        intro="{controller} har opplysninger om deg fordi du har samtykket til at vi kan kontakte deg om "
              "relevante stillinger. Her bestemmer du om vi fortsatt skal ha dem.",
        expires="Samtykket ditt utløper {date}.",
        accept="Forny samtykket i {months} måneder",
        extend="Forleng samtykket i {months} måneder",
        erase="Slett opplysningene om meg",
        erase_note="Sletting skjer med en gang og kan ikke angres.",
        accepted="Takk! Samtykket ditt gjelder nå til {date}.",
        erased="Opplysningene om deg er slettet. Vi kontakter deg ikke igjen.",
        used="Denne lenken er allerede brukt. Ta kontakt med oss hvis du vil endre valget ditt.",
        invalid="Lenken er ugyldig eller utløpt. Ta kontakt med oss for en ny lenke.",
    ),
    "en": PageText(
        title="Your consent with {controller}",
        intro="{controller} holds information about you because you agreed that we may contact you about "
              "relevant positions. Here you decide whether we should keep it.",
        expires="Your consent expires on {date}.",
        accept="Renew my consent for {months} months",
        extend="Extend my consent for {months} months",
        erase="Erase the information about me",
        erase_note="Erasure happens at once and cannot be undone.",
        accepted="Thank you! Your consent is now valid until {date}.",
        erased="The information about you has been erased. We will not contact you again.",
        used="This link has already been used. Contact us if you want to change your choice.",
        invalid="The link is invalid or has expired. Contact us for a new one.",
    ),
}

FOLLOWUP_REASONS = {
    "art14_notice": {
        "nb": "Send personverninformasjon (art. 14): opplysningene kom fra {source}",
        "en": "Send the privacy notice (GDPR art. 14): the data came from {source}",
    },
    "consent_renewal": {
        "nb": "Samtykket utløper {date}: send lenke for fornyelse",
        "en": "Consent expires on {date}: send the renewal link",
    },
}
