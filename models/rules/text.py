"""Text cleaning and diacritic folding (so "duong" finds "Đường")."""

from __future__ import annotations

import re
import unicodedata

from models.errors import Invalid

# Control characters other than tab and newline have no place in a report and break clients.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


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
            raise Invalid(f"{field} is required.", field=field)
        return None
    if len(value) > max_length * 4:  # reject huge inputs before doing any work on them
        raise Invalid(f"{field} must be at most {max_length} characters.", field=field)
    text = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(text) or (not multiline and ("\n" in text or "\t" in text)):
        raise Invalid(f"{field} contains control characters.", field=field)
    if not text:
        if required:
            raise Invalid(f"{field} must not be empty.", field=field)
        return None
    if len(text) < min_length:
        raise Invalid(f"{field} must be at least {min_length} characters.", field=field)
    if len(text) > max_length:
        raise Invalid(f"{field} must be at most {max_length} characters.", field=field)
    return text


def required_text(value: str | None, *, field: str, max_length: int) -> str:
    """A required, possibly multi-line text: a description, a reason, a result."""
    cleaned = clean(value, field=field, max_length=max_length, multiline=True)
    assert cleaned is not None
    return cleaned


def search_text(title: str, description: str, address: str | None) -> str:
    """What text search looks in: title, public text and address, folded."""
    return fold(" ".join(part for part in (title, description, address) if part))
