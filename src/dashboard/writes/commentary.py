"""An area's commentary for a month, written in the app: validated like any upload, kept as a new vintage
through the write journal (earlier wording is never replaced)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd

from .. import store
from ..input.models import Commentary
from ..input.reading import LoadRejected, Problem
from ..words.periods import iso, this_month
from ..words.vocabulary import service_area_ids
from . import lifecycle
from .writing import Write, new_vintage

MAX_CHARS = 8000


def publish(
    db_path: Path,
    area: str,
    month: dt.date,
    text: str,
    author: str = "",
    authority: str | None = None,
    user: str = "",
    drafted: bool = False,
) -> str:
    """Store one area's commentary for a month as a new vintage (earlier wording is kept, as with figures).
    Validated like any upload: an unknown area, a future month or an over-long text is rejected.
    author: the name the writer gave (else the signed-in user); drafted: it began as the figures' draft."""
    reader = store.ReadOnlyStore(db_path)
    authority = authority or store.home_authority(reader)
    body = text.strip()
    problems = check(reader, area, month, body, authority)
    if problems:
        raise LoadRejected(problems)
    source = source_phrase(author.strip() or user.strip(), drafted)
    vintage = new_vintage("commentary", source, "Commentary edit", note=f"{area} commentary for {iso(month)}")
    row = Commentary(
        authority=authority, area=area, period=month, vintage=vintage["vintage"], text=body, source_file=source
    )
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    frames = {"commentary": pd.DataFrame([row.model_dump(mode="python")])}
    return lifecycle.commit_write(
        db_path, Write("commentary", vintage, frames, user or author.strip() or "app", digest)
    )


def check(reader: store.ReadOnlyStore, area: str, month: dt.date, body: str, authority: str) -> list[Problem]:
    """What is wrong with a commentary before it is written: an unknown area or council, a future month, no
    words or too many."""
    where = "commentary"
    areas = service_area_ids(reader.table("areas"))
    problems = []
    if area not in areas:
        problems.append(Problem(where, None, "area", f"unknown area {area!r}; choose from {', '.join(sorted(areas))}"))
    if authority not in set(reader.table("authorities")["authority"]):
        problems.append(Problem(where, None, "authority", f"unknown authority {authority!r}"))
    if month > this_month():
        problems.append(Problem(where, None, "month", f"{iso(month)} is in the future"))
    if not body:
        problems.append(Problem(where, None, "text", "the commentary is empty"))
    elif len(body) > MAX_CHARS:
        problems.append(Problem(where, None, "text", f"{len(body):,} characters; the limit is {MAX_CHARS:,}"))
    return problems


def source_phrase(who: str, drafted: bool = False) -> str:
    """Where the words came from, as Revisions lists it: 'drafted from the figures, edited by jo@example.test'."""
    origin = "drafted from the figures, edited" if drafted else "edited in the app"
    return f"{origin} by {who}" if who else origin
