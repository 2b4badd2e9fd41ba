"""Text helpers: accent- and case-blind folding with offsets back to the original, words, snippets."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from w3lib.encoding import html_to_unicode
from w3lib.html import remove_tags, remove_tags_with_content

WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")


class _FoldTable(dict):
    """str.translate table folding case and accents, filled lazily per character."""

    def __init__(self) -> None:
        super().__init__()
        # Characters that do not fold to exactly one character (ß, ligatures, lone marks).
        self.irregular: set[str] = set()

    def __missing__(self, code: int) -> str:
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char.casefold())
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        if len(folded) > 1 and not WORD.search(folded):
            folded = " "  # "…" and the like separate words: one character keeps the offsets
        if len(folded) != 1:
            self.irregular.add(char)
        self[code] = folded
        return folded


_TABLE = _FoldTable()


@dataclass(frozen=True)
class Folded:
    """A folded text and, where lengths differ, the original index of each folded character."""

    original: str
    text: str
    offsets: tuple[int, ...] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the folded text back to the original."""
        if self.offsets is None:
            return start, end
        last = self.offsets[end - 1] if end > start else self.offsets[start]
        return self.offsets[start], last + 1


@lru_cache(maxsize=8)  # an article's text is folded to match it, then again to hash it
def fold(text: str) -> Folded:
    """Fold ``text`` for case- and accent-blind matching (``Economía`` -> ``economia``)."""
    text = unicodedata.normalize("NFC", text)
    if text.isascii():
        return Folded(text, text.lower(), None)
    folded = text.translate(_TABLE)
    irregular = _TABLE.irregular
    if len(folded) == len(text) and not (irregular and any(c in text for c in irregular)):
        return Folded(text, folded, None)
    offsets: list[int] = []
    for index, char in enumerate(text):
        offsets.extend([index] * len(_TABLE[ord(char)]))
    return Folded(text, folded, tuple(offsets))


def fold_text(text: str) -> str:
    """``fold(text).text`` without the offsets back to the original: cheaper on long texts."""
    text = unicodedata.normalize("NFC", text)
    return text.lower() if text.isascii() else text.translate(_TABLE)


def fold_words(text: str) -> list[str]:
    """The folded words of ``text``."""
    return WORD.findall(fold(text).text)


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode a page in the HTML standard's order: BOM, HTTP header, ``<meta charset>``."""
    return html_to_unicode(content_type, body)[1]


def collapse(text: str) -> str:
    """Collapse runs of white space into single spaces and strip the ends."""
    return _SPACES.sub(" ", text).strip()


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment (feed titles and summaries): tags removed, entities decoded."""
    if "<" in markup:
        markup = remove_tags(remove_tags_with_content(markup, ("script", "style")))
    return collapse(html.unescape(markup))


def content_hash(text: str) -> str:
    """A hash of the folded words of ``text``: equal across case, accents and spacing."""
    return hashlib.sha1(" ".join(fold_words(text)).encode("utf-8")).hexdigest()


def snippet(text: str, start: int, end: int, width: int = 200) -> str:
    """About ``width`` characters of ``text`` around [start, end), cut at word boundaries."""
    room = max(width - (end - start), 0)
    left = max(start - room // 2, 0)
    right = min(end + room - (start - left), len(text))
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    piece = collapse(text[left:right])
    return ("…" if left > 0 else "") + piece + ("…" if right < len(text) else "")
