"""Pure rules about residents: identifiers (NHS number, GP practice ODS code) and dates."""

from __future__ import annotations

import unicodedata
from datetime import date

from nhs_number.validate import is_valid as _modulus_11_valid

#: The oldest verified human lifespan is 122 years (Jeanne Calment, 1875-1997); a date of birth
#: giving more than 125 is a typing error (1800, 0001), not a resident.
MAX_AGE_YEARS = 125


def ascii_identifier(raw: str) -> str:
    """An identifier in the one form that is stored, compared and searched.

    Unicode NFKC folds compatibility forms (fullwidth digits U+FF10-FF19 and letters, no-break
    and ideographic spaces, fullwidth hyphens); every remaining decimal digit (general category
    Nd: Arabic-Indic U+0660-0669, Persian U+06F0-06F9, Devanagari...) becomes its ASCII digit.
    Without this, one person's number typed on another keyboard is a different string and the
    duplicate check misses it.
    Source: Unicode Standard Annex #15 (normalisation forms); UnicodeData.txt decimal values.
    """
    folded = unicodedata.normalize("NFKC", raw or "")
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in folded)


def normalise_nhs_number(raw: str) -> str:
    """The stored form: ASCII digits (``ascii_identifier``) without spaces or dashes."""
    return "".join(ch for ch in ascii_identifier(raw)
                   if not ch.isspace() and unicodedata.category(ch) != "Pd")


def _is_day_and_month(ddmm: str) -> bool:
    try:
        date(2000, int(ddmm[2:]), int(ddmm[:2]))  # a leap year, so 29 February counts
    except ValueError:
        return False
    return True


def nhs_number_range_problem(digits: str) -> str | None:
    """Why 10 digits cannot be a number issued to a person, or ``None``.

    Issued: England, Wales and the Isle of Man 400-499 and 600-799 million, and England's newer
    3xx; Northern Ireland's H&C numbers 320-399 million; Scotland's CHI numbers start with the
    day and month of birth (DDMMYY...); 999 is the range reserved for test patients, never issued
    to a person (the demo, tests and training use it). Everything else is never issued: 5xx (not
    to be issued), 8xx (the Republic of Ireland's IHI, unreserved), 900-998, and any 0-2 prefix
    that is not a real day and month (so 0000000000, and anything starting 000).
    Sources: NHS Digital, NHS Number allocation ranges, as collated in the ``nhs_number``
    package's ``constants`` (we already depend on it); NHS England, test data (999 range);
    NHS Scotland, CHI number format.
    """
    if digits[0] in "3467" or digits.startswith("999"):
        return None
    if digits[0] in "012" and _is_day_and_month(digits[:4]):
        return None
    return ("cannot have been issued to a person: NHS numbers start with 3, 4, 6 or 7 "
            "(999 for test patients), Scottish CHI numbers with the day and month of birth")


def nhs_number_problem(raw: str) -> str | None:
    """Why an NHS number is invalid, or ``None`` when it is valid: 10 digits (any script, spaces
    and dashes allowed), in an issued range (``nhs_number_range_problem``), Modulus 11 check digit.

    Source: NHS Data Dictionary, NHS NUMBER (check digit by Modulus 11).
    """
    digits = normalise_nhs_number(raw)
    if not (digits.isascii() and digits.isdigit()) or len(digits) != 10:
        return "must be 10 digits"
    if not _modulus_11_valid(digits):
        return "fails the Modulus 11 check digit"
    return nhs_number_range_problem(digits)


def format_nhs_number(digits: str) -> str:
    """Display form 3-3-4, as NHS.UK shows it."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def normalise_ods_code(raw: str) -> str:
    """An ODS organisation code as stored: ASCII (``ascii_identifier``), trimmed, upper case.
    Anything still not ASCII is left as it is for ``ods_code_problem`` to refuse (``"ß".upper()``
    would otherwise turn it into the ASCII ``"SS"``)."""
    code = ascii_identifier(raw).strip()
    return code.upper() if code.isascii() else code


def ods_code_problem(code: str) -> str | None:
    """Why a normalised ODS code is invalid, or ``None``: 3 to 10 letters and digits.

    Source: NHS Data Dictionary, ORGANISATION CODE (alphanumeric; a GP practice's is six, e.g.
    A81001; the product also takes the shorter codes of other organisations).
    """
    if not (code.isascii() and code.isalnum()) or not 3 <= len(code) <= 10:
        return "must be 3 to 10 letters and digits, e.g. A81001"
    return None


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February, in a year that has none
        return today.replace(year=today.year - years, day=28)


def past_date_problem(day: date, today: date) -> str | None:
    """Why the date of something that has happened (an admission, a discharge) is implausible:
    in the future, or before anyone now living was born (``MAX_AGE_YEARS``)."""
    if day > today:
        return "must not be in the future"
    if day < _years_before(today, MAX_AGE_YEARS):
        return f"is more than {MAX_AGE_YEARS} years ago; please re-check the year"
    return None


def date_of_birth_problem(born: date, today: date) -> str | None:
    """Why a date of birth is implausible: in the future, or an age over ``MAX_AGE_YEARS``."""
    if born > today:
        return "must not be in the future"
    if born < _years_before(today, MAX_AGE_YEARS):
        return f"gives an age over {MAX_AGE_YEARS} years; please re-check the year"
    return None
