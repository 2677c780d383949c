"""Several councils in one deployment (README, Several councils): adding a council, its admin's choice to share
monthly figures with its region before DfE publishes, and the SYNTHETIC second council the tests and the demo use.

Every write here goes through lifecycle.commit (journaled, so never lost; the manifest names the council and who
made it, which is the audit of it). Permission is the caller's to check at the moment of the write (the app's
signin.authorise); the CLI is run by whoever holds the host, as every other CLI write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pandas as pd

from .. import store
from ..engine import regional
from ..input.models import Authority, RegionalSharing
from ..input.reading import LoadRejected, Problem
from ..words.vocabulary import REGION_NAME
from . import lifecycle

SHARING_KIND, COUNCIL_KIND = "sharing", "council"
_ID = re.compile(r"^[a-z0-9_-]{2,40}$")

# The demo's and tests' second council: every name and vintage says its figures are invented.
SYNTHETIC_ID = "synthetic-borough"
SYNTHETIC_NAME = "Synthetic Borough (SYNTHETIC figures, not a real council)"
SYNTHETIC_NOTE = "SYNTHETIC: invented for demonstration and tests; derived deterministically, never published"


def regions(reader: store.ReadOnlyStore) -> dict[str, str]:
    """council -> its region ("" when it has none)."""
    auth = reader.table("authorities")
    codes, declared = auth["la_code"].fillna(""), auth["region"].fillna("")
    return {a: regional.region_of(code, d) for a, code, d in zip(auth["authority"], codes, declared)}


def add_council(
    db_path,
    authority: str,
    name: str,
    population_0_17: int,
    region: str = "",
    la_code: str = "",
    note: str = "",
    user: str = "",
) -> str:
    """Add a council to the deployment (a new vintage of kind "council"); refused if it is already there."""
    reader = store.ReadOnlyStore(db_path)
    where = "council"
    problems = []
    if not _ID.match(authority):
        problems.append(Problem(where, None, "authority", f"{authority!r}: use 2-40 of a-z, 0-9, - and _"))
    elif authority in set(reader.table("authorities")["authority"]):
        problems.append(Problem(where, None, "authority", f"the deployment already has a council {authority!r}"))
    try:
        row = Authority(
            authority=authority,
            name=name.strip(),
            population_0_17=population_0_17,
            population_note=note,
            la_code=la_code,
            region=region,
        ).model_dump(mode="python")
    except ValueError as exc:
        problems.append(Problem(where, None, "council", str(exc).splitlines()[0]))
    if not name.strip():
        problems.append(Problem(where, None, "name", "the council needs a name"))
    if problems:
        raise LoadRejected(problems)
    now = dt.datetime.now()
    vintage = {
        "vintage": lifecycle.new_vintage_id(COUNCIL_KIND, now),
        "label": f"Council added: {name.strip()}, {now:%d %b %Y %H:%M}",
        "published": now.date(),
        "source_file": "",
        "as_of_note": f"council {authority} added to the deployment",
    }
    return lifecycle.commit(
        db_path, COUNCIL_KIND, vintage, {"authorities": pd.DataFrame([row])}, user or lifecycle.cli_user(), "", ""
    )


def set_sharing(db_path, authority: str, shared: bool, user: str = "") -> str:
    """The council's admin shares (or stops sharing) its monthly figures with its region: a new vintage."""
    reader = store.ReadOnlyStore(db_path)
    where = "regional sharing"
    region = regions(reader).get(authority)
    if region is None:
        raise LoadRejected([Problem(where, None, "authority", f"unknown council {authority!r}")])
    if not region:
        raise LoadRejected([Problem(where, None, "region", f"council {authority!r} has no region to share with")])
    now = dt.datetime.now()
    vintage_id = lifecycle.new_vintage_id(SHARING_KIND, now)
    word = "shares" if shared else "stops sharing"
    region_name = REGION_NAME.get(region, region)
    row = RegionalSharing(
        authority=authority, region=region, shared=shared, vintage=vintage_id, note=f"{authority} {word} with {region}"
    )
    vintage = {
        "vintage": vintage_id,
        "label": f"Regional sharing: {authority} {word} its monthly figures with {region_name}, {now:%d %b %Y %H:%M}",
        "published": now.date(),
        "source_file": "",
        "as_of_note": row.note,
    }
    return lifecycle.commit(
        db_path,
        SHARING_KIND,
        vintage,
        {"regional_sharing": pd.DataFrame([row.model_dump(mode="python")])},
        user or lifecycle.cli_user(),
        "",
        "",
    )


def regional_comparator(reader: store.ReadOnlyStore, authority: str, vintage: str | None, month: dt.date):
    """(region, the comparator frame) for the council in view and month: only councils sharing now are in it."""
    region = regions(reader).get(authority, "")
    if not region:
        return "", pd.DataFrame(columns=regional.COLUMNS)
    sharing = reader.regional_sharing_as_of("latest")  # a council that stopped sharing leaves every view at once
    shared = regional.sharing_councils(sharing, region)
    figures = reader.figures_for_month(vintage, shared, month)
    return region, regional.comparator(figures, sharing, region)


# ---------------------------------------------------------------- the SYNTHETIC second council


def _unit_draw(seed: int, ref: str, what: str) -> float:
    """A number in [0, 1) fixed by the seed and the ref: the same inputs give the same figures."""
    digest = hashlib.sha256(f"{seed}:{ref}:{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def synthetic_figures(reader: store.ReadOnlyStore, authority: str = SYNTHETIC_ID, seed: int = 1) -> pd.DataFrame:
    """A SYNTHETIC council's monthly figures in the long layout (ref, period, value, authority): the home council's
    latest figures moved by a fixed per-indicator factor, so the shapes are plausible and nothing is anyone's."""
    home = store.home_authority(reader)
    obs = reader.observations_as_of("latest", home)
    obs = obs[(obs["status"] == "value") & obs["value"].notna()]
    units = reader.table("indicators").set_index("ref")["unit"]
    out = []
    for ref, period, value in zip(obs["ref"], obs["period"], obs["value"]):
        if ref.startswith("CW"):
            continue  # weekly refs are loaded by week, not month
        unit = units.get(ref, "count")
        if unit == "percent":  # written with its sign, as the loader asks of a percentage under 1
            shifted = min(100.0, max(0.0, value + (_unit_draw(seed, ref, "shift") - 0.5) * 16))
            new = f"{round(shifted, 1)}%"
        else:
            factor = 0.6 + 0.5 * _unit_draw(seed, ref, "scale")
            new = round(value * factor) if unit == "count" else round(value * factor, 1)
        out.append({"ref": ref, "period": pd.Timestamp(period).strftime("%Y-%m"), "value": new, "authority": authority})
    return pd.DataFrame(out, columns=["ref", "period", "value", "authority"]).sort_values(["ref", "period"])


def write_synthetic_csv(reader: store.ReadOnlyStore, out, authority: str = SYNTHETIC_ID, seed: int = 1) -> int:
    """The synthetic council's figures as a long CSV the loader reads; returns the number of figures."""
    frame = synthetic_figures(reader, authority, seed)
    frame.to_csv(out, index=False)
    return len(frame)
