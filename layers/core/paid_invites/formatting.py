"""Money and dates as a reader of a language writes them: Babel, from CLDR (the edge of the product only:
the domain keeps integer minor units and timezone-aware datetimes).

Babel is imported by the first call, and each language's CLDR data is read the first time that language is
formatted: a handler that never formats pays nothing, one that does pays for Babel once and for the one
locale it uses (docs/languages.md, "Cold start and layer size"). The layer ships the CLDR data of the
languages we serve only (layers/core/Makefile), and of that only what formatting money and dates reads: its
build drops the categories below (``python -m paid_invites.formatting --trim-cldr <babel folder>``), so the
first amount or date a function formats unpickles about a tenth of Babel's data (3.4 ms instead of 10.7 ms on
the bench machine). A Babel call that needs a dropped category fails in tests/deploy/test_layer.py, which
formats through the built layer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .i18n import language
from .money import Money

# Babel's categories for what the product never formats: units, lists, time zones, the names of languages,
# territories, scripts and variants, relative and interval dates, compact numbers, date skeletons.
UNUSED_LOCALE_DATA = frozenset(
    {
        "compact_currency_formats", "compact_decimal_formats", "compound_unit_patterns", "date_fields",
        "datetime_skeletons", "interval_formats", "languages", "list_patterns", "measurement_systems", "meta_zones",
        "scripts", "territories", "time_zones", "unit_display_names", "unit_patterns", "variants", "zone_formats",
    }
)  # fmt: skip
# Babel's global data (global.dat) for the same, and the likely subtags, which only resolve locales the layer
# does not ship (formatting asks for a served base language, which loads as it is).
UNUSED_GLOBAL_DATA = frozenset(
    {
        "likely_subtags", "meta_zones", "territory_currencies", "territory_languages", "territory_zones",
        "windows_zone_mapping", "zone_aliases", "zone_territories",
    }
)  # fmt: skip


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


def trim_cldr(babel: Path) -> None:
    """Drop the unused categories from the data files of the Babel package at ``babel`` (the layer's build)."""
    import pickle

    for path in [babel / "global.dat", *sorted((babel / "locale-data").glob("*.dat"))]:
        unused = UNUSED_GLOBAL_DATA if path.name == "global.dat" else UNUSED_LOCALE_DATA
        with path.open("rb") as f:
            data = pickle.load(f)  # noqa: S301 - Babel's own data files, in the layer being built
        with path.open("wb") as f:
            pickle.dump({k: v for k, v in data.items() if k not in unused}, f, protocol=pickle.HIGHEST_PROTOCOL)


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--trim-cldr"]:  # the layer's build: python -m paid_invites.formatting --trim-cldr <babel>
        trim_cldr(Path(sys.argv[2]))
