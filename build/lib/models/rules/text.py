"""Text: the one validator every text input goes through, and diacritic folding (so "duong"
finds "Đường").

What is refused, wherever it comes from (a report, a comment, a name, a search, a password):
- strings that are not valid Unicode text (lone surrogates: they cannot be stored or encoded);
- control characters (C0 and C1) but tab and newline where several lines are allowed;
- invisible format characters (category Cf: soft hyphen, zero-width space, word joiner, BOM,
  direction overrides, tag characters...), the combining grapheme joiner, line and paragraph
  separators, except a zero-width joiner or non-joiner between two visible characters (emoji
  sequences, some scripts);
- noncharacters (U+FDD0..U+FDEF and every U+xFFFE / U+xFFFF), which XML 1.0 and many clients
  reject.
"""

from __future__ import annotations

import re
import unicodedata

from models.errors import Invalid
from models.messages import _

_SPACES = re.compile(r"\s+")
_JOINERS = frozenset("\u200c\u200d")  # ZWNJ, ZWJ
_ALSO_INVISIBLE = frozenset("\u034f\u2028\u2029")  # grapheme joiner; line, paragraph separators


def _noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def unwanted(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` is refused (a message template with `{field}`), or None."""
    for i, ch in enumerate(text):
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return _("{field} is not valid text.")
        if ch in "\n\t" and multiline:
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            return _("{field} contains control characters.")
        if ch in _JOINERS and 0 < i < len(text) - 1 and not (
                text[i - 1].isspace() or text[i + 1].isspace()):
            continue
        if category == "Cf" or ch in _ALSO_INVISIBLE or ch in _JOINERS:
            return _("{field} contains invisible characters.")
        if _noncharacter(code):
            return _("{field} contains characters that are not text.")
    return None


def check_text(value: str, *, field: str, multiline: bool = False) -> None:
    """Raise `Invalid` naming the field when `value` holds anything `unwanted`."""
    reason = unwanted(value, multiline=multiline)
    if reason is not None:
        raise Invalid(reason, field=field)


def fold(text: str) -> str:
    """Lower-case, strip diacritics, map đ to d, collapse white space."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip()


def clean(
    value: str | None,
    *,
    field: str,
    max_length: int,
    min_length: int = 1,
    multiline: bool = False,
    required: bool = True,
) -> str | None:
    """Trim and check a user-supplied string; raise `Invalid` naming the field."""
    if value is None:
        if required:
            raise Invalid(_("{field} is required."), field=field)
        return None
    if len(value) > max_length * 4:  # reject huge inputs before doing any work on them
        raise Invalid(_("{field} must be at most {max_length} characters."), field=field,
                      max_length=max_length)
    check_text(value, field=field, multiline=multiline)
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        if required:
            raise Invalid(_("{field} must not be empty."), field=field)
        return None
    if len(text) < min_length:
        raise Invalid(_("{field} must be at least {min_length} characters."), field=field,
                      min_length=min_length)
    if len(text) > max_length:
        raise Invalid(_("{field} must be at most {max_length} characters."), field=field,
                      max_length=max_length)
    return text


def required_text(value: str | None, *, field: str, max_length: int) -> str:
    """A required, possibly multi-line text: a description, a reason, a result."""
    cleaned = clean(value, field=field, max_length=max_length, multiline=True)
    assert cleaned is not None
    return cleaned


def search_text(title: str, description: str, address: str | None) -> str:
    """What text search looks in: title, public text and address, folded."""
    return fold(" ".join(part for part in (title, description, address) if part))


def title_from(description: str) -> str:
    """A report sent without a title is shown under its text's first line."""
    first_line = description.splitlines()[0]
    return first_line if len(first_line) <= 80 else first_line[:79].rstrip() + "…"
