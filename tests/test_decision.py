"""The story decision, pure: each kind of evidence, and each trap, without a database."""

from __future__ import annotations

from crawler.stories import decision as judge
from crawler.stories.decision import Candidate, Found
from crawler.stories.signature import signature
from crawler.stories.tuning import Tuning

STORY = [
    "Mexican President Claudia Sheinbaum agreed with Donald Trump on a 90-day truce on the 25% tariffs"
    " on Mexican steel, after a 40-minute call on Monday.",
    "Economy Secretary Marcelo Ebrard will travel to Washington on Thursday to meet Jamieson Greer about"
    " quotas for Ternium and Canacero members.",
    "Steel exports reached 3,200 million dollars in 2025, and 14,000 jobs depend on the agreement.",
]
OTHER = [
    "Brazilian farmers in Goiânia expect soybean prices to fall after Beijing cut its purchases by 12%.",
    "The Ministry of Agriculture said 7,500 growers would receive emergency credit from Banco do Brasil.",
    "Exporters in Santos reported that 31 cargo ships were waiting for berths on Friday.",
]


def article(body: list[str], title: str, source: str = "ledger", lang: str = "en", hash_: str = "a") -> dict:
    return {"title": title, "text": "\n".join(body), "source": source, "lang": lang, "content_hash": hash_}


def candidate(body: list[str], title: str, *, source: str = "wire", lang: str = "en", hash_: str = "b",
              article_id: int = 1, with_text: bool = True) -> Candidate:  # fmt: skip
    sig = signature(title, None, "\n".join(body) if with_text else None)
    mine = judge.features(sig, set())
    return Candidate(
        article_id=article_id, story_id=10 + article_id, source=source, outlet=sig.outlet, lang=lang,
        facts=mine.facts, samples=mine.samples, contexts=mine.printed, title_key=sig.title_key,
        has_text=with_text, content_hash=hash_,
    )  # fmt: skip


def weigh(row: dict, sig, others: list[Candidate], total: int = 1000, counts: dict | None = None):
    """The evidence found and the rewrites scored, as Grouper.decide gathers them."""
    mine = judge.features(sig, set())
    counts = counts if counts is not None else {f: 1 for o in others for f in o.facts}
    common = judge.common(mine.facts, counts, total)
    found = [f for o in others if (f := judge.copy_evidence(row, sig, mine.samples, o)) is not None]
    comparable = [
        (o, judge.comparable_facts(mine, o)) for o in others if not any(f.other is o for f in found)
    ]
    worth = judge.shortlist(row.get("lang"), comparable, common)
    return found, judge.score_rewrites(worth, counts, total)


def test_an_exact_copy_is_the_same_text():
    row, sig = (
        article(STORY, "Truce on steel", hash_="same"),
        signature("Truce on steel", None, "\n".join(STORY)),
    )
    (found,) = weigh(row, sig, [candidate(STORY, "Other title", hash_="same")])[0]
    assert (found.rank, found.evidence, found.detail) == (4, "exact copy", "the text of article 1")


def test_a_wire_copy_shares_most_sampled_shingles():
    trimmed = STORY[:2]
    row = article(trimmed, "Mexico and US agree steel truce")
    sig = signature(row["title"], None, row["text"])
    (found,) = weigh(row, sig, [candidate(STORY, "Truce on steel")])[0]
    assert found.evidence == "wire copy" and found.score >= Tuning().wire


REWRITE = [
    "Claudia Sheinbaum and Donald Trump settled on a truce of 90 days over the 25% steel levies; the"
    " call lasted 40 minutes.",
    "Marcelo Ebrard heads to Washington to discuss quotas with Jamieson Greer; Ternium and Canacero"
    " await the outcome.",
    "At stake: 3,200 million dollars of exports in 2025 and 14,000 jobs.",
]


def test_a_rewrite_shares_rare_facts():
    row = article(REWRITE, "Sheinbaum, Trump reach steel truce")
    sig = signature(row["title"], None, row["text"])
    found, rewrites = weigh(row, sig, [candidate(STORY, "Truce on steel")])
    assert not found
    best = judge.choose(found, rewrites)
    assert best is not None and best.evidence == "shared facts" and best.score >= Tuning().facts
    assert "3,200,000,000" in best.detail and "ebrard" in best.detail  # the amount, kept with its magnitude


def test_items_without_text_join_on_the_same_title_from_another_outlet():
    title = "Sheinbaum and Trump agree a truce on steel tariffs - Ledger"
    row = {**article([], title), "text": None}
    sig = signature(title, None, None)
    other = candidate([], "Sheinbaum and Trump agree a truce on steel tariffs - Wire", with_text=False)
    (found,) = weigh(row, sig, [other])[0]
    assert found.evidence == "same title"


def test_trap_the_same_title_from_the_same_outlet_is_no_copy():
    title = "Sheinbaum and Trump agree a truce on steel tariffs"
    row = {**article([], title, source="ledger"), "text": None}
    other = candidate([], title, source="ledger", with_text=False)
    assert weigh(row, signature(title, None, None), [other]) == ([], [])


def test_trap_another_event_shares_no_rare_facts():
    row = article(OTHER, "Soy prices fall")
    sig = signature(row["title"], None, row["text"])
    found, rewrites = weigh(row, sig, [candidate(STORY, "Truce on steel")])
    assert judge.choose(found, rewrites) is None
    assert judge.no_copy_reason(rewrites) == "no copy within the window"


def test_trap_common_facts_say_nothing():
    """The rewrite's facts, once each is in more than 3% of the store (and 20 articles), join nothing."""
    row = article(REWRITE, "Sheinbaum, Trump reach steel truce")
    sig = signature(row["title"], None, row["text"])
    other = candidate(STORY, "Truce on steel")
    everywhere = {f: 500 for f in other.facts}
    assert weigh(row, sig, [other], total=1000, counts=everywhere) == ([], [])


def test_trap_across_languages_words_do_not_count():
    """Between languages only names, figures and rules are compared: a shared word is no evidence."""
    facts = frozenset({"w:truce", "w:quotas", "w:exports", "w:agreement", "n:sheinbaum", "n:ebrard"})
    other = Candidate(1, 11, "wire", None, "es", facts, frozenset(), frozenset(), None, True, "b")
    (worth,) = judge.shortlist("en", [(other, facts)], frozenset()) or [None]
    assert worth is None  # two names and no figure: fewer than four neutral facts
    same_language = judge.shortlist("es", [(other, facts)], frozenset())
    assert len(same_language) == 1  # within one language the words count


def test_the_strongest_evidence_wins_then_the_score():
    a, b = candidate(STORY, "A", article_id=1), candidate(STORY, "B", article_id=2)
    wire = Found(3, 0.6, a, "wire copy", "")
    facts = Found(2, 0.9, b, "shared facts", "")
    weak = Found(2, 0.1, b, "shared facts", "")
    assert judge.choose([wire], [facts]) is wire
    assert judge.choose([], [weak]) is None  # a rewrite counts from tuning.facts
    assert judge.choose([], [weak], Tuning(facts=0.05)) is weak


def facts_of(text: str, title: str = "") -> frozenset[str]:
    return judge.features(signature(title, None, text), set()).facts


def test_a_figure_keeps_its_kind():
    """17 % is not 17 April, nor 17 million dollars, nor 17 people: each is a fact of its own kind."""
    percent = facts_of("Washington set a duty of 17% on tomatoes.")
    day = facts_of("Their last call was on 17 April, about water.")
    amount = facts_of("Growers lost 17 million dollars this season.")
    count = facts_of("Police said 17 people were hurt.")
    assert "p:17" in percent and "c:04-17" in day and "m:17000000" in amount and "d:17" in count
    kinds = [{f for f in facts if f.endswith("17")} for facts in (percent, day, amount, count)]
    assert all(not a & b for i, a in enumerate(kinds) for b in kinds[i + 1 :])


def test_figures_and_days_read_alike_in_both_languages():
    spanish = facts_of(
        "Las exportaciones sumaron 172.000 millones de dólares, con un alza de 2,5 por ciento; el cupo"
        " entra en vigor el 1 de mayo y se negoció desde el 17 de abril en Washington. Son 14.000 empleos."
    )
    english = facts_of(
        "Exports reached 172 billion dollars, up 2.5 percent; the quota takes effect on May 1 and was"
        " negotiated since April 17 in Washington. That is 14,000 jobs."
    )
    shared = {"m:172000000000", "p:2.5", "c:05-01", "c:04-17", "d:14000", "g:USA"}
    assert shared <= spanish and shared <= english


def test_places_and_agreements_are_one_fact_in_either_language():
    spanish = facts_of("Estados Unidos, Canadá y México revisan el T-MEC en Ciudad de México y Ottawa.")
    english = facts_of("The United States, Canada and Mexico review the USMCA in Mexico City and Ottawa.")
    assert {"g:USA", "g:CAN", "g:MEX", "r:usmca"} <= spanish & english
    assert not any(f.startswith("n:") for f in spanish | english)  # no place is a name


def pair(mine: frozenset[str], theirs: frozenset[str], source: str = "wire") -> list:
    other = Candidate(1, 11, source, None, "en", theirs, frozenset(), frozenset(), None, True, "b")
    return [(other, mine)]


def test_the_desks_subject_alone_joins_nothing():
    """Places, agreements, years and the rules' concepts describe every trade story, not an event."""
    subject = frozenset(
        {"g:CAN", "g:CA-ON", "g:CA-QC", "g:USA", "r:usmca", "r:tariffs", "y:2025", "w:farmers"}
    )
    assert judge.shortlist("en", pair(subject, subject), frozenset()) == []
    with_event = subject | {"n:lavigne"}
    (worth,) = judge.shortlist("en", pair(with_event, with_event), frozenset())
    assert worth.strong == ["lavigne"]  # the reason names what belongs to one event


def test_what_is_no_evidence_of_one_event():
    rarity = judge.Rarity({}, 0, today=judge.days_around("2026-12-04T10:00:00Z"))
    assert rarity.specific("n:sheinbaum") and rarity.specific("p:17") and rarity.specific("c:04-17")
    assert not rarity.specific("n:garden")  # a common word, capitalised (the Rose Garden)
    assert not rarity.specific("n:reuters")  # the press: in stories of every kind
    assert not rarity.specific("d:30")  # a count of anything
    assert not rarity.specific("c:12-04") and not rarity.specific("c:12-03")  # a dateline's day
    assert not rarity.specific("g:MEX") and not rarity.specific("r:usmca")


def test_rarity_does_not_wait_for_the_store_to_grow():
    """In an empty store a word common in the news is already common; a name of this week is rare."""
    empty = judge.Rarity({}, 0)
    assert empty.common("w:president") and not empty.common("n:sheinbaum")
    assert empty.idf("n:sheinbaum") > empty.idf("n:ontario") > empty.idf("w:president")
    grown = judge.Rarity({"n:sheinbaum": 400}, 2000)  # the store's own counts take over
    assert grown.common("n:sheinbaum")


def test_an_outlets_second_article_needs_more_than_shared_facts():
    facts = frozenset({"n:gutierrez", "n:rosendo", "g:MEX", "g:USA", "r:usmca", "w:panel", "p:38"})
    hearing = frozenset(
        {"n:gutierrez", "n:rosendo", "g:MEX", "g:USA", "r:usmca", "w:panel", "c:04-02", "y:2023"}
    )
    other = pair(hearing, facts, source="ledger")
    worth = judge.shortlist("en", other, frozenset())
    (elsewhere,) = judge.score_rewrites(worth, {}, 0, source="wire")
    (own,) = judge.score_rewrites(worth, {}, 0, source="ledger")
    assert elsewhere.score == own.score and judge.choose([], [elsewhere]) is elsewhere
    assert judge.choose([], [own]) is None and "of the same source" in own.detail
