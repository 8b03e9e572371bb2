"""Inputs for admissions and residence changes."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from care.residents.models import DementiaStatus
from care.residents.rules import normalise_ods_code, ods_code_problem
from care.types import NO_NUL, IsoDate

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100,
                                        pattern=NO_NUL)]


def _ods_code(raw: str) -> str:
    code = normalise_ods_code(raw)
    problem = ods_code_problem(code)
    if problem:
        raise PydanticCustomError("ods_code", problem)
    return code


# Typed on any keyboard (fullwidth, Arabic-Indic digits...), stored as ASCII upper case, so the
# PCN alignment check and every search compare one form.
OdsCode = Annotated[str, StringConstraints(max_length=40, pattern=NO_NUL),
                    AfterValidator(_ods_code)]


class AdmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nhs_number: str = Field(max_length=40, description=(
        "10 digits (spaces and dashes allowed; digits of any script are read as ASCII); an issued "
        "range (3, 4, 6, 7; a Scottish CHI number; 999 for test patients); Modulus 11"))
    given_name: Name
    family_name: Name
    date_of_birth: IsoDate
    home_id: uuid.UUID
    admitted_on: IsoDate
    room: str | None = Field(default=None, max_length=20, pattern=NO_NUL)
    gp_practice_ods: OdsCode = Field(description="3 to 10 letters and digits, e.g. A81001")
    gp_practice_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                       max_length=200, pattern=NO_NUL)]
    representative_name: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    representative_relationship: str | None = Field(default=None, max_length=100, pattern=NO_NUL)
    representative_phone: str | None = Field(default=None, max_length=40, pattern=NO_NUL)
    dementia_status: DementiaStatus = DementiaStatus.UNKNOWN


class ReadmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    readmitted_on: IsoDate
    note: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)


class HospitalStayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    admitted_on: IsoDate
    hospital_name: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    note: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)


class DischargeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    discharged_on: IsoDate
    destination: str | None = Field(default=None, max_length=200, pattern=NO_NUL)


class DeathIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    died_on: IsoDate
    place_of_death: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
