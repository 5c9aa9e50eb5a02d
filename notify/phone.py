"""Phone numbers in E.164 (``+32470123456``), normalised with ``phonenumbers``.

A number is checked when it is entered (the accident declaration, the victim's page), not
when the SMS leaves: :func:`normalise` turns what a person typed (``0470 12 34 56``,
``+32 (0)470/12.34.56``, ``0032470123456``) into E.164, with Belgium as the default region,
and refuses anything else with an :class:`~notify.errors.InvalidPhoneNumber` that says why.
By default a number must be able to receive an SMS: a Belgian landline is refused.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from phonenumbers import ValidationResult as VR

from notify.errors import InvalidPhoneNumber

DEFAULT_REGION = "BE"

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
_LENGTH_REASONS = {
    VR.TOO_SHORT: "too short",
    VR.TOO_LONG: "too long",
    VR.INVALID_LENGTH: "wrong number of digits",
    VR.INVALID_COUNTRY_CODE: "unknown country code",
}
_SMS_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "a landline",
    PhoneNumberType.TOLL_FREE: "a toll-free number",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.VOIP: "a VoIP number",
    PhoneNumberType.PAGER: "a pager number",
    PhoneNumberType.UAN: "a company number",
    PhoneNumberType.VOICEMAIL: "a voicemail number",
}


def normalise(raw: str, region: str = DEFAULT_REGION, *, mobile: bool = True) -> str:
    """``raw`` in E.164, or :class:`~notify.errors.InvalidPhoneNumber` naming the reason.

    A number without an international prefix is read in ``region``.  With ``mobile``
    (the default) only numbers that can receive an SMS are accepted.
    """

    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber(raw, "empty")
    if any(c.isalpha() for c in text):
        raise InvalidPhoneNumber(raw, "letters are not allowed")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, "not a phone number")
        raise InvalidPhoneNumber(raw, reason) from exc
    if not phonenumbers.is_valid_number(number):
        length = phonenumbers.is_possible_number_with_reason(number)
        if length in _LENGTH_REASONS:
            reason = _LENGTH_REASONS[length]
        else:
            where = phonenumbers.region_code_for_number(number) or f"+{number.country_code}"
            reason = f"not a valid number in {where}"
        raise InvalidPhoneNumber(raw, reason)
    if mobile:
        kind = phonenumbers.number_type(number)
        if kind not in _SMS_TYPES:
            what = _TYPE_NAMES.get(kind, "not a mobile number")
            raise InvalidPhoneNumber(raw, f"{what} cannot receive an SMS; give a mobile "
                                          "number")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_valid(raw: str, region: str = DEFAULT_REGION, *, mobile: bool = True) -> bool:
    try:
        normalise(raw, region, mobile=mobile)
    except InvalidPhoneNumber:
        return False
    return True
