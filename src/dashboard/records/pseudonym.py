"""The Child Unique ID replaced on the way in by a keyed pseudonym (HMAC-SHA256), so one month's extract links to the
next under the council's key and to nothing else."""

from __future__ import annotations

import hmac
import os
import tomllib
from pathlib import Path

KEY_ENV = "DASHBOARD_RECORDS_KEY"
SECRETS_NAME = "records_key"  # the same key in .streamlit/secrets.toml
COUNCIL_SECRETS = "records_keys"  # [records_keys] bury = "…": a council's own key in secrets.toml
MIN_KEY_CHARS = 16
# Only for the synthetic demo records: published here, so it protects nothing and must never key real records.
DEMO_KEY = b"synthetic-demo-records-key (public, not a secret)"


class NoKey(Exception):
    """No council key: real records are never read without one."""


def _from_secrets(paths: list[Path]) -> str | None:
    for path in paths:
        try:
            with path.open("rb") as fh:
                value = tomllib.load(fh).get(SECRETS_NAME)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if value:
            return str(value)
    return None


def council_env(council: str) -> str:
    """$DASHBOARD_RECORDS_KEY_BURY for council bury (- becomes _)."""
    return f"{KEY_ENV}_{council.upper().replace('-', '_')}"


def resolve_key(
    demo: bool = False, env: dict | None = None, secrets_paths: list[Path] | None = None, council: str | None = None
) -> bytes:
    """The council's key: with `council`, its own ($DASHBOARD_RECORDS_KEY_<COUNCIL>, or [records_keys] <council> in
    secrets.toml) so its pseudonyms link to no other council's; else, or when it has none, the deployment's
    ($DASHBOARD_RECORDS_KEY or secrets.toml's records_key). The public demo key only for the synthetic demo.
    Refused (NoKey) when there is none or it is too short to be a secret."""
    if demo:
        return DEMO_KEY
    env = os.environ if env is None else env
    paths = (
        secrets_paths
        if secrets_paths is not None
        else [Path(".streamlit/secrets.toml"), Path.home() / ".streamlit/secrets.toml"]
    )
    own = (env.get(council_env(council)) or _council_secret(paths, council)) if council else None
    raw = own or env.get(KEY_ENV) or _from_secrets(paths)
    if not raw:
        theirs = f"{council_env(council)} or " if council else ""
        raise NoKey(
            f"no records key: set {theirs}{KEY_ENV} (or {SECRETS_NAME} in .streamlit/secrets.toml) to the council's "
            "secret key before reading child-level records"
        )
    if len(raw) < MIN_KEY_CHARS:
        raise NoKey(f"the records key is {len(raw)} characters; use at least {MIN_KEY_CHARS}")
    return raw.encode()


def _council_secret(paths: list[Path], council: str) -> str | None:
    """Only a council's own key in secrets.toml ([records_keys]), so an environment key for the deployment still
    comes before the file's deployment key."""
    for path in paths:
        try:
            with path.open("rb") as fh:
                keys = tomllib.load(fh).get(COUNCIL_SECRETS)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if isinstance(keys, dict) and keys.get(council):
            return str(keys[council])
    return None


def normalise_id(value: object) -> str:
    """One spelling per ID: 9212044, 9212044.0 and ' 9212044 ' are the same child."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "".join(str(value).replace("\xa0", " ").split()).upper()


def pseudonym(key: bytes, child_id: object) -> str:
    return hmac.digest(key, normalise_id(child_id).encode(), "sha256").hex()  # one C call: the same digest
