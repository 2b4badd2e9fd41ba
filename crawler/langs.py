"""Languages: a page's own tag, cut to its primary code, or a detector's guess from the text."""

from __future__ import annotations

from functools import cache
from typing import Any

MIN_TEXT = 40  # characters: below this a detector's guess is noise
MIN_CONFIDENCE = 0.6  # normalised probability of the detector's best guess
OVERRIDE_TEXT = 300  # characters of text from which a sure guess may overrule the page's tag
OVERRIDE_CONFIDENCE = 0.95
SAMPLE = 600  # characters the detector reads: on the corpus as sure as 5,000, at an eighth of the CPU


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


def detect_lang(text: str, *, min_text: int = MIN_TEXT, confidence: float = MIN_CONFIDENCE) -> str | None:
    """The language of ``text`` by py3langid, or None when it is short or the guess is unsure."""
    text = text.strip()
    if len(text) < min_text:
        return None
    code, sure = _identifier().classify(text[:SAMPLE])
    return code if sure >= confidence else None


def article_lang(tag: str | None, listed: str | None, text: str) -> str | None:
    """An article's language: its page's tag, else the listing's, else a guess from the text.

    A long text whose language the detector is sure of overrules a tag that says otherwise:
    site templates carry wrong tags (English stories tagged ``de`` were seen on a large site).
    """
    tagged = short_lang(tag) or listed
    if tagged is None:
        return detect_lang(text)
    guess = detect_lang(text, min_text=OVERRIDE_TEXT, confidence=OVERRIDE_CONFIDENCE)
    return guess if guess and guess != tagged else tagged
