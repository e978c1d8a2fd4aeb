"""TLP 2.0 labels and the roles a user can hold."""

from __future__ import annotations

from enum import StrEnum


class TLP(StrEnum):
    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @classmethod
    def parse(cls, text: str) -> TLP:
        """Accept 'amber+strict', 'tlp:amber', 'WHITE' (TLP 1.0 name of CLEAR) and the like."""
        cleaned = text.strip().upper().removeprefix("TLP:").replace("_", "+").replace(" ", "")
        if cleaned == "WHITE":
            cleaned = "CLEAR"
        for label in cls:
            if label.value == cleaned:
                return label
        from caseweave.errors import Invalid

        raise Invalid(
            f"unknown TLP label {text!r}",
            field="tlp",
            hint="use one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED",
        )

    @property
    def strictness(self) -> int:
        return list(TLP).index(self)


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    INVESTIGATOR = "investigator"
    AUDITOR = "auditor"

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text.strip().lower())
        except ValueError:
            from caseweave.errors import Invalid

            raise Invalid(
                f"unknown role {text!r}",
                field="roles",
                hint="use admin, coordinator, analyst, investigator or auditor",
            ) from None


class MemberRole(StrEnum):
    LEAD = "lead"
    PARTNER = "partner"
    OBSERVER = "observer"


# Roles that may create or change case data, and membership roles whose agencies may.
CASE_WRITERS = frozenset({Role.COORDINATOR, Role.ANALYST, Role.INVESTIGATOR})
WRITING_MEMBERS = frozenset({MemberRole.LEAD, MemberRole.PARTNER})
