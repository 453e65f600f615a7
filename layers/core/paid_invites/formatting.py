"""Money and dates as a reader of a language writes them: Babel, from CLDR (the edge of the product only:
the domain keeps integer minor units and timezone-aware datetimes).

Babel is imported by the first call, and each language's CLDR data is read the first time that language is
formatted: a handler that never formats pays nothing, one that does pays for Babel once and for the one
locale it uses (docs/benchmarks.md, "Babel on the accept page"). The layer ships the CLDR data of the
languages we serve only (layers/core/Makefile).
"""

from __future__ import annotations

import datetime as dt

from .i18n import language
from .money import Money


def money(amount: Money, lang: str) -> str:
    """``Money(14990, "EUR")``: ``€149.90`` (en), ``€ 149,90`` (nl), ``149,90 €`` (de, fr). The currency's
    minor units decide the digits; none are ever rounded away."""
    from babel.numbers import format_currency

    return str(
        format_currency(
            amount.decimal(), amount.currency, locale=language(lang), currency_digits=True, decimal_quantization=False
        )
    )


def date(moment: dt.date, lang: str) -> str:
    """The day, written out: ``7 December 2026`` (en), ``7 december 2026``, ``7. Dezember 2026``,
    ``7 décembre 2026``. A datetime's own day (the caller decides the timezone)."""
    from babel.dates import format_date

    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return str(format_date(day, format="long", locale=language(lang)))
