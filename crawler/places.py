"""Places: countries, their regions and capitals, in English and Spanish, found in a text.

From ``pycountry`` (ISO 3166-1 names, common and official, with their Spanish translations, and
the ISO 3166-2 subdivisions) plus a small bundled table of what it lacks: capitals used for their
governments ("Washington", "Ottawa", "Pekín") and the names the news gives the EU. A place is
found where it is printed capitalised, whole words of it, and given as its ISO code (``USA``,
``CA-ON``, ``EUN`` for the EU), so "Estados Unidos" and "United States" are one place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import lru_cache

import ahocorasick

from crawler.text import Folded, fold, fold_text

_REGIONS = ("US", "CA", "MX")  # whose ISO 3166-2 subdivisions are places (all countries': Centre, Pool, Meta)

# What pycountry lacks, by ISO code: capitals (for their governments), short forms, the EU, and the
# cities of the USMCA's trade news (ports, border crossings, plants), given as their country.
_BUNDLED = {
    "USA": "Washington; Estados Unidos; EE.UU.; EEUU; EE UU; U.S.; US; Norteamérica; New York; Nueva York;"
    " Los Angeles; Chicago; Houston; Detroit; Laredo; El Paso; San Diego; Miami; Seattle; San Francisco;"
    " Boston; Atlanta; Dallas; Phoenix; Pittsburgh; Long Beach; Baltimore; New Orleans; Nueva Orleans",
    "CAN": "Ottawa; Toronto; Montreal; Montréal; Vancouver; Calgary; Windsor; Hamilton; Winnipeg; Halifax;"
    " Edmonton; Quebec City; Saskatoon; Regina",
    "MX-COA": "Coahuila",  # and the short names of states pycountry gives in full
    "MX-MIC": "Michoacán",
    "MX-VER": "Veracruz",
    "MEX": "Mexico City; Ciudad de México; CDMX; Monterrey; Guadalajara; Tijuana; Ciudad Juárez; Juárez;"
    " Saltillo; Hermosillo; Manzanillo; Lázaro Cárdenas; Nuevo Laredo; Reynosa; Matamoros; Mexicali;"
    " Toluca; Silao; Pesquería; Ramos Arizpe; Culiacán; Mérida; Acapulco; Cancún",
    "CHN": "Beijing; Pekín; Pequín; Shanghai; Shanghái; Shenzhen; Hong Kong",
    "CHE": "Geneva; Ginebra",
    "JPN": "Tokyo; Tokio",
    "KOR": "Seoul; Seúl; South Korea; Corea del Sur",
    "PRK": "North Korea; Corea del Norte; Pyongyang",
    "GBR": "London; Londres; Britain; Gran Bretaña; Reino Unido; UK",
    "FRA": "Paris; París",
    "DEU": "Berlin; Berlín; Alemania",
    "ESP": "Madrid",
    "ITA": "Rome; Roma",
    "RUS": "Russia; Rusia; Moscow; Moscú; Kremlin",
    "BRA": "Brasilia; Brasil",
    "ARG": "Buenos Aires",
    "COL": "Bogotá",
    "PER": "Lima",
    "CHL": "Santiago de Chile",
    "VEN": "Venezuela; Caracas",
    "CUB": "Havana; La Habana",
    "IND": "New Delhi; Nueva Delhi; Delhi",
    "TWN": "Taiwan; Taiwán; Taipei; Taipéi",
    "VNM": "Vietnam; Hanoi; Hanói",
    "IRN": "Iran; Irán; Tehran; Teherán",
    "TUR": "Turkey; Turquía; Ankara",
    "UKR": "Kyiv; Kiev",
    "BEL": "Bélgica",
    "EUN": "EU; UE; European Union; Unión Europea; Brussels; Bruselas; European Commission; Comisión Europea",
}


def _names() -> dict[str, str]:
    """Folded place name -> ISO code: countries first (México the country, not the state)."""
    import gettext

    import pycountry

    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    names: dict[str, str] = {}

    def add(name: str, code: str) -> None:
        key = " ".join(fold_text(name).replace(".", " ").split())
        if len(key) >= 2:
            names.setdefault(key, code)

    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            if name := getattr(country, attr, None):
                add(name, country.alpha_3)
                add(spanish.gettext(name), country.alpha_3)
    for code, table in _BUNDLED.items():
        for name in table.split(";"):
            add(name, code)
    # The desk's own regions: USMCA's states and provinces, from a database of our own that is
    # dropped once read (pycountry's keeps all 5,000 regions of the world: 3.5 MB per process).
    regions = pycountry.Subdivisions(os.path.join(pycountry.DATABASE_DIR, "iso3166-2.json"))
    for country in _REGIONS:
        for region in regions.get(country_code=country):
            add(region.name, region.code)
    return names


@lru_cache(maxsize=1)
def _automaton() -> ahocorasick.Automaton:
    """The names of more than three letters (the short ones, US, UE, are in every word: ``_SHORT``)."""
    automaton = ahocorasick.Automaton()
    for key, code in _names().items():
        if len(key) > 3:
            automaton.add_word(key, (len(key), code))
    automaton.make_automaton()
    return automaton


# The short names, as printed: in capitals (US, not "us"; EE.UU.).
_SHORT = re.compile(r"\b(?:U\.S\.|US|EE\.\s?UU\.|EEUU|UK|EU|UE)(?!\w)")
_SHORT_CODES = {"U.S.": "USA", "US": "USA", "EEUU": "USA", "UK": "GBR", "EU": "EUN", "UE": "EUN"}


def _word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isalnum()


def find_places(text: str, folded_text: str | None = None) -> Iterator[tuple[int, int, str]]:
    """(start, end, ISO code) of each place printed in ``text``, capitalised, the longest at each
    position (Baja California Sur, not Baja California), in order. ``folded_text``: the text
    already folded, when folding kept every offset (``crawler.text.fold`` without offsets)."""
    folded = Folded(text, folded_text, None) if folded_text is not None else fold(text)
    spaced = folded.text.replace(".", " ")
    found: list[tuple[int, int, str]] = []
    for end, (length, code) in _automaton().iter(spaced):
        start, stop = end - length + 1, end + 1
        if _word_char(spaced, start - 1) or _word_char(spaced, stop):
            continue
        first, last = folded.span(start, stop)
        if text[first].isupper():
            found.append((first, last, code))
    for match in _SHORT.finditer(text):
        code = _SHORT_CODES.get(match.group().replace(" ", ""), "USA")
        found.append((match.start(), match.end(), code))
    found.sort(key=lambda f: (f[0], -f[1]))
    reach = -1
    for start, end, code in found:
        if start >= reach:  # not inside a longer place already given
            reach = end
            yield start, end, code
