"""Pure rules about residents."""

from __future__ import annotations

import re

from nhs_number.validate import is_valid as _modulus_11_valid

_NON_DIGITS = re.compile(r"[\s-]")


def normalise_nhs_number(raw: str) -> str:
    """Strip spaces and dashes; the stored form is 10 digits."""
    return _NON_DIGITS.sub("", raw or "")


def nhs_number_problem(raw: str) -> str | None:
    """Why an NHS number is invalid (Modulus 11 check), or ``None`` when it is valid.

    Source: NHS Data Dictionary, NHS NUMBER (check digit by Modulus 11).
    """
    digits = normalise_nhs_number(raw)
    if not digits.isdigit() or len(digits) != 10:
        return "must be 10 digits"
    if not _modulus_11_valid(digits):
        return "fails the Modulus 11 check digit"
    return None


def format_nhs_number(digits: str) -> str:
    """Display form 3-3-4, as NHS.UK shows it."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
