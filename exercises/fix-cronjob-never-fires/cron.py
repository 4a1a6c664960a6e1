"""When a CronJob fires: its five-field schedule read as the CronJob controller reads it, in a time zone.

The controller parses ``spec.schedule`` with the standard parser of robfig/cron (v3): minute, hour,
day of the month, month and day of the week; ``*`` and ``?``, lists (``1,15``), ranges (``1-5``),
steps (``*/10``, ``5/10``, ``0-30/10``), names of months and days (``JAN``, ``mon``), and the
descriptors ``@yearly``, ``@annually``, ``@monthly``, ``@weekly``, ``@daily``, ``@midnight`` and
``@hourly``. A day matches when both day fields match if either of them is ``*`` or ``?``, and when
either matches otherwise. The zone is ``spec.timeZone``, else a ``CRON_TZ=`` or ``TZ=`` prefix of the
schedule, else the controller's own (UTC on the book's cluster). A local time that does not exist
(skipped at the spring change of a daylight saving zone) is read with the offset before the change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
BOUNDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, MONTHS), (0, 6, DAYS))
DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
CONTROLLER_ZONE = "UTC"


class ScheduleError(ValueError):
    """A schedule this reader does not understand."""


def _number(word: str, names: dict[str, int]) -> int:
    if word.lower() in names:
        return names[word.lower()]
    if not word.isdigit():
        raise ScheduleError(f"{word!r} is not a number or a name")
    return int(word)


def _field(text: str, low: int, high: int, names: dict[str, int]) -> tuple[set[int], bool]:
    """The values of one field, and whether it is a star (``*`` or ``?`` without a step above 1)."""
    values: set[int] = set()
    star = False
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step_text and (not step_text.isdigit() or step < 1):
            raise ScheduleError(f"{part!r}: a step is a positive number")
        if span in ("*", "?"):
            start, end = low, high
            star = star or step == 1
        else:
            first, dash, last = span.partition("-")
            start = _number(first, names)
            end = _number(last, names) if dash else (high if step_text else start)
        if not low <= start <= end <= high:
            raise ScheduleError(f"{part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values, star


def zone_and_fields(schedule: str, time_zone: str | None) -> tuple[ZoneInfo, list[str]]:
    """The zone the schedule is read in, and its five fields."""
    words = schedule.split()
    zone = time_zone
    if words and words[0].startswith(("CRON_TZ=", "TZ=")):
        zone = zone or words[0].split("=", 1)[1]
        words = words[1:]
    if len(words) == 1 and words[0].lower() in DESCRIPTORS:
        words = DESCRIPTORS[words[0].lower()].split()
    if len(words) != 5:
        raise ScheduleError(f"{schedule!r} does not have five fields")
    try:
        return ZoneInfo(zone or CONTROLLER_ZONE), words
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{zone!r} is not a time zone") from None


def fire_times(schedule: str, time_zone: str | None, after: datetime, count: int) -> list[datetime]:
    """The first ``count`` times (in UTC) after ``after`` at which the schedule fires, within about 15 months."""
    zone, words = zone_and_fields(schedule, time_zone)
    (minutes, _), (hours, _), (days, dom_star), (months, _), (weekdays, dow_star) = (
        _field(w, low, high, names) for w, (low, high, names) in zip(words, BOUNDS, strict=True)
    )
    found: list[datetime] = []
    day: date = after.astimezone(zone).date()
    for _ in range(460):
        in_month = day.month in months
        dom, dow = day.day in days, (day.weekday() + 1) % 7 in weekdays
        if in_month and ((dom and dow) if dom_star or dow_star else (dom or dow)):
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    when = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
                    if when > after:
                        found.append(when)
                        if len(found) == count:
                            return found
        day += timedelta(days=1)
    return found
