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
    """What a user may do (never what case data they see: that is the label's and the agency's).
    The table of who may do what is docs/architecture.md "Roles"; the checks are access/admin.py."""

    PLATFORM_ADMIN = "platform_admin"  # the installation: agencies, users of any agency, oversight grants
    AGENCY_ADMIN = "agency_admin"  # users, tokens and sessions of their own agency only
    COORDINATOR = "coordinator"  # operations their agency leads; accepts invitations for their agency
    ANALYST = "analyst"
    INVESTIGATOR = "investigator"
    AUDITOR = "auditor"  # the audit entries of their own agency, in operations it belongs to
    OVERSIGHT = "oversight"  # the whole audit log; granted only by a platform admin

    @classmethod
    def parse(cls, text: str) -> Role:
        cleaned = text.strip().lower().replace("-", "_")
        try:
            return cls(cleaned)
        except ValueError:
            from caseweave.errors import Invalid

            hint = (
                "'admin' is now platform_admin (the installation) or agency_admin (one agency)"
                if cleaned == "admin"
                else f"use one of {', '.join(role.value for role in cls)}"
            )
            raise Invalid(f"unknown role {text!r}", field="roles", hint=hint) from None


class MemberRole(StrEnum):
    LEAD = "lead"
    PARTNER = "partner"
    OBSERVER = "observer"


# Roles that may create or change case data, and membership roles whose agencies may.
CASE_WRITERS = frozenset({Role.COORDINATOR, Role.ANALYST, Role.INVESTIGATOR})
ADMIN_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.AGENCY_ADMIN})
# Roles that must log in with a second factor (TOTP): they change who can see what.
SECOND_FACTOR_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.AGENCY_ADMIN, Role.COORDINATOR})
WRITING_MEMBERS = frozenset({MemberRole.LEAD, MemberRole.PARTNER})
