"""The domain's exceptions, documented in one place.

``MedexError``
    base of everything the project raises on purpose.
``InputError``
    input that cannot be used; carries one message per problem, each naming the field.
``WeekFormatError``
    a ``medex-week/1`` or ``medex-schedule/1`` document with problems (an ``InputError``).
``UnknownPlace``
    a postcode, station or coordinate the travel model does not know (raised by ``geo``
    as its own ``GeoError``; the scheduler reports it as an input error).
"""

from __future__ import annotations


class MedexError(Exception):
    """Base class of the project's own errors."""


class InputError(MedexError):
    """Input that cannot be used.  ``problems`` has one human-readable line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class WeekFormatError(InputError):
    """A week or schedule document that does not follow the exchange format."""
