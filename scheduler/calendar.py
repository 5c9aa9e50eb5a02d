"""The working-day calendar of Medex: when a victim may be convoked.

Convocations happen only on working days (victims do not take leave for them): Monday to
Friday, never a Belgian public holiday, and never on one of the days the federal
administrations close (2 November, 15 November and 26 December).  Public holidays come
from the ``holidays`` package; the closing days are configurable.

Counting conventions (the same as the week format's wait days):

* ``add_working_days(d, n)`` is the ``n``-th working day strictly after ``d`` (before it for
  a negative ``n``); ``add_working_days(d, 0)`` is ``d`` itself, working day or not.
* ``working_days_between(a, b)`` counts working days strictly after ``a`` up to and
  including ``b``; it is negative when ``b`` lies before ``a``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta

import holidays

FEDERAL_CLOSING_DAYS: tuple[tuple[int, int], ...] = ((11, 2), (11, 15), (12, 26))
"""(month, day) of the yearly closing days of the Belgian federal administrations."""
CLOSING_DAY = "federal administrations' closing day"
EXTRA_CLOSING_DATE = "closing day"
_WEEKEND = ("Saturday", "Sunday")


def _days(start: date, end: date) -> Iterator[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


class WorkingCalendar:
    """Working days: Monday-Friday minus public holidays, yearly closing days, extra dates.

    ``extra_yearly`` are (month, day) pairs closed every year (the federal administrations'
    closing days by default); ``extra_dates`` are one-off closing dates (e.g. a centre's
    move).  ``country`` and ``subdiv`` select the public holidays (``holidays`` codes).
    """

    def __init__(self, extra_yearly: Iterable[tuple[int, int]] = FEDERAL_CLOSING_DAYS,
                 extra_dates: Iterable[date] = frozenset(), *, country: str = "BE",
                 subdiv: str | None = None):
        self.extra_yearly: tuple[tuple[int, int], ...] = tuple(sorted(set(extra_yearly)))
        for month, day in self.extra_yearly:
            date(2000, month, day)  # a leap year: rejects impossible dates such as (2, 30)
        self.extra_dates: frozenset[date] = frozenset(extra_dates)
        self.country = country
        self.subdiv = subdiv
        self._years: dict[int, dict[date, str]] = {}

    def __repr__(self) -> str:
        return (f"WorkingCalendar(extra_yearly={self.extra_yearly!r}, "
                f"extra_dates={sorted(self.extra_dates)!r}, country={self.country!r})")

    def _closures(self, year: int) -> dict[date, str]:
        """The public holidays of ``year`` (weekend ones too) and the closing days that fall
        on a weekday, each with its reason."""
        found = self._years.get(year)
        if found is None:
            found = {}
            table = holidays.country_holidays(self.country, subdiv=self.subdiv, years=year,
                                              language="en_US")
            for day, name in table.items():
                found[day] = str(name)
            for month, dom in self.extra_yearly:
                try:
                    day = date(year, month, dom)
                except ValueError:  # 29 February in a common year
                    continue
                if day.weekday() < 5:  # on a weekend the weekend is the reason
                    found.setdefault(day, CLOSING_DAY)
            for day in self.extra_dates:
                if day.year == year and day.weekday() < 5:
                    found.setdefault(day, EXTRA_CLOSING_DATE)
            self._years[year] = found
        return found

    def reason_closed(self, d: date) -> str | None:
        """Why ``d`` is not a working day (holiday name, "Saturday", ...), or ``None``."""
        reason = self._closures(d.year).get(d)
        if reason is not None:
            return reason
        if d.weekday() >= 5:
            return _WEEKEND[d.weekday() - 5]
        return None

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in self._closures(d.year)

    def closed_dates(self, start: date, end: date) -> frozenset[date]:
        """Holidays and closing days from ``start`` to ``end`` inclusive (weekends left out).

        This is what a planning week lists as its ``closed_dates``; a holiday or closing day
        that falls on a weekend is left out (the weekend rule already closes it)."""
        return frozenset(d for d in _days(start, end)
                         if d.weekday() < 5 and d in self._closures(d.year))

    def working_days(self, start: date, end: date) -> list[date]:
        """The working days from ``start`` to ``end`` inclusive."""
        return [d for d in _days(start, end) if self.is_working_day(d)]

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (before it when ``n < 0``; ``d`` when 0)."""
        step = timedelta(days=1 if n >= 0 else -1)
        left = abs(n)
        while left:
            d += step
            if self.is_working_day(d):
                left -= 1
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days strictly after ``a`` up to and including ``b`` (negative if ``b < a``)."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(1 for d in _days(a + timedelta(days=1), b) if self.is_working_day(d))

    def next_working_day(self, d: date) -> date:
        """``d`` if it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def previous_working_day(self, d: date) -> date:
        """``d`` if it is a working day, else the last working day before it."""
        while not self.is_working_day(d):
            d -= timedelta(days=1)
        return d


DEFAULT_CALENDAR = WorkingCalendar()
"""Belgian public holidays and the federal administrations' closing days."""
