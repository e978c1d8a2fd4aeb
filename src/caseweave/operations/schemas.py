"""API shapes for agencies, operations and memberships."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class AgencyIn(BaseModel):
    code: str = Field(examples=["GB-NCA"])
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["GB"])
    kind: str = Field(default="police", examples=["police", "hotline", "customs"])
    contact_point: str = Field(examples=["duty-desk@example.org"])


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    country: str
    kind: str
    contact_point: str


class OperationIn(BaseModel):
    name: str
    lead_agency: str = Field(description="code of the lead agency")
    start_date: date
    status: str = "active"


class OperationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    lead_agency: AgencyOut
    start_date: date
    status: str


class MembershipIn(BaseModel):
    agency: str = Field(description="agency code")
    role: str = Field(default="partner", examples=["partner", "observer"])
    joined_on: date | None = None


class MembershipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    operation_id: int
    agency: AgencyOut
    role: str
    joined_on: date
    status: str = Field(description="invited, active (accepted) or declined")


class OperationRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    lead_agency: AgencyOut


class InvitationOut(MembershipOut):
    operation: OperationRef
