"""Who may see and change what: the access file's rules, and the check every write in the core makes.

Three roles, each including the one before: a **viewer** sees every page and downloads; an **editor** also saves
incident reviews, action items, severity validations and simulator scenarios; an **admin** also loads exports
through the app and imports into the store. The pages hide what a role cannot use, but the refusal lives here:
each write in the core calls `require` with the actor, so a forged click is refused too.

Without sign-in (the app on a laptop, the command line) the actor is the operating-system user, as admin: whoever
can run the process can already read and write the store file.
"""

from __future__ import annotations

import fnmatch
import getpass
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sla_core.errors import UserError

Role = Literal["viewer", "editor", "admin"]
RANK: dict[str, int] = {"viewer": 0, "editor": 1, "admin": 2}
ACCESS_ENV = "SLA_BOARD_ACCESS"  # the access file's path; default: access.yaml in the working directory
DEFAULT_ACCESS = "access.yaml"


class AccessError(UserError, PermissionError):
    """A write the actor's role does not allow, or an access file that cannot be read."""


class RoleRule(BaseModel):
    """`match` is an e-mail address or a glob over it (`*@example.com`); the first matching rule gives the role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = Field(min_length=1)
    role: Role


class AccessFile(BaseModel):
    """Who may sign in (`allowed_domains`, `allowed_emails`; both empty = anyone the identity provider signs in)
    and with which role (`roles`, first match; else `default_role`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_domains: list[str] = Field(default_factory=list)
    allowed_emails: list[str] = Field(default_factory=list)
    roles: list[RoleRule] = Field(default_factory=list)
    default_role: Role = "viewer"

    @field_validator("allowed_domains", "allowed_emails", mode="after")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [v.strip().lower().lstrip("@") for v in values]

    def role_of(self, email: Optional[str]) -> Optional[Role]:
        """The role of a signed-in address, or None when it may not sign in."""
        if not email or "@" not in email:
            return None
        address = email.strip().lower()
        domain = address.rsplit("@", 1)[1]
        if (self.allowed_domains or self.allowed_emails) and not (
            domain in self.allowed_domains or address in self.allowed_emails
        ):
            return None
        for rule in self.roles:
            if fnmatch.fnmatchcase(address, rule.match.strip().lower()):
                return rule.role
        return self.default_role


def access_path() -> Path:
    return Path(os.environ.get(ACCESS_ENV) or DEFAULT_ACCESS)


def load_access(path: Optional[Union[str, Path]] = None) -> AccessFile:
    """The access file; a missing one lets anyone the identity provider signs in view, and no more."""
    path = Path(path) if path is not None else access_path()
    if not path.is_file():
        return AccessFile()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return AccessFile.model_validate(data)
    except (yaml.YAMLError, OSError) as err:
        raise AccessError(f"access file {path}: {' '.join(str(err).split())[:200]}") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AccessError(f"access file {path}, {where}: {first['msg']}") from None


@dataclass(frozen=True)
class Actor:
    """Who is doing something: a signed-in address or the operating-system user, with a role."""

    who: str
    role: Role

    def can(self, needed: Role) -> bool:
        return RANK[self.role] >= RANK[needed]


def local_actor() -> Actor:
    """The operating-system user, as admin: the command line, and the app without sign-in."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container)
        name = f"uid {os.getuid()}" if hasattr(os, "getuid") else "local user"
    return Actor(who=f"{name} (local)", role="admin")


def require(actor: Actor, needed: Role, action: str) -> None:
    """Refuse `action` unless the actor's role includes `needed`."""
    if not actor.can(needed):
        raise AccessError(f"{actor.who} is a {actor.role}: {action} needs the {needed} role")


def exposed(address: Optional[str]) -> bool:
    """Whether a server bound to `address` (Streamlit's server.address; unset = every interface) can be reached
    from other machines."""
    if not address:
        return True
    if address.strip().lower() == "localhost":
        return False
    try:
        return not ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:  # a host name: it resolves to whatever the network says
        return True
