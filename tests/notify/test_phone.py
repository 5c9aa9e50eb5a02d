"""Phone numbers: E.164 with Belgium as default region, refused at entry with the reason."""

from __future__ import annotations

import pytest

from notify.errors import InvalidPhoneNumber, NotifyError
from notify.phone import is_valid, normalise


@pytest.mark.parametrize(("raw", "e164"), [
    ("0470 12 34 56", "+32470123456"),
    ("0470/12.34.56", "+32470123456"),
    ("+32 (0)470 12 34 56", "+32470123456"),
    ("0032 470 12 34 56", "+32470123456"),
    ("+32470123456", "+32470123456"),
    (" 0499-99-99-99 ", "+32499999999"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("+31 6 12345678", "+31612345678"),
    ("+49 1512 3456789", "+4915123456789"),
    ("+352 621 123 456", "+352621123456"),
])
def test_normalised_to_e164(raw: str, e164: str) -> None:
    assert normalise(raw) == e164


@pytest.mark.parametrize(("raw", "reason"), [
    ("", "empty"),
    ("   ", "empty"),
    ("call me", "letters"),
    ("0470", "too short"),
    ("0470 12 34 56 78 90", "too long"),
    ("+999 123 456", "country code"),
    ("+", "not a phone number"),
    ("09 264 11 11", "landline"),       # Ghent fixed line: cannot receive an SMS
    ("02 555 12 12", "landline"),
    ("0800 12 345", "toll-free"),
])
def test_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match=reason) as info:
        normalise(raw)
    assert info.value.raw == raw
    assert isinstance(info.value, NotifyError) and isinstance(info.value, ValueError)
    assert not is_valid(raw)


def test_landline_accepted_when_no_sms_is_needed() -> None:
    assert normalise("09 264 11 11", mobile=False) == "+3292641111"


def test_other_default_region() -> None:
    assert normalise("06 12 34 56 78", "FR") == "+33612345678"
