"""The demo tenant's data tables: who works there, which employers, titles, roles, events and words its
people and notes are made of. The builder (`builder.py`) draws from them with seeded generators."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from plugin.models import RoleStatus, TouchpointKind

DEMO_TENANT_NAME = "Fjordlys Rekruttering (demo)"
DEMO_KEY_NAME = "demo"

SEED = 1905  # any fixed number: the same seed gives the same demo
HISTORY_DAYS = 547  # 18 months of touchpoints and referrals
PEOPLE = 150
REFERRALS = 60
DO_NOT_CONTACT = (37, 111)  # indexes of the two people who asked not to be contacted
ATS_ORIGINS = ("https://app.greenhouse.io", "https://app.teamtailor.com", "https://hire.lever.co")
OSLO = ZoneInfo("Europe/Oslo")

# (e-mail, name, time zone, language, admin). Ordered by e-mail: the first is who /demo/sidebar signs in as.
RECRUITERS = (
    ("ane.lovaas@fjordlys.example", "Ane Løvås", "Europe/Oslo", "nb", True),
    ("emily.clarke@fjordlys.example", "Emily Clarke", "Europe/London", "en", False),
    ("jonas.brathen@fjordlys.example", "Jonas Bråthen", "Europe/Oslo", "nb", False),
    ("marit.hogseth@fjordlys.example", "Marit Høgseth", "Europe/Oslo", "nb", True),
)

# (employer, e-mail domain label, cities with an office)
NO_EMPLOYERS = (
    ("Equinor", "equinor", ("Stavanger", "Bergen", "Oslo")),
    ("DNB", "dnb", ("Oslo", "Bergen", "Trondheim")),
    ("Telenor", "telenor", ("Oslo", "Tromsø")),
    ("Kahoot!", "kahoot", ("Oslo",)),
    ("Vipps MobilePay", "vippsmobilepay", ("Oslo",)),
    ("Schibsted", "schibsted", ("Oslo",)),
    ("Aker BP", "akerbp", ("Stavanger", "Oslo", "Trondheim")),
    ("Cognite", "cognite", ("Oslo", "Stavanger")),
    ("Oda", "oda", ("Oslo",)),
    ("Kongsberg Digital", "kongsberg", ("Oslo", "Trondheim")),
    ("Statkraft", "statkraft", ("Oslo", "Trondheim", "Bergen")),
    ("Nordic Semiconductor", "nordicsemi", ("Trondheim", "Oslo")),
    ("SpareBank 1 SMN", "smn", ("Trondheim",)),
    ("Sparebanken Vest", "spv", ("Bergen",)),
    ("Kongsberg Satellite Services", "ksat", ("Tromsø",)),
    ("Lyse", "lyse", ("Stavanger",)),
    ("Visma", "visma", ("Oslo", "Bergen")),
    ("FINN.no", "finn", ("Oslo",)),
)
UK_EMPLOYERS = (
    ("Monzo", "monzo", ("London",)),
    ("Ocado Technology", "ocado", ("London",)),
    ("Deliveroo", "deliveroo", ("London",)),
    ("Wise", "wise", ("London",)),
    ("BBC", "bbc", ("London",)),
    ("Revolut", "revolut", ("London",)),
    ("Sky", "sky", ("London",)),
)
SE_EMPLOYERS = (
    ("Spotify", "spotify", ("Stockholm",)),
    ("Klarna", "klarna", ("Stockholm",)),
)

FAMILIES: dict[str, int] = {"backend": 22, "data": 18, "platform": 12, "product": 12, "leadership": 10,
                            "design": 9, "mobile": 8, "security": 5, "finance": 4}
TITLES = {  # used everywhere: Norwegian tech employers use English titles too
    "backend": ("Senior Backend Engineer", "Staff Engineer", "Tech Lead", "Software Engineer"),
    "data": ("Senior Data Engineer", "Data Scientist", "Analytics Engineer", "Head of Data"),
    "platform": ("Platform Engineer", "Site Reliability Engineer", "Cloud Architect"),
    "product": ("Product Manager", "Senior Product Owner", "Head of Product"),
    "leadership": ("Engineering Manager", "CTO", "VP Engineering"),
    "design": ("Product Designer", "Design Lead", "UX Researcher"),
    "mobile": ("iOS Developer", "Android Developer", "Mobile Lead"),
    "security": ("Security Engineer", "CISO"),
    "finance": ("Controller", "Business Controller", "CFO"),
}
NB_TITLES = {  # only at Norwegian employers
    "backend": ("Systemutvikler", "Senior Kotlin-utvikler"), "data": ("Dataingeniør", "Dataanalytiker"),
    "platform": ("DevOps-ingeniør", "Driftsarkitekt"), "product": ("Produktleder", "Produkteier"),
    "leadership": ("Teamleder", "Utviklingssjef"), "design": ("UX-designer", "Interaksjonsdesigner"),
    "mobile": ("Apputvikler",), "security": ("Sikkerhetsarkitekt",), "finance": ("Finanssjef", "Økonomisjef"),
}
# (Norwegian, English) topics a recruiter would note about someone in each field.
TOPICS = {
    "backend": (("hendelsesdrevet arkitektur", "event-driven architecture"),
                ("migrering til Kotlin", "the Kotlin migration"), ("API-plattformen", "the API platform")),
    "data": (("dataplattformen på Databricks", "the Databricks data platform"), ("sanntidsdata med Kafka",
             "real-time data with Kafka"), ("MLOps", "MLOps")),
    "platform": (("flytting til Kubernetes", "the move to Kubernetes"), ("plattformteam og utvikleropplevelse",
                 "platform teams and developer experience"), ("skykostnader", "cloud costs")),
    "product": (("produktoppdagelse", "product discovery"), ("prising og abonnement", "pricing and subscriptions"),
                ("OKR-er som faktisk virker", "OKRs that actually work")),
    "leadership": (("å bygge team fra bunnen", "building teams from scratch"), ("ledelse av ledere",
                   "managing managers"), ("hybrid arbeid", "hybrid work")),
    "design": (("designsystemet", "the design system"), ("universell utforming", "accessibility"),
               ("brukertesting", "user research")),
    "mobile": (("SwiftUI", "SwiftUI"), ("appytelse", "app performance"), ("Jetpack Compose", "Jetpack Compose")),
    "security": (("nulltillit-arkitektur", "zero-trust architecture"), ("NIS2", "NIS2"),
                 ("sikkerhetskultur", "security culture")),
    "finance": (("børsnotering", "an IPO"), ("vekstfinansiering", "growth funding"), ("ny ERP", "a new ERP")),
}
INTERESTS = {"no": ("langrenn", "orientering", "klatring", "seiling", "fjellturer", "sjakk", "jazz", "brettspill",
                    "fluefiske", "sykling", "løping", "fotografering", "open source", "Rust", "maskinlæring"),
             "en": ("board games", "running", "photography", "cycling", "climbing", "choir singing", "football",
                    "open source", "Rust", "machine learning", "sailing", "chess", "jazz")}
FAMILY_TAGS = {"backend": ("backend", "kotlin", "python"), "data": ("data", "python", "ml"),
               "platform": ("platform", "kubernetes", "cloud"), "product": ("product", "b2c"),
               "leadership": ("leader", "management"), "design": ("design", "ux"), "mobile": ("mobile", "ios"),
               "security": ("security",), "finance": ("finance",)}
GENERAL_TAGS = ("alumni", "silver-medallist", "speaker", "mentor", "relocation", "remote", "returner")
EVENTS = ("JavaZone", "NDC Oslo", "Booster", "Oslo Innovation Week", "Trondheim Developer Conference",
          "ONS i Stavanger", "Arendalsuka", "London Tech Week", "PyData London", "Web Summit")
DATA_SOURCES = (("met at event", 22), ("LinkedIn", 20), ("referral", 28), ("Greenhouse", 14),
                ("Teamtailor", 8), ("former applicant", 8))

# (title, family, status, city, description, keywords, expected opening in days from now or None)
ROLES = (
    ("Senior dataingeniør, energihandel", "data", RoleStatus.ANTICIPATED, "Stavanger",
     "Kraftkunden vil styrke dataplattformteamet når budsjettet er godkjent. Ikke utlyst: vi skal ha "
     "kandidater klare før behovet er kjent for andre.", ["Python", "Spark", "energi"], 75),
    ("Engineering Manager, Payments", "leadership", RoleStatus.CONFIDENTIAL, "Oslo",
     "Replaces a manager who leaves in the spring. The client asks us not to advertise; approach "
     "shortlisted people only.", ["payments", "people leadership", "Kotlin"], 40),
    ("Head of Product, markedsplass", "product", RoleStatus.CONFIDENTIAL, "Oslo",
     "Ny stilling i ledergruppen, konfidensiell til omorganiseringen er kunngjort.",
     ["marketplace", "B2C", "discovery"], 95),
    ("Staff Backend Engineer (Kotlin)", "backend", RoleStatus.ANTICIPATED, "Oslo",
     "Expected once the new product team is funded after the board meeting.", ["Kotlin", "event sourcing", "AWS"],
     120),
    ("Data Scientist, prognoser", "data", RoleStatus.ANTICIPATED, "Trondheim",
     "Første ansettelse i et nytt team for prognoser av strømforbruk.", ["forecasting", "Python", "time series"],
     160),
    ("Cloud Security Architect", "security", RoleStatus.ANTICIPATED, "Oslo",
     "Likely after the client's move to a new cloud platform; budget discussed, not yet approved.",
     ["security", "Azure", "zero trust"], 200),
    ("iOS-utvikler", "mobile", RoleStatus.ADVERTISED, "Oslo",
     "Utlyst på FINN og LinkedIn; vi kontakter også folk vi kjenner direkte.", ["Swift", "SwiftUI"], -20),
    ("Platform Engineer (Kubernetes)", "platform", RoleStatus.ADVERTISED, "Bergen",
     "Advertised; the hiring manager would rather meet people we already know.", ["Kubernetes", "Terraform", "GCP"],
     -35),
    ("Product Designer", "design", RoleStatus.ADVERTISED, "London",
     "Advertised on the client's careers page.", ["Figma", "design systems"], -12),
    ("CFO", "finance", RoleStatus.FILLED, "Oslo",
     "Fylt av en kandidat vi hadde fulgt i to år. Aldri utlyst.", ["finance", "scale-up"], -150),
    ("UX-designer", "design", RoleStatus.FILLED, "Trondheim",
     "Filled from the shortlist within three weeks.", ["UX", "research"], -230),
    ("Salgsleder Norden", "leadership", RoleStatus.DROPPED, "Stockholm",
     "Droppet etter kundens fusjon.", ["sales", "Nordics"], None),
)

NB_MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
             "november", "desember")

# Touchpoint summaries per kind: (Norwegian, English) templates.
SUMMARIES: dict[TouchpointKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    TouchpointKind.MEETING: (
        ("Lunsj i {city}: {first} leder nå arbeidet med {topic}. Åpen for å høre om muligheter om et halvår.",
         "Kaffe etter {event}. Felles bekjente fra {prev}; trives, men ønsker mer ansvar.",
         "Møte på kontoret deres: snakket om {topic} og hvordan teamet er organisert."),
        ("Lunch in {city}: {first} now leads the work on {topic}. Open to hearing about roles in six months.",
         "Coffee after {event}. Mutual acquaintances from {prev}; happy, but wants more ownership.",
         "Met at their office: talked about {topic} and how the team is set up."),
    ),
    TouchpointKind.INTERVIEW: (
        ("Intervju for {role}: sterk på {topic}, takket nei fordi tidspunktet ikke passet.",
         "Andre intervju: godt inntrykk, kunden valgte en kandidat med mer bransjeerfaring.",
         "Caseintervju: gode vurderinger rundt {topic}; vil gjerne vurderes for neste åpning."),
        ("Interview for {role}: strong on {topic}; declined because the timing was wrong.",
         "Second interview: good impression; the client chose someone with more domain experience.",
         "Case interview: thoughtful on {topic}; asked to be considered for the next opening."),
    ),
    TouchpointKind.CALL: (
        ("Kort telefon: trives i {employer}, men nysgjerrig på {topic}. Ring igjen etter sommeren.",
         "{first} ringte for å høre om markedet i {city}; søker ikke aktivt.",
         "Telefon om en mulig rolle innen {topic}; vil vente til bonusen er utbetalt i mars."),
        ("Quick call: settled at {employer}, but curious about {topic}. Call again after the summer.",
         "{first} called to ask about the market in {city}; not actively looking.",
         "Call about a possible role in {topic}; wants to wait until the bonus pays out in March."),
    ),
    TouchpointKind.MESSAGE: (
        ("Takket for praten og koblet på LinkedIn.", "Gratulerte med ny rolle i {employer}.",
         "Sendte artikkelen om {topic} som vi snakket om.", "Sendte opptaket av foredraget fra {event}."),
        ("Thanked {first} for the chat and connected on LinkedIn.", "Congratulated {first} on the new role at "
         "{employer}.", "Sent the article on {topic} we talked about.", "Sent the recording of the talk from {event}."),
    ),
    TouchpointKind.EVENT: (
        ("Møttes på {event}; {first} holdt lyntale om {topic}.",
         "Samme bord på frokostseminar i {city}; felles interesse for {interest}.",
         "Kom på vårt meetup om {topic} i {city}."),
        ("Met at {event}; {first} gave a lightning talk on {topic}.",
         "Shared a table at a breakfast seminar in {city}; both into {interest}.",
         "Came to our meetup on {topic} in {city}."),
    ),
    TouchpointKind.NOTE: (
        ("En tidligere kollega forteller at {first} vurderer å flytte til {city}.",
         "{employer} omorganiserer; teamet til {first} kan bli berørt.",
         "Har foreldrepermisjon til høsten; ta kontakt etterpå."),
        ("A former colleague says {first} is thinking of moving to {city}.",
         "{employer} is reorganising; {first}'s team may be affected.",
         "On parental leave from the autumn; get in touch after that."),
    ),
    TouchpointKind.POSITIVE_MENTION: (
        ("Anbefalte oss til en kollega uten at vi hadde spurt.",
         "Skrev et godt innlegg om intervjuprosessen vår på LinkedIn.",
         "Sa på {event} at vi er det eneste byrået som følger opp etter et avslag."),
        ("Recommended us to a colleague without being asked.",
         "Wrote a kind post about our interview process on LinkedIn.",
         "Said at {event} that we are the only agency that follows up after a rejection."),
    ),
}
KIND_WEIGHTS = {TouchpointKind.MESSAGE: 30, TouchpointKind.CALL: 18, TouchpointKind.MEETING: 16,
                TouchpointKind.NOTE: 12, TouchpointKind.EVENT: 10, TouchpointKind.POSITIVE_MENTION: 8,
                TouchpointKind.INTERVIEW: 6}
FIRST_KIND = {"met at event": TouchpointKind.EVENT, "LinkedIn": TouchpointKind.MESSAGE,
              "referral": TouchpointKind.CALL, "Greenhouse": TouchpointKind.INTERVIEW,
              "Teamtailor": TouchpointKind.INTERVIEW, "former applicant": TouchpointKind.INTERVIEW}

REASONS = {
    "cadence": ("Ikke snakket sammen siden {since}: hør hvordan det går med {topic} i {employer}.",
                "Not spoken since {since}: ask how the work on {topic} is going at {employer}."),
    "connect_and_thank": ("Takk for møtet og koble på LinkedIn; nevn {topic} som vi snakket om.",
                          "Thank {first} for the meeting and connect on LinkedIn; mention {topic}."),
    "check_in": ("Følg opp praten om {topic}: send noe relevant, ikke et stillingstilbud.",
                 "Follow up on our talk about {topic}: send something useful, not a job pitch."),
    "role": ("Forvarsle om {role_title} i {city}, som ventes å åpne i {month}: passer erfaringen med {topic}.",
             "Give {first} a heads-up on {role_title} in {city}, expected to open in {month}: fits the {topic} work."),
    "role_now": ("Fortell om {role_title} i {city}: passer erfaringen med {topic}.",
                 "Tell {first} about {role_title} in {city}: fits the {topic} work."),
    "manual": ("Inviter til frokostseminaret vårt om {topic}.",
               "Invite {first} to our breakfast seminar on {topic}."),
    "referral_update": ("Fortell {first} hvordan det går med {person}, som {first} tipset oss om.",
                        "Tell {first} where things stand with {person}, whom they referred to us."),
}
SNOOZE_NOTES = (("Utsatt: {first} er i foreldrepermisjon.", "Snoozed: {first} is on parental leave."),
                ("Utsatt til etter omorganiseringen i {employer}.",
                 "Snoozed until the reorganisation at {employer} is over."),
                ("Utsatt: ba oss vente til prosjektet deres er levert.",
                 "Snoozed: asked us to wait until their project has shipped."))
CANCEL_NOTES = (("Avlyst: har flyttet til utlandet.", "Cancelled: has moved abroad."),
                ("Avlyst: har nettopp begynt i ny jobb.", "Cancelled: has just started a new job."),
                ("Avlyst: ba om å ikke bli kontaktet på en stund.",
                 "Cancelled: asked not to be contacted for a while."))
SHORTLIST_NOTES = (("Sterk på {topic}; kan flytte til {city} til sommeren.",
                    "Strong on {topic}; could move to {city} in the summer."),
                   ("Søker ikke aktivt, men åpen for en prat.", "Not looking, but open to a conversation."),
                   ("Nummer to i fjorårets prosess hos samme kunde.",
                    "Runner-up in last year's process with the client."),
                   ("Møttes på {event}; ba om å høre om dette først.",
                    "Met at {event}; asked to hear about this first."),
                   ("Tre måneders oppsigelsestid.", "Three months' notice period."))
REFERRAL_NOTES = ((("Sa uoppfordret at {person} er den beste i faget de har jobbet med.",
                    "Said, unasked, that {person} is the best in the field they have worked with."),
                   ("Tipset oss om {person} etter en prat på {event}.",
                    "Told us about {person} after a chat at {event}.")),
                  (("Vi spurte etter kandidater til {what}; foreslo {person}.",
                    "We asked for suggestions for {what}; suggested {person}."),
                   ("Svarte på vår forespørsel om {what} med {person}.",
                    "Answered our request about {what} with {person}.")))
