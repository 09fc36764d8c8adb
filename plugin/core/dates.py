"""Calendar arithmetic: working days in a tenant's time zone, and calendar months.

Working days in a tenant's time zone: due dates land on weekdays that are not Norwegian public holidays.

Times go in and come out as aware UTC datetimes (what the database stores); only the calendar day is
decided in local time, because "the next working day" is a local notion — a meeting at 23:30 in Oslo on
a Friday is on Friday, even though it is Saturday 00:30 nowhere that matters to the recruiter.
With `skip=False` (the tenant's `skip_weekends_and_holidays` off) every day is a working day.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MORNING = time(9, 0)
_MAX_STEPS = 30  # no run of weekends and holidays is this long; a guard against an endless loop


@lru_cache(maxsize=64)
def _norwegian_holidays(year: int) -> frozenset[date]:
    """Public holidays of one year; Sundays are weekends anyway, so the library's Sunday list is not asked for."""
    return frozenset(holidays.Norway(years=year, include_sundays=False))


def is_public_holiday(day: date) -> bool:
    return day in _norwegian_holidays(day.year)


def is_working_day(day: date, skip: bool = True) -> bool:
    return not skip or (day.weekday() < 5 and not is_public_holiday(day))


def on_or_after(day: date, skip: bool = True) -> date:
    """`day` if it is a working day, otherwise the first working day after it."""
    for _ in range(_MAX_STEPS):
        if is_working_day(day, skip):
            return day
        day += timedelta(days=1)
    raise AssertionError(f"no working day within {_MAX_STEPS} days of {day}")


def after(day: date, skip: bool = True) -> date:
    """The first working day strictly after `day`."""
    return on_or_after(day + timedelta(days=1), skip)


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def at_local(day: date, zone: str, clock: time = MORNING) -> datetime:
    """`clock` on `day` in `zone`, as UTC (daylight saving time included)."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def next_working_morning(moment: datetime, zone: str, skip: bool = True, clock: time = MORNING) -> datetime:
    """`clock` local time on the first working day after the local day of `moment`: always after `moment`."""
    return at_local(after(local_day(moment, zone), skip), zone, clock)


def move_off_holidays(moment: datetime, zone: str, skip: bool = True) -> datetime:
    """`moment` moved forward to the same local time on the next working day, when its day is not one."""
    local = moment.astimezone(ZoneInfo(zone))
    day = on_or_after(local.date(), skip)
    if day == local.date():
        return moment.astimezone(UTC)
    return at_local(day, zone, local.time().replace(tzinfo=None))


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months, clamped to the month's last day: 31 January + 1 month is 28 (or 29) February."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))
