"""Reading trade measures from a text, sentence by sentence (pure, no model, no download).

A sentence that names an instrument (``vocabulary.INSTRUMENTS``) states a measure for each of its
rates (percentages near the instrument, not a poll's or a share price's), or one without a rate;
its action, products, parties, legal basis, effective date and status are read from the same
sentence, so that every field is traceable to the evidence kept with it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise

from crawler.dates import MONTHS
from crawler.measures import vocabulary as v
from crawler.places import find_places
from crawler.text import fold_text


@dataclass(frozen=True)
class Measure:
    """One trade measure a text states, with the sentence that states it (``start``:``end`` of the text)."""

    instrument: str
    action: str
    rate: float | None
    rate_from: float | None
    products: tuple[str, ...]
    imposer: str | None
    targets: tuple[str, ...]
    legal_basis: str | None
    effective_date: str | None
    status: str
    evidence: str
    start: int
    end: int
    hs_codes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        found = asdict(self)
        return {**found, "products": list(self.products), "targets": list(self.targets),
                "hs_codes": list(self.hs_codes)}  # fmt: skip


_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?](?!\d)[^.!?\n]*)*?(?:[.!?]+(?=\s|$)|\n|$)")
_PERCENT = re.compile(r"(\d{1,3}(?:[.,]\d{1,2})?)\s?(?:%|por ?ciento\b|percent\b|per cent\b)", re.I)
_NOT_A_RATE = re.compile(
    r"\b(?:rose|fell|gained|lost|grew|dropped|jumped|declined|slid|surged|plunged|polls?|polled|polling|pollsters?|survey|gdp|pib"
    r"|inflation|inflacion|growth|crecimiento|cayo|cayeron|subio|subieron|share[sd]?|stake|margin\w*"
    r"|margen|approval|aprobacion|unemployment|desempleo|interest|interes|tasa de interes|majority"
    r"|mayoria|votes?|votos|of (?:its|their|the) (?:exports|imports)|por ciento de (?:las|sus))\b"
)
_FROM_TO = re.compile(
    r"(?:from|de|del)\s+(\d{1,3}(?:[.,]\d{1,2})?)\s?(?:%|percent|por ?ciento)?\s+(?:to|a|al|hasta)\s+"
    r"(\d{1,3}(?:[.,]\d{1,2})?)\s?(?:%|percent|por ?ciento)",
    re.I,
)
_NON_TRADE = re.compile(
    r"electric\w* tariff|feed-in|power tariff|water tariff|tarifas? electric|tarifa de luz|tuition"
    r"|colegiatura"
    r"|telecom|roaming|parking"
)
_HS = re.compile(r"\b\d{4}\.\d{2}(?:\.\d{2,4})?\b")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    compile_ = re.compile
    return {
        "instruments": [(name, compile_(p)) for name, p in v.INSTRUMENTS],
        "actions": [(name, compile_(p)) for name, p in v.ACTIONS],
        "statuses": [(name, compile_(p)) for name, p in v.STATUSES],
        "products": [(label, compile_(rf"\b(?:{p})\b")) for p, label in v.PRODUCTS.items()],
        "people": [(code, compile_(rf"\b(?:{p})\b")) for code, p in v.PEOPLE.items()],
        "demonyms": [(code, compile_(rf"\b(?:{p})\b")) for code, p in v.DEMONYMS.items()],
        "legal": [("", compile_(p)) for p in v.LEGAL],
        "everyone": [("*", compile_(v.EVERYONE))],
    }


def _first(patterns: list[tuple[str, re.Pattern[str]]], text: str) -> tuple[str, re.Match[str]] | None:
    for name, pattern in patterns:
        if found := pattern.search(text):
            return name, found
    return None


_MODIFIER = re.compile(r"([a-z][a-z-]+)\s+([a-z][a-z-]+)?\s*$")
_NOT_MODIFIERS = """imported imports import foreign all other some certain additional new existing such these
those its their the of on and or to from for with a an by in into as at any most more less many key major
domestic american chinese mexican canadian european japanese korean u.s us global world total"""
_NO_MODIFIER = frozenset(_NOT_MODIFIERS.split())


def _products(folded: str, lang: str | None) -> list[tuple[int, str]]:
    """(position, label) of the products a sentence names, as English labels; in English with the
    words that qualify them as printed ("flat-rolled steel", "phosphate fertilizer")."""
    found: list[tuple[int, str]] = []
    for label, pattern in _patterns()["products"]:
        match = pattern.search(folded)
        if not match:
            continue
        name = label
        if lang == "en" and (before := _MODIFIER.search(folded, 0, match.start())):
            words = [w for w in before.groups() if w]
            kept = []
            for word in reversed(words):
                if word in _NO_MODIFIER or len(word) < 4:
                    break
                kept.insert(0, word)
            if kept:
                name = " ".join([*kept, match.group()])
        found.append((match.start(), name))
    return sorted(found)


def _by_rate(
    rates: list[tuple[int, float | None, float | None]], products: list[tuple[int, str]]
) -> list[tuple[float | None, float | None, tuple[str, ...]]]:
    """Each rate with its products: those printed after it and before the next rate, when every
    rate has some ("10% on soybeans and 15% on corn"), else all the sentence's for each."""
    every = tuple(dict.fromkeys(name for _, name in products))
    if len(rates) < 2:
        return [(rate, before, every) for _, rate, before in rates] or [(None, None, every)]
    bounds = [pos for pos, _, _ in rates] + [10**9]
    groups = [tuple(dict.fromkeys(n for p, n in products if lo <= p < hi)) for lo, hi in pairwise(bounds)]
    if all(groups):
        return [(rate, before, group) for (_, rate, before), group in zip(rates, groups, strict=True)]
    return [(rate, before, every) for _, rate, before in rates]


def _number(printed: str) -> float:
    return float(printed.replace(",", "."))


def _rates(sentence: str, folded: str) -> list[tuple[int, float]]:
    """(position, rate) of the percentages of a sentence that can be a measure's rate."""
    found: list[tuple[int, float]] = []
    for match in _PERCENT.finditer(sentence):
        before = folded[max(match.start() - 40, 0) : match.start()]
        if _NOT_A_RATE.search(before):
            continue
        rate = _number(match.group(1))
        if 0 < rate <= 1000 and rate not in [r for _, r in found]:
            found.append((match.start(), rate))
    return found


def _parties(sentence: str, folded: str) -> list[tuple[int, str]]:
    """(position, code) of the governments a sentence names: countries, capitals, demonyms, officials."""
    same = folded if len(folded) == len(sentence) else None
    found = [(start, code) for start, _, code in find_places(sentence, same) if "-" not in code]
    for group in ("people", "demonyms"):
        for code, pattern in _patterns()[group]:
            found.extend((m.start(), code) for m in pattern.finditer(folded))
    return sorted(found)


_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_CUE = (
    r"(?:effective|takes? effect|took effect|will take effect|starting|beginning|as of|from|come into force"
    r"|entrar[aá]n? en vigor|entr[oó] en vigor|entran en vigor|a partir del?|desde el|vigentes? desde|el)"
)
_DATE = re.compile(
    rf"{_CUE}\s+(?:on\s+)?(?:(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y1>\d{{4}}))?"
    rf"|(?P<d2>\d{{1,2}})(?:o\.?)?\s+(?:de\s+)?(?P<m2>{_MONTH})(?:\s+(?:de\s+)?(?P<y2>\d{{4}}))?)\b"
)


def _effective(folded: str, published: date | None) -> str | None:
    """The effective date a sentence gives after a cue (effective, entrará en vigor el...), when
    its day and month are printed; the year, when not, is the publication's (the next when that
    day has passed by more than a month)."""
    for match in _DATE.finditer(folded):
        month = MONTHS[match.group("m1") or match.group("m2")]
        day = int(match.group("d1") or match.group("d2"))
        year_text = match.group("y1") or match.group("y2")
        if year_text:
            year = int(year_text)
        elif published is not None:
            year = published.year
            try:
                if date(year, month, day) < published - timedelta(days=31):
                    year += 1
            except ValueError:
                continue
        else:
            continue
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            continue
    return None


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]


def _default_imposer(title: str, text: str) -> str | None:
    """The government a text is about when a sentence names none: the first official or body named."""
    head = fold_text(f"{title}\n{text[:600]}")
    found = [(m.start(), code) for code, p in _patterns()["people"] for m in p.finditer(head)]
    return min(found)[1] if found else None


def _parse_date(published: str | None) -> date | None:
    try:
        return date.fromisoformat(published[:10]) if published else None
    except ValueError:
        return None


def read_measures(
    text: str | None, title: str | None = None, lang: str | None = None, published: str | None = None
) -> list[Measure]:
    """The trade measures ``text`` states, in the order of their sentences (``published``: ISO date
    or timestamp, for dates printed without their year)."""
    text, title = text or "", title or ""
    patterns, day = _patterns(), _parse_date(published)
    fallback = _default_imposer(title, text)
    found: list[Measure] = []
    seen: set[tuple] = set()
    for start, end in _sentences(text):
        sentence = text[start:end]
        folded = fold_text(sentence)
        kind = _first(patterns["instruments"], folded)
        if kind is None or _NON_TRADE.search(folded):
            continue
        instrument, where = kind
        found_action = _first(patterns["actions"], folded)
        action = found_action[0] if found_action else "impose"
        status = (_first(patterns["statuses"], folded) or ("announced", None))[0]
        products_at = _products(folded, lang)
        parties = _parties(sentence, folded)
        acting = [code for pos, code in parties if pos < where.start()]
        imposer = acting[0] if acting else (fallback or (parties[0][1] if parties else None))
        # Targets: the other governments after the instrument ("on Chinese goods"), and before it
        # when no government acts before it ("Chinese steel faces a duty").
        after = where.start()
        targets = tuple(dict.fromkeys(
            code for pos, code in parties if code != imposer and (pos > after or not acting)
        ))  # fmt: skip
        if _first(patterns["everyone"], folded):
            targets = ("*",)
        legal = _first(patterns["legal"], sentence)
        basis = legal[1].group() if legal else None
        effective = _effective(folded, day)
        hs = tuple(dict.fromkeys(_HS.findall(sentence)))
        rates: list[tuple[int, float | None, float | None]] = []
        if ranged := _FROM_TO.search(sentence):
            low, high = _number(ranged.group(1)), _number(ranged.group(2))
            rates.append((ranged.start(), high, low))
            if action == "impose":
                action = "raise" if high > low else "lower"
        rates += [
            (p, r, None) for p, r in _rates(sentence, folded) if all(r not in (a, b) for _, a, b in rates)
        ]
        for rate, rate_from, products in _by_rate(rates, products_at):
            key = (instrument, rate, products, imposer)
            if key in seen:
                continue
            seen.add(key)
            found.append(
                Measure(
                    instrument,
                    action,
                    rate,
                    rate_from,
                    products,
                    imposer,
                    targets,
                    basis,
                    effective,
                    status,
                    sentence.strip(),
                    start,
                    end,
                    hs,
                )  # fmt: skip
            )
    return _without_echoes(found)


def _without_echoes(found: list[Measure]) -> list[Measure]:
    """The measures less those that only echo another: no rate and no product, of an instrument
    the text states otherwise ("the tariffs" of a text about a 25% tariff on steel)."""
    told = {m.instrument for m in found if m.rate is not None or m.products}
    return [m for m in found if m.rate is not None or m.products or m.instrument not in told]
