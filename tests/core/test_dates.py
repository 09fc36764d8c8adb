"""Working days in the tenant's time zone: weekends and Norwegian public holidays are skipped, UTC in and out."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from plugin.core import dates

OSLO = "Europe/Oslo"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("meeting", "due"), [
    (_utc(2026, 11, 13, 18, 0), _utc(2026, 11, 16, 8, 0)),  # Friday evening → Monday 09:00 Oslo (UTC+1)
    (_utc(2026, 11, 16, 7, 0), _utc(2026, 11, 17, 8, 0)),  # Monday morning → Tuesday
    (_utc(2027, 3, 24, 12, 0), _utc(2027, 3, 30, 7, 0)),  # before Easter 2027 → Tuesday after Easter Monday (UTC+2)
    (_utc(2027, 5, 14, 12, 0), _utc(2027, 5, 18, 7, 0)),  # Friday before 17 May (a Monday in 2027) → Tuesday
    (_utc(2026, 12, 24, 12, 0), _utc(2026, 12, 28, 8, 0)),  # Christmas Eve → Monday after Christmas
    (_utc(2026, 11, 15, 23, 30), _utc(2026, 11, 17, 8, 0)),  # Sunday 23:30 UTC is Monday 00:30 in Oslo
])
def test_next_working_morning_is_after_the_meeting_on_a_working_day(meeting: datetime, due: datetime) -> None:
    moved = dates.next_working_morning(meeting, OSLO)
    assert moved == due
    assert moved > meeting and moved.tzinfo is not None and moved.utcoffset().total_seconds() == 0  # type: ignore


def test_without_skipping_every_day_is_a_working_day() -> None:
    assert dates.next_working_morning(_utc(2026, 11, 13, 18, 0), OSLO, skip=False) == _utc(2026, 11, 14, 8, 0)
    assert dates.next_working_morning(_utc(2027, 3, 24, 12, 0), OSLO, skip=False) == _utc(2027, 3, 25, 8, 0)


def test_the_local_day_decides_in_other_time_zones() -> None:
    friday_evening_in_new_york = _utc(2026, 11, 14, 2, 0)  # Friday 21:00 in New York, Saturday in UTC
    assert dates.next_working_morning(friday_evening_in_new_york, "America/New_York") == _utc(2026, 11, 16, 14, 0)


def test_public_holidays() -> None:
    for day in (date(2027, 1, 1), date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 1),
                date(2027, 5, 6), date(2027, 5, 17), date(2027, 12, 25), date(2027, 12, 26)):
        assert dates.is_public_holiday(day), day
        assert not dates.is_working_day(day)
    assert dates.is_working_day(date(2027, 3, 24)) and dates.is_working_day(date(2026, 12, 24))
    assert not dates.is_working_day(date(2026, 11, 14))  # a Saturday
    assert dates.is_working_day(date(2026, 11, 14), skip=False)


def test_on_or_after_and_after() -> None:
    assert dates.on_or_after(date(2027, 3, 25)) == date(2027, 3, 30)
    assert dates.on_or_after(date(2027, 3, 24)) == date(2027, 3, 24)
    assert dates.after(date(2027, 3, 24)) == date(2027, 3, 30)


def test_move_off_holidays_keeps_the_local_time_of_day() -> None:
    saturday_ten = _utc(2026, 11, 14, 9, 0)  # 10:00 in Oslo
    assert dates.move_off_holidays(saturday_ten, OSLO) == _utc(2026, 11, 16, 9, 0)
    wednesday = _utc(2026, 11, 18, 9, 0)
    assert dates.move_off_holidays(wednesday, OSLO) == wednesday
    assert dates.move_off_holidays(saturday_ten, OSLO, skip=False) == saturday_ten


def test_daylight_saving_time_is_respected() -> None:
    assert dates.at_local(date(2027, 1, 15), OSLO) == _utc(2027, 1, 15, 8, 0)
    assert dates.at_local(date(2027, 7, 15), OSLO) == _utc(2027, 7, 15, 7, 0)
