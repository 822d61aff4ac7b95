"""Messages people read, in Vietnamese (the default) or English, from gettext catalogues.

Code writes every user-facing message in English, marked with `_()` so that Babel extracts it
(`pybabel extract -F babel.cfg -o locale/messages.pot .`), with `{named}` placeholders instead
of f-strings so that one template has one translation; `locale/vi/LC_MESSAGES/messages.po`
holds the Vietnamese. The language is chosen once per request or WebSocket connection by the
edge (`Accept-Language`, or `language` in `connection_init`) and kept in a context variable,
so a message is rendered when it is shown, in its reader's language, while logs and exceptions
keep the English. The machine contract is the error `code`, never the text.
"""

from __future__ import annotations

import contextvars
import io
import logging
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DEFAULT_LANGUAGE = "vi"
LANGUAGES = ("vi", "en")  # en is the language of the code: no catalogue

language: contextvars.ContextVar[str] = contextvars.ContextVar("language",
                                                               default=DEFAULT_LANGUAGE)


def _(template: str) -> str:
    """Marks a message for extraction, rendered later (`render`; DomainError renders its own
    when shown): for messages made before anyone reads them, module constants included."""
    return template


def t(template: str, **params: Any) -> str:
    """Marks a message for extraction and renders it now, in the current reader's language:
    for messages built while answering someone (GraphQL errors, HTTP refusals)."""
    return render(template, params)


@cache
def catalogue(lang: str) -> Translations | None:
    """The compiled catalogue of a language (read from its .po once per process)."""
    if lang == "en":
        return None
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        log.warning("no message catalogue for %s at %s", lang, path)
        return None
    with path.open("rb") as po:
        parsed = read_po(po, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, parsed)
    buffer.seek(0)
    return Translations(fp=buffer)


def render(template: str, params: Mapping[str, Any] | None = None, *,
           lang: str | None = None) -> str:
    """The template in `lang` (default: the current reader's language), filled in."""
    translations = catalogue(lang or language.get())
    text = translations.gettext(template) if translations is not None else template
    if not params:
        return text
    for candidate in (text, template):  # a broken translation must not hide the error
        try:
            return candidate.format(**params)
        except (KeyError, IndexError, ValueError):
            log.warning("message template does not fit its parameters: %r", candidate)
    return template


def negotiate_language(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header (RFC 9110 weights)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for position, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary == "*":
            primary = DEFAULT_LANGUAGE
        if primary not in LANGUAGES:
            continue
        q = 1.0
        name, _eq, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
        q -= position * 1e-6  # equal weights: the first listed wins
        if q > best_q:
            best, best_q = primary, q
    return best
