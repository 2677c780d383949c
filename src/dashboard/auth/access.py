"""Who may do what: roles from a small TOML file the admin edits, resolved from the sign-in claims.

Pure (no streamlit): the app asks `permits` at the moment of every write, and the tests ask it directly.
The file is read again whenever it changes, so a role taken away stops the next write, not the next restart.
Optionally (roles-to-state) the same TOML document lives in the shared PostgreSQL state instead, and every host
reads it from there, re-read when its version number changes.

    group_claim = "groups"          # the ID-token claim holding group names (Entra ID: "groups" or "roles")

    [[grant]]
    email = "jo.bloggs@example.gov.uk"
    role = "area_editor"
    areas = ["front_door", "early_help"]

    [[grant]]
    group = "performance-team"
    role = "publisher"

    [[grant]]
    email = "team.manager@example.gov.uk"
    role = "viewer"
    records = ["cin_cp"]            # may see the children's records and workers' names behind CIN's figures
    teams = ["Locality Team North"] # optional: only that team's records
    councils = ["tameside"]         # optional: the grant holds for these councils only; without it, for every
                                    # council in the deployment (one council: today's meaning)
"""

from __future__ import annotations

import logging
import os
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..words.formatting import name_key

_log = logging.getLogger(__name__)
ROLES_ENV = "DASHBOARD_ROLES"
DEFAULT_ROLES_FILE = Path(".streamlit") / "roles.toml"

# Each role includes the one before it; area editors add commentary for their named areas only.
ROLE_ORDER = ("viewer", "area_editor", "publisher", "admin")
ROLE_WORD = {"viewer": "viewer", "area_editor": "area editor", "publisher": "publisher", "admin": "admin"}

READ, COMMENTARY, PUBLISH, MANAGE = "read", "commentary", "publish", "manage"
RECORDS = "records"  # see the children's records behind an area's figures (records = [...] on a grant)
ACTION_WORD = {
    READ: "read the dashboard",
    COMMENTARY: "publish commentary",
    PUBLISH: "load figures, targets and comparators",
    MANAGE: "manage access",
    RECORDS: "see children's records and workers' names",
}


class Grant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str | None = None
    group: str | None = None
    role: Literal["viewer", "area_editor", "publisher", "admin"]
    areas: list[str] = []
    records: list[str] = []  # areas whose children's records (and workers' names) this grant may see
    teams: list[str] = []  # with records: only these allocated teams' records (blank: every team)
    councils: list[str] = []  # empty: every council in the deployment

    @model_validator(mode="after")
    def _one_subject(self) -> Grant:
        if bool(self.email) == bool(self.group):
            raise ValueError("give exactly one of email or group")
        if self.role == "area_editor" and not self.areas:
            raise ValueError("an area_editor grant needs areas = [...]")
        if self.teams and not self.records:
            raise ValueError("teams = [...] limits record-level access: give records = [...] too")
        return self


class RolesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group_claim: str = "groups"
    grant: list[Grant] = []


class RolesError(ValueError):
    """The roles file cannot be used: which file, which grant, what is wrong. Nobody gets a role from it."""


@dataclass(frozen=True)
class Identity:
    """A person as the server knows them at this moment. `who` is what the journal and audit record."""

    who: str
    roles: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    groups: tuple[str, ...] = ()
    signed_in: bool = True
    records: frozenset[tuple[str, str]] = frozenset()  # (area, team or "*"): record-level access
    # Each matching grant as (councils, role, areas, records); () for councils means every council. No scopes at
    # all (the demo identities) means the roles above hold for every council.
    scopes: tuple[tuple[frozenset[str], str, frozenset[str], frozenset[tuple[str, str]]], ...] = ()

    def within(self, council: str) -> Identity:
        """The same person as they stand for one council: only the grants that name it (or name none)."""
        if not self.scopes:
            return self
        held = [
            (role, areas, records)
            for councils, role, areas, records in self.scopes
            if not councils or council in councils
        ]
        return Identity(
            who=self.who,
            roles=frozenset(r for r, _, _ in held),
            areas=frozenset(a for _, areas, _ in held for a in areas),
            groups=self.groups,
            signed_in=self.signed_in,
            records=frozenset(x for _, _, records in held for x in records),
        )

    @property
    def role(self) -> str | None:
        """The highest role held, or None."""
        held = [r for r in ROLE_ORDER if r in self.roles]
        return held[-1] if held else None

    def describe(self, area_names: dict[str, str] | None = None) -> str:
        """'jo@example.test (area editor for cin_cp)'; with `area_names`, the areas by name, as a page shows them."""
        if self.role is None:
            return f"{self.who} (no role)"
        named = sorted((area_names or {}).get(a, a) for a in self.areas)
        areas = f" for {', '.join(named)}" if self.areas and self.role == "area_editor" else ""
        return f"{self.who} ({ROLE_WORD[self.role]}{areas})"


def permits(identity: Identity | None, action: str, area: str | None = None, council: str | None = None) -> bool:
    """The one permission rule, checked on the server at the moment of each write. With `council`, only the grants
    that hold for that council count (a Tameside publisher may not load Bury's figures)."""
    if identity is not None and council is not None:
        identity = identity.within(council)
    if identity is None or identity.role is None:
        return False
    level = ROLE_ORDER.index(identity.role)
    if action == READ:
        return True
    if action == COMMENTARY:
        return identity.role == "admin" or (area is not None and area in identity.areas)
    if action == PUBLISH:
        return level >= ROLE_ORDER.index("publisher")
    if action == MANAGE:
        return identity.role == "admin"
    if action == RECORDS:
        return any(a == area for a, _ in identity.records)
    raise ValueError(f"unknown action {action!r}")


def readable_councils(identity: Identity | None, councils: list[str]) -> list[str]:
    """The councils, in the order given, whose figures the identity may read."""
    return [c for c in councils if permits(identity, READ, council=c)]


def roles_path() -> Path:
    return Path(os.environ.get(ROLES_ENV) or DEFAULT_ROLES_FILE)


def parse_roles(
    text: str, where: str, known_areas: set[str] | None = None, known_councils: set[str] | None = None
) -> RolesFile:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RolesError(f"{where}: not valid TOML ({exc})") from None
    try:
        roles = RolesFile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err["loc"]
            at = f"grant {loc[1] + 1}" if len(loc) > 1 and loc[0] == "grant" else ".".join(map(str, loc)) or "file"
            problems.append(f"{where}, {at}: {err['msg'].removeprefix('Value error, ')}")
        raise RolesError("; ".join(problems)) from None
    if known_areas is not None:
        for n, grant in enumerate(roles.grant, start=1):
            unknown = sorted((set(grant.areas) | set(grant.records)) - known_areas)
            if unknown:
                raise RolesError(
                    f"{where}, grant {n}: unknown area {', '.join(unknown)}; use {', '.join(sorted(known_areas))}"
                )
    if known_councils is not None:
        for n, grant in enumerate(roles.grant, start=1):
            unknown = sorted(set(grant.councils) - known_councils)
            if unknown:
                raise RolesError(
                    f"{where}, grant {n}: unknown council {', '.join(unknown)}; use {', '.join(sorted(known_councils))}"
                )
    return roles


_cache: dict[Path | tuple, tuple[object, RolesFile]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class StoredRoles:
    """The roles document as the shared state holds it: the same TOML text as the file, and who stored it when."""

    version: int
    text: str
    stored_by: str
    stored: str

    @property
    def where(self) -> str:
        return f"the roles in the shared state (version {self.version}, stored by {self.stored_by} at {self.stored})"


@dataclass(frozen=True)
class RolesState:
    """How to read the roles from the shared state: `version` is one small query (None: the state holds no roles,
    or no state is configured: the file is used), `document` the roles themselves. Either raises RolesError when
    the state cannot be read, so nobody gets a role from a state that cannot be checked."""

    version: Callable[[], int | None]
    document: Callable[[], StoredRoles | None]


# The shared state's reader is registered by writes/state.py when it is imported (the app's data module and the
# CLI's commands import it before any sign-in), not imported from here: auth sits below writes, and all the
# PostgreSQL SQL stays in state.py.
_roles_state: RolesState | None = None
STATE_RECHECK_SECONDS = 3.0  # how stale the roles may be on a host: the version is asked at most this often
_version_seen: tuple[float, int | None] | None = None  # (when asked, version)


def use_roles_state(reader: RolesState | None) -> None:
    """Read the roles from the shared state when it holds them (None: the file only, as without a state)."""
    global _roles_state, _version_seen
    with _cache_lock:
        _roles_state, _version_seen = reader, None


def _state_version() -> int | None:
    """The stored roles' version, asked of the state at most every STATE_RECHECK_SECONDS (like the file's stat)."""
    global _version_seen
    reader = _roles_state
    if reader is None:
        return None
    now = time.monotonic()
    with _cache_lock:
        seen = _version_seen
    if seen is not None and now - seen[0] < STATE_RECHECK_SECONDS:
        return seen[1]
    try:
        version = reader.version()
    except RolesError as exc:
        if seen is None:  # never answered: this host cannot tell whether the state holds roles, so nobody gets one
            raise
        # An outage: what it last answered (no roles stored, or version N) still holds here, as a mounted file
        # would; asked again after STATE_RECHECK_SECONDS, so a down state costs one failed connection per interval.
        _log.warning("roles: %s; using what the state last answered (version %s)", exc, seen[1])
        version = seen[1]
    with _cache_lock:
        _version_seen = (now, version)
    return version


def forget_cached_roles() -> None:
    """Read the roles afresh on the next call (as a newly started host would)."""
    global _version_seen, _document
    with _cache_lock:
        _cache.clear()
        _version_seen = _document = None


def _known_stamp(known_areas: set[str] | None, known_councils: set[str] | None) -> tuple:
    return (tuple(sorted(known_areas or ())), tuple(sorted(known_councils or ())))


def load_roles(
    path: Path | None = None, known_areas: set[str] | None = None, known_councils: set[str] | None = None
) -> RolesFile:
    """The roles: from the shared state when it holds them (re-read when their version changes), else the roles
    file, re-read when its size or modification time changes. A missing file grants nothing. An explicit path
    always reads that file."""
    version = _state_version() if path is None else None
    if version is not None:
        return _load_stored(version, known_areas, known_councils)
    path = Path(path or roles_path())
    try:
        stat = path.stat()
    except FileNotFoundError:
        return RolesFile()
    stamp = (stat.st_mtime_ns, stat.st_size, *_known_stamp(known_areas, known_councils))
    with _cache_lock:
        cached = _cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
    roles = parse_roles(path.read_text(encoding="utf-8"), str(path), known_areas, known_councils)
    with _cache_lock:
        _cache[path] = (stamp, roles)
    return roles


def _load_stored(version: int, known_areas: set[str] | None, known_councils: set[str] | None) -> RolesFile:
    known = _known_stamp(known_areas, known_councils)
    with _cache_lock:
        cached = _cache.get(("state", known))  # one per caller's known areas and councils (sign-in, admin page)
        if cached and cached[0] >= version:  # (a document read after the version was asked may be newer)
            return cached[1]
    stored = _stored_document(version)
    roles = parse_roles(stored.text, stored.where, known_areas, known_councils)
    with _cache_lock:
        _cache[("state", known)] = (stored.version, roles)
    return roles


_document: StoredRoles | None = None  # the last document read: kept to serve its version through an outage


def _stored_document(version: int) -> StoredRoles:
    global _document
    with _cache_lock:
        held = _document
    if held is not None and held.version >= version:
        return held
    stored = _roles_state.document()
    if stored is None:  # removed since the version was asked: the next check sees it
        raise RolesError("the roles in the shared state changed while being read; try again")
    with _cache_lock:
        _document = stored
    return stored


def roles_origin() -> str:
    """Where load_roles reads the roles from, for the admin's page."""
    version = _state_version()
    return str(roles_path()) if version is None else _stored_document(version).where


def resolve(roles: RolesFile, claims: dict) -> Identity:
    """Claims from the identity provider (email, name, groups) to roles: every matching grant counts."""
    email = str(claims.get("email") or "").strip().lower()
    who = email or str(claims.get("preferred_username") or claims.get("sub") or "unknown").strip()
    raw_groups = claims.get(roles.group_claim) or []
    groups = tuple(str(g) for g in (raw_groups if isinstance(raw_groups, list | tuple) else [raw_groups]))
    held, areas, records, scopes = set(), set(), set(), []
    for grant in roles.grant:
        if (grant.email and email and grant.email.strip().lower() == email) or (grant.group and grant.group in groups):
            held.add(grant.role)
            areas.update(grant.areas)
            granted = {(a, t if t == "*" else name_key(t)) for a in grant.records for t in (grant.teams or ["*"])}
            records.update(granted)
            scopes.append((frozenset(grant.councils), grant.role, frozenset(grant.areas), frozenset(granted)))
    return Identity(
        who=who,
        roles=frozenset(held),
        areas=frozenset(areas),
        groups=groups,
        records=frozenset(records),
        scopes=tuple(scopes),
    )


def record_teams(identity: Identity | None, area: str) -> frozenset[str] | None:
    """The teams whose records the identity may see in an area: None for every team, an empty set for none."""
    if identity is None or identity.role is None:
        return frozenset()
    teams = {t for a, t in identity.records if a == area}
    return None if "*" in teams else frozenset(teams)


DEMO_VIEWER = Identity(who="anyone (sign-in not configured)", roles=frozenset({"viewer"}), signed_in=False)
DEMO_ADMIN = Identity(who="admin (app, shared secret)", roles=frozenset({"admin"}), signed_in=False)


@dataclass
class Refused(Exception):
    """A write the identity may not make; the message says what and why."""

    identity: Identity | None
    action: str
    area: str | None = None
    detail: str = field(default="")
    council: str | None = None

    def __str__(self) -> str:
        who = self.identity.describe() if self.identity else "nobody signed in"
        scope = f" for {self.area}" if self.area else ""
        where = f" for council {self.council}" if self.council else ""
        return f"Refused: {who} may not {ACTION_WORD.get(self.action, self.action)}{scope}{where}."


def require(identity: Identity | None, action: str, area: str | None = None, council: str | None = None) -> Identity:
    if not permits(identity, action, area, council):
        raise Refused(identity, action, area, council=council)
    return identity
