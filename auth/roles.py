"""Roles and what each may change, checked on the server side before every write.

``viewer`` reads only; ``marketing`` announces, edits, cancels and imports campaigns; ``oncall``
corrects verdicts, links incidents to campaigns and adds silences; ``admin`` does all of that and
manages users. Every write takes the ``Identity`` that asks for it, calls ``require`` first, and
audits ``Identity.audit_name`` (never a name typed into a form).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from enum import StrEnum

from store.users import ROLES


class Permission(StrEnum):
    CAMPAIGNS = "campaigns"    # announce, edit, cancel, import campaigns
    INCIDENTS = "incidents"    # correct a verdict, link an incident to a campaign
    SILENCES = "silences"      # hold back notifications
    USERS = "users"            # add, remove users, set passwords and roles


GRANTS: dict[str, frozenset[Permission]] = {
    "viewer": frozenset(),
    "marketing": frozenset({Permission.CAMPAIGNS}),
    "oncall": frozenset({Permission.INCIDENTS, Permission.SILENCES}),
    "admin": frozenset(Permission),
}
assert set(GRANTS) == set(ROLES)

WHAT = {Permission.CAMPAIGNS: "announcing, editing, cancelling or importing campaigns",
        Permission.INCIDENTS: "correcting a verdict or linking an incident to a campaign",
        Permission.SILENCES: "silencing notifications", Permission.USERS: "managing users"}


class Forbidden(PermissionError):
    """The identity's role does not allow this change; the message names the role needed."""


@dataclass(frozen=True)
class Identity:
    """A signed-in person (or the CLI's operating-system user, or an anonymous visitor) and their role.

    ``via`` says how they were identified: local, oidc, proxy, cli, anonymous or system.
    """

    name: str
    role: str
    via: str

    def __post_init__(self) -> None:
        if self.role not in GRANTS:
            raise ValueError(f"role {self.role!r} is not one of {', '.join(ROLES)}")

    @property
    def audit_name(self) -> str:
        """How the audit log names them: ``local:mia``, ``oidc:mia@example.com``, ``cli:root``, ``anonymous``."""
        return "anonymous" if self.via == "anonymous" else f"{self.via}:{self.name}"

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]


def require(who: Identity, permission: Permission) -> None:
    """Raise Forbidden unless ``who``'s role grants ``permission``."""
    if not isinstance(who, Identity):
        raise Forbidden(f"{WHAT[permission]} needs a signed-in identity, got {type(who).__name__}")
    if not who.can(permission):
        raise Forbidden(f"{who.name} has the {who.role} role; {WHAT[permission]} needs the "
                        f"{' or '.join(roles_with(permission))} role")


def roles_with(permission: Permission) -> list[str]:
    return [role for role, grants in GRANTS.items() if permission in grants]


def os_identity() -> Identity:
    """The command line's identity: the operating-system user, with every right (they own the files)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # a container user with no passwd entry
        name = "unknown"
    return Identity(name, "admin", "cli")


def anonymous(role: str) -> Identity:
    return Identity("anonymous", role, "anonymous")


def role_for_groups(groups: list[str], mapping: dict[str, str], default: str) -> str:
    """The strongest role any of ``groups`` maps to in ``mapping``; ``default`` when none is mapped."""
    order = list(GRANTS)
    found = [mapping[g] for g in groups if g in mapping]
    return max(found, key=order.index) if found else default
