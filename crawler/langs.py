"""Languages: a page's own tag, cut to its primary code, or a detector's guess from the text."""

from __future__ import annotations

from functools import cache
from typing import Any

MIN_TEXT = 40  # characters: below this a detector's guess is noise
MIN_CONFIDENCE = 0.6  # normalised probability of the detector's best guess


def short_lang(value: Any) -> str | None:
    """The primary language code of a tag: ``es-MX``, ``es_MX`` and ``ES`` give ``es``."""
    if not isinstance(value, str) or not value.strip():
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


@cache
def _identifier():
    # py3langid: the detector trafilatura itself uses; loaded once per process, when first needed.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_lang(text: str) -> str | None:
    """The language of ``text`` by py3langid, or None when it is short or the guess is unsure."""
    text = text.strip()
    if len(text) < MIN_TEXT:
        return None
    code, confidence = _identifier().classify(text[:5000])
    return code if confidence >= MIN_CONFIDENCE else None
