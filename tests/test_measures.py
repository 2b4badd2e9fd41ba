"""Trade measures read from texts written for these tests (English and Spanish), pure: no store.

The reader is not yet wired into the pipeline (issue 22 is in progress); these pin what it reads.
"""

from __future__ import annotations

import pytest

from crawler.measures import read_measures

PROCLAMATION = (
    "WASHINGTON — President Trump signed a proclamation on Tuesday raising the tariff on steel and"
    " aluminum imports from 25% to 50% under Section 232, effective June 4, 2025."
    " The White House said the measure protects American workers."
)
DOF = (
    "La Secretaría de Economía publicó en el Diario Oficial la Resolución final que impone una cuota"
    " compensatoria de 35% a las importaciones de calzado originarias de China, que entrará en vigor el"
    " 1 de marzo."
)
BACKGROUND = (
    "Exporters still remember the 2018 steel tariffs imposed by Washington on Canada, which were lifted"
    " a year later."
)


def test_a_proclamation_reads_as_a_raise_with_its_basis_and_date():
    (measure,) = read_measures(PROCLAMATION, "Trump doubles steel tariffs", "en", "2025-06-03")
    assert (measure.instrument, measure.action, measure.rate, measure.rate_from) == (
        "tariff",
        "raise",
        50,
        25,
    )
    assert set(measure.products) == {"steel", "aluminum"} and measure.imposer == "USA"
    assert measure.legal_basis == "Section 232" and measure.effective_date == "2025-06-04"
    assert PROCLAMATION[measure.start : measure.end].strip() == measure.evidence  # traceable


def test_a_dof_resolution_is_an_anti_dumping_duty_of_mexico_on_china():
    (measure,) = read_measures(DOF, "Cuota compensatoria al calzado chino", "es", "2026-02-10")
    assert (measure.instrument, measure.rate, measure.products) == ("anti-dumping", 35, ("footwear",))
    assert measure.imposer == "MEX" and measure.targets == ("CHN",)
    assert measure.legal_basis == "Resolución final" and measure.effective_date == "2026-03-01"


def test_a_background_measure_counts_as_reported():
    measures = read_measures(BACKGROUND, "", "en", "2026-01-05")
    assert measures and measures[0].products == ("steel",) and measures[0].status == "reported"


@pytest.mark.parametrize(
    "text",
    [
        "La tarifa eléctrica subirá 5% en enero, informó la Comisión Federal de Electricidad.",
        "A poll found that 62% of voters oppose the new tariffs.",  # a poll's percentage is no rate
        "12 34 56 78 90 1.5 2,5 % 100 2025 50%",
        "",
    ],
)
def test_what_is_no_measure_or_no_rate(text):
    measures = read_measures(text, "", "en", "2026-01-05")
    assert all(m.rate is None for m in measures)
    assert not [m for m in measures if "eléctrica" in m.evidence]


def test_a_percentage_is_no_date():
    (measure,) = read_measures("Mexico will impose a 50% tariff on Chinese cars from 2026.", "", "en", None)
    assert measure.rate == 50 and measure.effective_date is None and measure.targets == ("CHN",)


def test_rates_of_one_sentence_keep_their_own_products():
    text = (
        "China anunció aranceles de 15% al pollo y al trigo, y de 10% a la soya y al sorgo de Estados Unidos."
    )
    measures = read_measures(text, "", "es", "2025-03-04")
    assert {(m.rate, m.products) for m in measures} == {
        (15, ("chicken", "wheat")),
        (10, ("soybeans", "sorghum")),
    }
    assert {(m.imposer, m.targets) for m in measures} == {("CHN", ("USA",))}
