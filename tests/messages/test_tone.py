"""The honest-tone check: what it flags in realistic recruiter lines, and, as much, what it leaves alone.

The expected flags below are worked out by hand, one sentence at a time, so a change to a word list or
the matching shows up as a named sentence that reads differently.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from plugin.messages import tone
from plugin.messages.tone import KINDS, LANGUAGES, Flag, ToneReport, check

Expected = list[tuple[str, str]]

NB: list[tuple[str, Expected]] = [
    # Nothing to flag.
    ("Lønnen er 750 000 kroner.", []),
    ("Hei Kari! Takk for praten i går.", []),
    ("Vi bestiller mat til møtet.", []),
    ("Stillingen er ikke utlyst ennå.", []),
    ("Takk for sist.\n\nMed beste hilsen Ola", []),
    ("Beste hilsen, Ane i Brobygger", []),
    ("Når passer det best for deg å ta en prat?", []),
    ("Hva er det beste tidspunktet å ringe deg på?", []),
    ("Vi tilbyr god lønn, 750 000 kr, og seks ukers ferie.", []),
    ("Jeg har bestemt meg for å ta kontakt etter konferansen.", []),
    ("Det er en ledende stilling med personalansvar for tolv ansatte.", []),
    ("Den største utfordringen er at fakturasystemet er gammelt.", []),
    ("Størstedelen av teamet sitter i Bergen, og hun har bestått sertifiseringen.", []),
    ("Jeg ønsker deg alt det beste videre.", []),
    # Something to flag.
    ("Vi tilbyr veldig god lønn.", [("intensifier", "veldig"), ("unbacked_claim", "god lønn")]),
    ("Dette er en svært attraktiv stilling.", [("intensifier", "svært")]),
    ("Vi er Norges ledende konsulentselskap innen skytjenester.", [("superlative", "ledende")]),
    ("Dette er en unik mulighet for deg.", [("cliche", "unik mulighet")]),
    ("Vi har et dynamisk miljø og korte beslutningsveier.",
     [("cliche", "dynamisk miljø"), ("cliche", "korte beslutningsveier")]),
    ("Hei Kari! Vi har en spennende mulighet til deg!", [("cliche", "spennende mulighet"), ("exclamations", "!")]),
    ("Søk nå!!!", [("exclamations", "!!!")]),
    ("Vi tilbyr konkurransedyktig lønn og gode frynsegoder.",
     [("unbacked_claim", "gode frynsegoder"), ("unbacked_claim", "konkurransedyktig lønn")]),
    ("Teamet er kjempebra, og ledelsen er supergod.", [("intensifier", "kjempebra"), ("intensifier", "supergod")]),
    ("Vi er markedsledende og har utviklere i verdensklasse.",
     [("superlative", "i verdensklasse"), ("superlative", "markedsledende")]),
    ("Dette kan bli drømmejobben din.", [("cliche", "drømmejobben")]),
    ("Vi ser etter en rockestjerne som er ninja i Python.", [("cliche", "ninja"), ("cliche", "rockestjerne")]),
    ("Vi har et fantastisk team og en utrolig god kultur.",
     [("intensifier", "utrolig"), ("superlative", "fantastisk")]),
    ("Du får gode betingelser. Ring meg gjerne.", [("unbacked_claim", "gode betingelser")]),
    ("Vi har den beste kantina i byen og de mest spennende kundene.",
     [("superlative", "beste"), ("superlative", "mest spennende")]),
    ("Hos oss er det work hard, play hard og en hektisk hverdag.",
     [("cliche", "hektisk hverdag"), ("cliche", "work hard, play hard")]),
    ("Vi tilbyr høy lønn og ekstremt gode muligheter for utvikling.",
     [("intensifier", "ekstremt"), ("unbacked_claim", "høy lønn")]),
    ("Stillingen er unik. Ta kontakt!", [("superlative", "unik")]),
    ("Vi er størst i Norden og best på rekruttering.", [("superlative", "best"), ("superlative", "størst")]),
    ("Dette er en enestående sjanse! Søk i dag! Ikke vent!",
     [("exclamations", "!"), ("exclamations", "!"), ("superlative", "enestående")]),
    ("Vi har super-engasjerte kolleger og en meget god stemning.",
     [("intensifier", "meget"), ("intensifier", "super-engasjerte")]),
    ("Attraktive betingelser og fleksibel arbeidstid venter på deg.", [("unbacked_claim", "attraktive betingelser")]),
    ("Vi tilbyr en spennende mulighet i et toppmoderne bygg.",
     [("cliche", "spennende mulighet"), ("superlative", "toppmoderne")]),
    ("Veldig godt betalt: 900 000 kroner i året.", [("intensifier", "veldig")]),
    ("Vi ser etter deg som brenner for universell utforming.", [("cliche", "brenner for")]),
    ("Hei Ane!! Har du tid til en prat om en ny rolle?", [("exclamations", "!!")]),
]

EN: list[tuple[str, Expected]] = [
    # Nothing to flag.
    ("The salary is £60,000 a year.", []),
    ("Hi Sam! Thanks for the chat yesterday.", []),
    ("Thanks again.\nBest regards, Ola", []),
    ("Let me know what you think.\n\nBest,\nSarah", []),
    ("What's the best time to call you this week?", []),
    ("You'd be leading a team of five engineers in Leeds.", []),
    ("We offer a competitive salary (£60,000) and 25 days of holiday.", []),
    ("The role has not been advertised yet.", []),
    ("The biggest challenge is an old billing system we are replacing.", []),
    ("We are 40 developers in Manchester.", []),
    ("Which day suits you best for a call?", []),
    ("Our supermarket client in Bristol needs a shift supervisor.", []),
    ("All the best with the launch next week.", []),
    ("The pay band is $120k to $140k, depending on experience.", []),
    ("Great benefits, including a £5,000 training budget.", []),
    # Something to flag.
    ("We offer a very good salary.", [("intensifier", "very"), ("unbacked_claim", "good salary")]),
    ("We're a world-class team building market-leading software.",
     [("superlative", "market-leading"), ("superlative", "world-class")]),
    ("This is a unique opportunity to join us.", [("cliche", "unique opportunity")]),
    ("We're looking for a rockstar developer who is a ninja with Python.",
     [("cliche", "ninja"), ("cliche", "rockstar")]),
    ("Apply now!!!", [("exclamations", "!!!")]),
    ("Hi Sam! We have an exciting opportunity for you!", [("cliche", "exciting opportunity"), ("exclamations", "!")]),
    ("Competitive salary and great benefits.",
     [("unbacked_claim", "competitive salary"), ("unbacked_claim", "great benefits")]),
    ("Our culture is amazing and the team is awesome.", [("intensifier", "amazing"), ("intensifier", "awesome")]),
    ("This could be your dream job.", [("cliche", "dream job")]),
    ("You'll thrive in a fast-paced environment.", [("cliche", "fast-paced environment")]),
    ("We are truly the best in the industry.", [("intensifier", "truly"), ("superlative", "best")]),
    ("We are the leading provider of payroll software in Europe.", [("superlative", "leading")]),
    ("Work hard, play hard is our motto.", [("cliche", "work hard, play hard")]),
    ("We offer an attractive package and generous pay.",
     [("unbacked_claim", "attractive package"), ("unbacked_claim", "generous pay")]),
    ("Our platform is incredibly fast and really easy to use.",
     [("intensifier", "incredibly"), ("intensifier", "really")]),
    ("We need a self-starter who can hit the ground running.",
     [("cliche", "hit the ground running"), ("cliche", "self-starter")]),
    ("It is the most exciting start-up in London.", [("superlative", "most exciting")]),
    ("Our best-in-class tools make life super easy.", [("intensifier", "super"), ("superlative", "best-in-class")]),
    ("This is an insanely good offer! Call me! Today!",
     [("exclamations", "!"), ("exclamations", "!"), ("intensifier", "insanely")]),
    ("We offer a competitive salary. The office is in Leeds.", [("unbacked_claim", "competitive salary")]),
    ("Our cutting-edge lab is second to none.", [("superlative", "cutting-edge"), ("superlative", "second to none")]),
    ("We're hugely proud of our unique culture.", [("intensifier", "hugely"), ("superlative", "unique")]),
    ("The synergy between our teams is unbelievable.", [("cliche", "synergy"), ("intensifier", "unbelievable")]),
    ("We're like a family here, and passionate about clean code.",
     [("cliche", "like a family"), ("cliche", "passionate about")]),
    ("We are the greatest agency in Leeds, extremely well connected.",
     [("intensifier", "extremely"), ("superlative", "greatest")]),
]

SETS = [("nb", NB), ("en", EN)]
CASES = [(language, text, expected) for language, cases in SETS for text, expected in cases]


def _found(report: ToneReport) -> Expected:
    return sorted((flag.kind, flag.text.lower()) for flag in report.flags)


@pytest.mark.parametrize(("language", "cases"), SETS)
def test_the_hand_made_sets_hold_forty_sentences_and_at_least_ten_clean_ones(
        language: str, cases: list[tuple[str, Expected]]) -> None:
    assert len(cases) == 40
    assert len({text for text, _ in cases}) == 40
    assert sum(1 for _, expected in cases if not expected) >= 10


@pytest.mark.parametrize(("language", "text", "expected"), CASES, ids=[f"{c[0]}:{c[1][:40]}" for c in CASES])
def test_a_sentence_gets_the_flags_worked_out_by_hand(language: str, text: str, expected: Expected) -> None:
    report = check(text, language)
    assert _found(report) == sorted(expected)
    assert report.language == language
    assert (report.score == 100) == (not expected)
    for flag in report.flags:
        assert text[flag.start:flag.end] == flag.text
        assert flag.why and flag.suggestion
    assert [flag.start for flag in report.flags] == sorted(flag.start for flag in report.flags)


def test_offsets_point_at_the_matched_text() -> None:
    text = "Hei Kari,\nvi tilbyr  veldig god lønn."
    report = check(text, "nb")
    assert [(f.kind, f.start, f.end, f.text) for f in report.flags] == [
        ("intensifier", 21, 27, "veldig"), ("unbacked_claim", 28, 36, "god lønn")]


def test_offsets_refer_to_the_original_text_when_letters_are_decomposed() -> None:
    text = "Vi ser etter stå-pa\u030a-vilje og en veldig god kultur."  # «på» as «a» plus a combining ring
    report = check(text, "nb")
    assert [(f.kind, f.text) for f in report.flags] == [("cliche", "stå-pa\u030a-vilje"), ("intensifier", "veldig")]
    for flag in report.flags:
        assert text[flag.start:flag.end] == flag.text


def test_whitespace_between_the_words_of_a_phrase_may_be_any_run() -> None:
    assert _found(check("Vi tilbyr god    lønn.", "nb")) == [("unbacked_claim", "god    lønn")]
    assert _found(check("Vi tilbyr god\nlønn.", "nb")) == [("unbacked_claim", "god\nlønn")]
    assert _found(check("A fast  paced\tenvironment.", "en")) == [("cliche", "fast  paced\tenvironment")]


@pytest.mark.parametrize("text", [
    "Vi har fått en bestilling fra kunden.", "Du bestemmer selv.", "Hun har bestått eksamen.",
    "Bestå prøven først.", "Størstedelen av laget er på plass.", "Et unikum av en kollega.",
    "Vi søker en superbruker av regnskapssystemet.", "Kundene kjempet om plassene.",
])
def test_norwegian_letters_are_part_of_words(text: str) -> None:
    assert check(text, "nb").flags == ()


def test_a_superlative_inside_a_cliche_is_flagged_once_as_the_cliche() -> None:
    report = check("En unik mulighet og en unik sjanse.", "nb")
    assert [(f.kind, f.text) for f in report.flags] == [("cliche", "unik mulighet"), ("cliche", "unik sjanse")]


def test_a_figure_in_the_same_sentence_backs_a_claim_and_one_elsewhere_does_not() -> None:
    assert check("God lønn, ca. 750 000 kr.", "nb").flags == ()
    assert check("Competitive salary (£60,000).", "en").flags == ()
    assert _found(check("Vi har god lønn. Kontoret har 40 plasser.", "nb")) == [("unbacked_claim", "god lønn")]


def test_common_sign_offs_are_exempt_but_the_word_is_not() -> None:
    for text in ("Med beste hilsen\nOla", "Beste hilsen Kari", "Best regards,\nSam", "Best wishes, Sam", "Best,\nSam"):
        language = "en" if "regards" in text or "wishes" in text or text.startswith("Best,") else "nb"
        assert check(text, language).flags == (), text
    assert _found(check("We are the best. Best regards, Sam", "en")) == [("superlative", "best")]


def test_exclamation_marks_in_series() -> None:
    assert check("Hei Kari!", "nb").flags == ()
    assert _found(check("Hei Kari! Ring meg!", "nb")) == [("exclamations", "!")]
    assert _found(check("Wow!! Call me!", "en")) == [("exclamations", "!"), ("exclamations", "!!")]
    assert check("Se https://example.com/jobb!!?", "nb").flags == ()


def test_a_kjempe_or_super_word_gets_a_suggestion_without_the_prefix() -> None:
    (flag,) = check("Teamet er kjempebra.", "nb").flags
    assert "«bra»" in flag.suggestion


def test_why_and_suggestion_come_in_the_messages_language() -> None:
    nb = check("veldig", "nb").flags[0]
    en = check("very", "en").flags[0]
    assert nb.suggestion == "Stryk ordet, eller si hva som gjør det slik."
    assert en.suggestion == "Delete the word, or say what makes it so."
    claim = check("Veldig god lønn.", "nb").flags[1]
    assert claim.suggestion == "Skriv tallet: «Lønnen er 750 000 kroner.»"


def test_empty_text_scores_100_with_no_flags() -> None:
    for text in ("", "   \n"):
        report = check(text, "nb")
        assert report.score == 100 and report.flags == ()


def test_the_score_drops_with_more_flags_and_never_below_zero() -> None:
    plain = check("Vi har en ledig stilling som utvikler i Bergen.", "nb").score
    one = check("Vi har en veldig fin stilling som utvikler i Bergen.", "nb").score
    two = check("Vi har en veldig fin stilling som utvikler i Bergen!!", "nb").score
    assert plain == 100 and 100 > one > two
    crowded = " ".join(["Veldig god lønn, unik mulighet, verdens beste drømmejobb!!!"] * 60)
    assert check(crowded, "nb").score == 0
    assert check("!!! " * 500, "en").score == 0


def test_one_flag_costs_a_long_message_less_than_a_short_one() -> None:
    short = "Vi har en svært fin stilling til deg."
    filler = " Teamet lager betalingsløsninger for kommuner, og du vil jobbe tett med to designere." * 20
    long_report = check(short + filler, "nb")
    assert len(long_report.flags) == 1
    assert 100 > long_report.score > check(short, "nb").score


def test_tenant_additions_add_words_to_a_kind() -> None:
    text = "Dette er en gullkantet mulighet."
    assert check(text, "nb").flags == ()
    report = check(text, "nb", {"cliche": ["Gullkantet   mulighet"]})
    assert [(f.kind, f.text) for f in report.flags] == [("cliche", "gullkantet mulighet")]
    assert _found(check("A stellar team.", "en", {"superlative": "stellar"})) == [("superlative", "stellar")]
    assert _found(check("Vi tilbyr veldig god lønn.", "nb", {"intensifier": ["veldig"]})) == [
        ("intensifier", "veldig"), ("unbacked_claim", "god lønn")]


@pytest.mark.parametrize("additions", [
    {"buzzword": ["synergi"]}, {"exclamations": ["!"]}, {"cliche": [""]}, {"cliche": ["!!"]}, {"cliche": [3]},
])
def test_bad_additions_raise_value_error(additions: dict[str, list[object]]) -> None:
    with pytest.raises(ValueError):
        check("Hei.", "nb", additions)  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["de", "", "NB", "nb-NO"])
def test_an_unknown_language_raises_value_error(language: str) -> None:
    with pytest.raises(ValueError):
        check("Hei.", language)
    with pytest.raises(ValueError):
        tone.wordlist(language)


def test_the_report_is_json_ready() -> None:
    report = check("Hei Kari!! Veldig god lønn.", "nb")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["score"] == report.score and data["language"] == "nb"
    assert data["flags"][0] == {"kind": "exclamations", "start": 8, "end": 10, "text": "!!",
                                "why": report.flags[0].why, "suggestion": report.flags[0].suggestion}
    assert [set(flag) for flag in data["flags"]] == [{"kind", "start", "end", "text", "why", "suggestion"}] * 3
    assert isinstance(report.flags[0], Flag)


def test_kinds_and_languages_are_exported() -> None:
    assert KINDS == ("intensifier", "superlative", "exclamations", "unbacked_claim", "cliche")
    assert LANGUAGES == ("nb", "en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_word_lists_load_with_a_why_a_suggestion_and_a_weight_for_every_kind(language: str) -> None:
    raw = resources.files("plugin.messages").joinpath("wordlists", f"{language}.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    assert data["language"] == language
    assert set(data["kinds"]) == set(KINDS)
    for kind in KINDS:
        entry = data["kinds"][kind]
        assert entry["why"].strip() and entry["suggestion"].strip(), kind
        assert entry["weight"] > 0, kind
    assert tone.wordlist(language) == data


@pytest.mark.parametrize("language", LANGUAGES)
def test_our_own_explanations_pass_the_check(language: str) -> None:
    """language-nb.md: no intensifiers in our own texts. The texts should not oversell either."""
    data = tone.wordlist(language)
    texts = [text for entry in data["kinds"].values() for text in (entry["why"], entry["suggestion"])]
    prefixes = data["kinds"]["intensifier"].get("prefixes")
    if prefixes:
        texts.append(prefixes["suggestion"].format(rest="bra"))
    for text in texts:
        assert check(text, language).flags == (), text


def test_the_returned_word_list_is_a_copy() -> None:
    tone.wordlist("nb")["kinds"]["intensifier"]["phrases"].clear()
    assert check("veldig", "nb").flags
