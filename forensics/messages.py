"""Sentences the investigation states, as message ids with parameters.

The investigation writes its explanations, reasons, key facts and notes in
English, but the report must state them in the reader's language.  So every
such sentence is a `Msg`: the English text *is* the gettext message id, with
`{named}` placeholders, and the values are kept apart until the sentence is
rendered::

    msg("{n} failed login before the session", "{n} failed logins before the session", n=3)
    msg("address {ip} in {network}", ip="203.0.113.9", network="AS3320 Deutsche Telekom")

A `Msg` is a `str` (its English rendering), so text output, JSON and every
existing consumer keep working unchanged; the report calls
`Msg.render(translations, locale)` to get it in de/cs/pl (plural forms from
the catalog, numbers in the locale's format).  Parameters that are
themselves messages are rendered in the same language; log values (an
address, a user name, a User-Agent) are parameters and stay verbatim.

`join(parts, sep)` keeps a list of messages a message.  Catalog: the
`investigation` domain beside the report's templates
(`report_templates/locale/<lang>/LC_MESSAGES/investigation.po`);
`tools/update_catalogs.py` extracts every `msg(...)`.
"""

from __future__ import annotations

import string
from functools import lru_cache
from typing import Any

_FORMATTER = string.Formatter()


def _english(msgid: str, plural: str | None, n, params: dict) -> str:
    text = plural if (plural is not None and n is not None and n != 1) else msgid
    return text.format(**{k: str(v) for k, v in params.items()})


@lru_cache(maxsize=1024)   # the message ids are the code's (and `join`'s templates): parsed once each
def _fields(msgid: str, plural: str | None) -> frozenset[str]:
    """The names a message's text (and its plural form) needs."""
    return frozenset({f for _, f, _, _ in _FORMATTER.parse(msgid) if f} | (
        {f for _, f, _, _ in _FORMATTER.parse(plural) if f} if plural else set()))


class Msg(str):
    """An English sentence that remembers its message id and parameters."""

    msgid: str
    plural: str | None
    n: Any
    params: dict

    def __new__(cls, msgid: str, plural: str | None = None, /, **params):
        n = params.get("n")
        missing = _fields(msgid, plural) - set(params)
        if missing:
            raise KeyError(f"message {msgid!r} needs {', '.join(sorted(missing))}")
        self = super().__new__(cls, _english(msgid, plural, n, params))
        self.msgid, self.plural, self.n, self.params = msgid, plural, n, dict(params)
        return self

    def __reduce__(self):   # pickling/copying keeps the id and parameters
        return (_rebuild, (self.msgid, self.plural, self.params))

    def render(self, translations=None, locale: str | None = None) -> str:
        """This sentence in the language of `translations` (gettext-style, or
        None for English); numbers formatted for `locale`."""
        values = {k: _render_value(v, translations, locale) for k, v in self.params.items()}
        if translations is None:
            return _english(self.msgid, self.plural, self.n, values)
        if self.plural is not None and self.n is not None:
            text = translations.ngettext(self.msgid, self.plural, int(self.n))
        else:
            text = translations.gettext(self.msgid)
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):   # a broken translation never hides the fact
            return _english(self.msgid, self.plural, self.n, values)

    def to_json(self) -> dict:
        """The id and parameters, for a consumer that translates itself."""
        return {"msgid": self.msgid, **({"plural": self.plural} if self.plural else {}),
                "params": {k: (v.to_json() if isinstance(v, Msg) else v) for k, v in self.params.items()}}


class Country(str):
    """A country as the GeoIP database names it (English), that the report
    renders in its own language from CLDR (`Deutschland`, `Německo`, `Niemcy`).

    A `str` (the English name, or the ISO code when no name is known), so
    text output and JSON stay as they were; used as a `Msg` parameter.
    """

    iso: str

    def __new__(cls, iso: str, name: str | None = None):
        self = super().__new__(cls, name or iso)
        self.iso = iso
        return self

    def __reduce__(self):
        return (Country, (self.iso, str(self)))

    def render(self, translations=None, locale: str | None = None) -> str:
        if locale in (None, "en") or not self.iso:
            return str(self)
        from forensics.report.i18n import country_name

        return country_name(self.iso, locale, str(self))


class Number(str):
    """A number with a fixed count of decimals (and a unit such as " s"),
    written in the locale's format when rendered: "10.0 s" in English,
    "10,0 s" in German.  A `str` (the English form) for text and JSON."""

    value: float
    digits: int
    unit: str

    def __new__(cls, value: float, digits: int = 1, unit: str = ""):
        self = super().__new__(cls, f"{value:,.{digits}f}{unit}")
        self.value, self.digits, self.unit = value, digits, unit
        return self

    def __reduce__(self):
        return (Number, (self.value, self.digits, self.unit))

    def render(self, translations=None, locale: str | None = None) -> str:
        if locale in (None, "en"):
            return str(self)
        from forensics.report.i18n import number

        return number(self.value, locale, self.digits) + self.unit


def _rebuild(msgid, plural, params):
    return Msg(msgid, plural, **params)


def _render_value(value, translations, locale):
    if isinstance(value, (Msg, Country, Number)):
        return value.render(translations, locale)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return value  # joined lists are Msgs (see join); a raw list stays as given
    if isinstance(value, bool) or not isinstance(value, (int, float)) or locale in (None, "en"):
        return value
    from babel.numbers import format_decimal

    return format_decimal(value, locale=locale, decimal_quantization=False)


def msg(msgid: str, plural: str | None = None, /, **params) -> Msg:
    """A message: `msg("text with {x}", x=...)`, or with a plural form and `n`."""
    return Msg(msgid, plural, **params)


def join(parts, sep: str = "; ") -> Msg:
    """Several messages as one (each rendered in the report's language).

    The separator is punctuation, the same in every language.
    """
    parts = [p if isinstance(p, Msg) else Msg("{text}", text=str(p)) for p in parts]
    names = {f"p{i}": p for i, p in enumerate(parts)}
    template = sep.replace("{", "{{").replace("}", "}}").join("{%s}" % k for k in names)
    out = Msg.__new__(Msg, template, None, **names) if names else Msg("")
    return out


def render(value, translations=None, locale: str | None = None):
    """Render a Msg (or leave a plain value as it is)."""
    return value.render(translations, locale) if isinstance(value, Msg) else value
