"""The words of trade measures, English and Spanish: instruments, actions, products, legal bases,
the people and bodies who act for a government, and demonyms. Folded (``crawler.text.fold_text``)
where they are matched against folded text; each table's order is its precedence."""

from __future__ import annotations

# Instrument: the first whose pattern a sentence holds (folded, regular expressions), most specific first.
INSTRUMENTS = [
    ("anti-dumping", r"anti-?dumping|cuotas? compensatorias?|dumping"),
    ("countervailing", r"countervailing|anti-?subsid|antisubvenci"),
    ("safeguard", r"safeguard|salvaguard"),
    ("export-control", r"export controls?|entity list|export restrictions?|controles? (?:a|de) (?:la )?exportaci"
     r"|license requirements?|licencias? de exportaci"),
    ("import-ban", r"import ban|ban(?:s|ned)? (?:on )?(?:the )?import|prohibi\w* (?:la )?importaci|veto a la importaci"),
    ("sanction", r"\bsanction|\bsanciones"),
    ("quota", r"\bquotas?\b|tariff-rate quota|\btrq\b|\bcupos?\b|\bcuotas?\b"),
    ("tariff", r"tariff|\bduty\b|\bduties\b|\blev(?:y|ies)\b|surtax|arancel|gravamen|impuestos? a la importaci"),
    ("trade-agreement", r"trade agreement|trade deal|free trade|acuerdo comercial|tratado comercial|t-mec|usmca"
     r"|cusma|framework agreement"),
]  # fmt: skip

# Action: the first whose pattern the sentence holds near its instrument, most specific first.
ACTIONS = [
    ("retaliate", r"retaliat|counter-?tariff|countermeasure|in response to|rebalanc|represalia|en respuesta"
     r"|responde|contramedida|reciproc"),
    ("remove", r"\b(?:remov|lift|eliminat|scrap|repeal|revok|cancel|strik)\w*|elimin\w*|retir\w*|levant\w*"
     r"|deroga\w*"),
    ("suspend", r"\bsuspen\w*|\bpaus\w*"),
    ("delay", r"\bdelay\w*|postpon\w*|pospon\w*|aplaz\w*"),
    ("exempt", r"\bexempt\w*|exclusion|exclud\w*|carve-out|exenta\w*|exclu\w*"),
    ("lower", r"\blower\w*|\bcut(?:s|ting)?\b|\breduc\w*|\bbaj\w*|rebaj\w*|disminu\w*"),
    ("raise", r"\bra(?:is|ising)\w*|increas\w*|\bhike\w*|doubl\w*|\bdupl\w*|aument\w*|elev\w*|\bsub\w*"),
    ("investigate", r"investigat\w*|investigaci\w*|\bprobe\b|\breview of\b"),
    ("negotiate", r"negotiat\w*|\btalks\b|negocia\w*|\bsigned\b|firm\w*|\bratif\w*"),
    ("threaten", r"threat\w*|amenaz\w*"),
]  # fmt: skip

# Status, from the sentence's framing (the first that holds); "announced" when none does.
STATUSES = [
    ("threatened", r"\bif\b|\bcould\b|\bmight\b|\bmay\b|threat|\bwould\b|no descarta|podr[ií]a|amenaz|\bsi\b"),
    ("proposed", r"propos|\bplans? to\b|recommend|consider|\bbill\b|propon|propuesta|plane|contempla"),
    ("in-force", r"took effect|in effect|in force|\bnow\b|currently|entr[oó] en vigor|vigentes?|en vigor desde"
     r"|already"),
    ("reported", r"\b(?:in|the|en|los|las) (?:19|20)\d\d\b|\blast year\b|\bpreviously\b|\bearlier\b"
     r"|el a[nñ]o pasado|\bhad\b|\b(?:were|was) (?:imposed|lifted|introduced|removed)"),
]  # fmt: skip

# Products: folded pattern -> English label (a trade good or a sector the news names).
PRODUCTS = {
    r"steel|acero|acer[ao]s": "steel",
    r"alumin(?:i?um|io)": "aluminum",
    r"copper|cobre": "copper",
    r"lumber|softwood|madera": "lumber",
    r"electric vehicles?|\bevs?\b|vehiculos? electricos?|autos? electricos?": "electric vehicles",
    r"auto parts|car parts|autopartes|partes automotrices": "auto parts",
    r"\bcars?\b|automobiles?|\bautos\b|vehicles|automoviles|vehiculos": "cars",
    r"trucks?|camiones": "trucks",
    r"semiconductors?|\bchips?\b|semiconductores": "semiconductors",
    r"solar (?:panels?|cells?|products?)|paneles solares|celdas solares": "solar products",
    r"batter(?:y|ies)|baterias": "batteries",
    r"soybeans?|\bsoy(?:a)?\b|\bsoja\b": "soybeans",
    r"\bcorn\b|maize|\bmaiz\b": "corn",
    r"wheat|\btrigo\b": "wheat",
    r"\bbeef\b|carne de res|carne bovina": "beef",
    r"\bpork\b|carne de cerdo|porcino": "pork",
    r"chicken|poultry|\bpollo\b|avicola": "chicken",
    r"dairy|lacteos|\bleche\b|\bmilk\b": "dairy",
    r"tomato(?:es)?|jitomates?|tomates?": "tomatoes",
    r"avocados?|aguacates?": "avocados",
    r"cotton|algodon": "cotton",
    r"sorghum|sorgo": "sorghum",
    r"seafood|aquatic products|mariscos|pescados?|\bfish\b": "seafood",
    r"fruits?|\bfrutas?\b": "fruits",
    r"vegetables|hortalizas|verduras|legumbres": "vegetables",
    r"crude oil|petroleum|\bpetroleo\b|\boil\b": "crude oil",
    r"liquefied natural gas|\blng\b|gas natural licuado": "liquefied natural gas",
    r"\bcoal\b|carbon mineral": "coal",
    r"fertili[sz]ers?|fertilizantes?": "fertilizer",
    r"pharmaceuticals?|medicines?|drugs|medicamentos|farmaceuticos": "pharmaceuticals",
    r"drones?": "drones",
    r"textiles?|clothing|apparel|\bropa\b|prendas": "textiles",
    r"shoes|footwear|calzado": "footwear",
    r"toys|juguetes": "toys",
    r"furniture|muebles": "furniture",
    r"tequila|spirits|bourbon|whiskey|whisky|alcoholic beverages|bebidas alcoholicas": "alcoholic beverages",
    r"critical minerals|minerales criticos|rare earths?|tierras raras": "critical minerals",
    r"smartphones?|telefonos inteligentes|celulares": "smartphones",
    r"tractors?|tractores": "tractors",
    r"motorcycles?|motocicletas": "motorcycles",
    r"consumer goods|bienes de consumo": "consumer goods",
}

# Legal bases, as printed (the text's own words, first found wins).
LEGAL = [
    r"Section \d{3}(?: of the [A-Z][\w ]+? Act(?: of \d{4})?)?",
    r"(?:Executive Order|Proclamation|Presidential Proclamation)(?: No\.)? \d{4,5}",
    r"IEEPA|International Emergency Economic Powers Act",
    r"Executive Order|Proclamation",
    r"Resoluci[oó]n [Ff]inal|[Rr]esoluci[oó]n preliminar",
    r"\bdecreto\b|\bDecreto\b",
]

# Who acts for a government (folded names and bodies; extendable in config as ``people:``).
PEOPLE = {
    "USA": "trump|biden|lutnick|greer|bessent|navarro|rubio|vance|ustr|white house|casa blanca"
    "|commerce department|department of commerce|departamento de comercio|trade representative"
    "|washington|administracion estadounidense|gobierno estadounidense|us customs|cbp",
    "MEX": "sheinbaum|ebrard|lopez obrador|amlo|secretaria de economia|gobierno de mexico|gobierno mexicano"
    "|dof|diario oficial|economy ministry of mexico",
    "CAN": "carney|trudeau|leblanc|freeland|champagne|joly|ottawa|finance canada|canadian government"
    "|gobierno canadiense",
    "CHN": "xi jinping|beijing|pekin|mofcom|state council|customs tariff commission|ministry of commerce of china"
    "|chinese government|gobierno chino|ministerio de comercio de china",
    "EUN": "von der leyen|sefcovic|european commission|comision europea|brussels|bruselas",
}

# Demonyms and adjectives of the places the desk covers (folded) -> ISO code.
DEMONYMS = {
    "USA": r"americans?|estadounidenses?|norteamericanos?|u\.s\.-made",
    "MEX": r"mexican(?:os?|as?|s)?",
    "CAN": r"canadian(?:s)?|canadienses?",
    "CHN": r"chinese|chin(?:os|as)",
    "EUN": r"european|europe(?:os|as|a|o)",
    "JPN": r"japanese|japones(?:es|as|a)?",
    "KOR": r"korean|surcoreanos?",
    "BRA": r"brazilian|brasile[nñ]os?",
    "IND": r"\bindian\b",
    "RUS": r"russian|rusos?",
    "VNM": r"vietnamese|vietnamitas?",
    "GBR": r"british|britanicos?",
    "DEU": r"german|alemanes?",
}

EVERYONE = (
    r"all countries|every country|all imports|all trading partners|the world|todos los paises|todo el mundo"
)
