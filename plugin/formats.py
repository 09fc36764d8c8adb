"""Numbers, percentages, dates, months, relative days and cadences as the reader writes them.

The locale is the one Flask-Babel has selected (a page's reader, or `force_locale(language, region)` in an
e-mail or the sidebar), built from the language and the recruiter's region by `i18n.locale_code`:
nb_NO reads 18,09 · 12,5 % · «4. desember 2026» · «4. des. 2026»; en_GB "4 Dec 2026"; en_US "Dec 4, 2026".
Times are shown in the reader's time zone: pass `zone`, or let the page put it on `g.brobygger_time_zone`.
Every function here is also a Jinja filter of the same name (`init_app`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal, format_percent
from flask import Flask, g, has_app_context
from flask_babel import get_locale

from plugin.i18n import HOME_REGIONS, gettext

log = logging.getLogger(__name__)

FALLBACK_LOCALE = "en_" + HOME_REGIONS["en"]
_MONTH_KEY = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Cadences people name rather than count (the language guide): 30, 90, 180 and 365 days.
_NAMED_CADENCES = {7, 30, 90, 180, 365}

LocaleArg = Locale | str | None


def current_locale(locale: LocaleArg = None) -> Locale:
    """`locale` when given, else the selected one (English as in Britain outside any app context)."""
    if locale is not None:
        return locale if isinstance(locale, Locale) else Locale.parse(locale)
    return (get_locale() if has_app_context() else None) or Locale.parse(FALLBACK_LOCALE)


def current_zone(zone: tzinfo | str | None = None) -> tzinfo:
    """`zone` when given, else the page's reader's (`g.brobygger_time_zone`), else UTC."""
    name = zone if zone is not None else (g.get("brobygger_time_zone") if has_app_context() else None)
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _day(value: date | datetime, zone: tzinfo | str | None) -> date:
    """A datetime's day where the reader is; a date as it is."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(current_zone(zone)).date()
    return value


# --- numbers ----------------------------------------------------------------------------------------------

def number(value: float | int | None, locale: LocaleArg = None) -> str:
    """18,09 / 18.09; 12 500 / 12,500 (up to three decimals, as given); "" for None."""
    if value is None:
        return ""
    return format_decimal(value, locale=current_locale(locale))


def percent(fraction: float | None, digits: int = 1, locale: LocaleArg = None) -> str:
    """A share (0.125) as a percentage with at most `digits` decimals: «12,5 %» / "12.5%"; "" for None."""
    if fraction is None:
        return ""
    rounded = round(float(fraction) * 100, digits) / 100
    return format_percent(rounded, locale=current_locale(locale), decimal_quantization=False)


# --- dates ------------------------------------------------------------------------------------------------

def date_long(value: date | datetime | None, zone: tzinfo | str | None = None, locale: LocaleArg = None) -> str:
    """«4. desember 2026» / "4 December 2026" / "December 4, 2026"."""
    return _day_text(_day(value, zone), "long", current_locale(locale)) if value else ""


def date_short(value: date | datetime | None, zone: tzinfo | str | None = None, locale: LocaleArg = None) -> str:
    """«4. des. 2026» / "4 Dec 2026" / "Dec 4, 2026"."""
    return _day_text(_day(value, zone), "medium", current_locale(locale)) if value else ""


def time_short(value: datetime | None, zone: tzinfo | str | None = None, locale: LocaleArg = None) -> str:
    """«09:05» / "09:05" / "9:05 AM", in the reader's zone."""
    return _time_text(_aware(value), current_zone(zone), current_locale(locale)) if value else ""


def date_time(value: datetime | None, zone: tzinfo | str | None = None, locale: LocaleArg = None) -> str:
    """«4. des. 2026, 09:05» / "Dec 4, 2026, 9:05 AM", in the reader's zone."""
    return _moment_text(_aware(value), current_zone(zone), current_locale(locale)) if value else ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Babel's texts, kept per value, zone and locale (all a text depends on; equal instants are equal keys): Babel's
# formatting costs many times the lookup, a page writes the same days over and over (a queue of 125 rows falls
# on a few dozen days), and a page reloaded writes the same times again.
@lru_cache(maxsize=4096)
def _day_text(day: date, width: str, locale: Locale) -> str:
    return format_date(day, width, locale=locale)


@lru_cache(maxsize=4096)
def _time_text(moment: datetime, zone: tzinfo, locale: Locale) -> str:
    return format_time(moment.astimezone(zone), "short", locale=locale)


@lru_cache(maxsize=4096)
def _moment_text(moment: datetime, zone: tzinfo, locale: Locale) -> str:
    pattern = str(locale.datetime_formats["medium"])
    day = _day_text(moment.astimezone(zone).date(), "medium", locale)
    return pattern.replace("{1}", day).replace("{0}", _time_text(moment, zone, locale))


def month_title(value: str | date | Any, locale: LocaleArg = None) -> str:
    """A month as a title: «desember 2026» / "December 2026", from "2026-12", a date, or anything with
    `year` and `month`; a string that names no month comes back as it is."""
    if isinstance(value, str):
        match = _MONTH_KEY.match(value)
        if not match:
            return value
        value = date(int(match.group(1)), int(match.group(2)), 1)
    elif not isinstance(value, date):
        value = date(value.year, value.month, 1)
    return format_skeleton("yMMMM", value, locale=current_locale(locale))


def ago(value: date | datetime | None, now: datetime | None = None, zone: tzinfo | str | None = None) -> str:
    """A day relative to today, as people say it: «i dag», «i går», «for 3 dager siden», «for 2 måneder
    siden», «for 1 år siden»; ahead: «i morgen», «om 3 dager». Counted in calendar days where the reader is."""
    if not value:
        return ""
    where = current_zone(zone)
    today = _day(now or datetime.now(UTC), where)
    days = (today - _day(value, where)).days
    if days == 0:
        return gettext("today")
    if days == 1:
        return gettext("yesterday")
    if days == -1:
        return gettext("tomorrow")
    count, unit = _span(abs(days))
    # One form per count where the languages differ (a month / en måned); a day is never one here.
    if days > 0:
        if unit == "day":
            return gettext("%(num)s days ago", num=count)
        if unit == "month":
            return gettext("a month ago") if count == 1 else gettext("%(num)s months ago", num=count)
        return gettext("a year ago") if count == 1 else gettext("%(num)s years ago", num=count)
    if unit == "day":
        return gettext("in %(num)s days", num=count)
    if unit == "month":
        return gettext("in a month") if count == 1 else gettext("in %(num)s months", num=count)
    return gettext("in a year") if count == 1 else gettext("in %(num)s years", num=count)


def _span(days: int) -> tuple[int, str]:
    """Days (two or more) up to a month, whole months up to a year, then whole years."""
    if days < 31:
        return days, "day"
    if days < 365:
        return max(1, round(days / 30.44)), "month"
    return days // 365, "year"


def cadence(days: int | None) -> str:
    """A keep-in-touch rhythm as people say it: «hver måned», «hvert kvartal», «hvert halvår», «én gang i
    året», otherwise «hver 45. dag» / "every 45 days"."""
    if not days:
        return ""
    if days in _NAMED_CADENCES:
        return {7: gettext("every week"), 30: gettext("every month"), 90: gettext("every quarter"),
                180: gettext("every six months"), 365: gettext("once a year")}[days]
    if days == 1:
        return gettext("every day")
    return gettext("every %(num)s days", num=days)


# --- the old page helper, kept for templates that call it ------------------------------------------------

_LEGACY = {"%Y-%m-%d": date_short, "%Y-%m-%d %H:%M": date_time}


def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M", zone: tzinfo | str | None = None) -> str:
    """`local(moment)` and `local(moment, '%Y-%m-%d')` as the templates wrote them, now in the reader's
    locale (a date and time, or a date); any other strftime pattern is kept as written."""
    if not moment:
        return ""
    known = _LEGACY.get(fmt)
    if known is not None:
        return known(moment, zone)
    return moment.astimezone(current_zone(zone)).strftime(fmt)


FILTERS: dict[str, Callable[..., str]] = {
    "number": number, "percent": percent, "date_long": date_long, "date_short": date_short,
    "time_short": time_short, "date_time": date_time, "month_title": month_title, "ago": ago, "cadence": cadence,
}


def init_app(app: Flask) -> None:
    """Our filters on the app's Jinja environment; a host's own filter of the same name is kept (and logged)."""
    for name, function in FILTERS.items():
        existing = app.jinja_env.filters.setdefault(name, function)
        if existing is not function:
            log.warning("the host app has a Jinja filter %r of its own; Brobygger's pages use it", name)
