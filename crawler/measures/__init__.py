"""Trade measures: what each text says was done (instrument, action, rate, products, who on whom,
legal basis, effective date, status), read from the stored text with the sentence that says it.

``reader`` (pure: sentences in, measures out) and ``vocabulary`` (the English and Spanish words of
measures, products, officials and demonyms).
"""

from crawler.measures.reader import Measure, read_measures

__all__ = ["Measure", "read_measures"]
