"""Annex A extracts kept through the journal: each load is one journal entry holding the pseudonymised records and
their data-quality findings (never the file), so a rebuild, backup and restore keep it; a retention setting
withdraws old extracts through the journal; the figures computed from what is held can be published as the
month's figures (a new vintage). Every write goes through lifecycle.commit; all SQL is in dashboard.store."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Annotated

import pandas as pd
from pydantic import BeforeValidator, Field, field_validator

from ..input.models import _Row
from ..input.reading import LoadRejected, Problem
from ..words.formatting import count_of
from .annex_a import LISTS, RULES, Extract

RETENTION_ENV = "DASHBOARD_RECORDS_RETENTION_MONTHS"
DEFAULT_RETENTION_MONTHS = 24
LOAD_KIND, WITHDRAW_KIND, COMPUTED_KIND = "records", "records-withdrawal", "computed"
BANNER = "Synthetic records for demonstration: the figures are the council's, the children are invented."

BlankDate = Annotated[dt.date | None, BeforeValidator(lambda v: None if v in ("", None) else v)]
_ID = Field(pattern=r"^[a-z0-9-]+$")
_PSEUDONYM = re.compile(r"^([0-9a-f]{64})?$")  # an HMAC-SHA256 pseudonym, or blank: never a raw ID


class ExtractRow(_Row):
    extract: str = _ID
    vintage: str = _ID
    name: str
    as_at: dt.date
    synthetic: bool
    source_sha256: str = ""
    records: int = Field(ge=0)
    findings: int = Field(ge=0)
    authority: str = ""  # the council whose extract it is; blank in entries from before councils: the home council


class ExtractRecord(_Row):
    extract: str = _ID
    vintage: str = _ID
    list: str = Field(pattern=r"^list_\d+$")
    row: int = Field(ge=1)
    child: str = ""
    birth_month: BlankDate = None
    fields: str

    @field_validator("child")
    @classmethod
    def _pseudonym_only(cls, v: str) -> str:
        if not _PSEUDONYM.match(v):
            raise ValueError("a child is held only as its keyed pseudonym (64 hex characters)")
        return v

    @field_validator("birth_month")
    @classmethod
    def _month_only(cls, v: dt.date | None) -> dt.date | None:
        if v is not None and v.day != 1:
            raise ValueError("a date of birth is held only as its month (the first day)")
        return v

    @field_validator("fields")
    @classmethod
    def _json_object(cls, v: str) -> str:
        if not isinstance(json.loads(v), dict):
            raise ValueError("fields must be a JSON object")
        return v


class ExtractFinding(_Row):
    extract: str = _ID
    vintage: str = _ID
    list: str = Field(pattern=r"^list_\d+$")
    row: int = Field(ge=1)
    col: str
    rule: str
    detail: str = ""

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, v: str) -> str:
        if v not in RULES:
            raise ValueError(f"not a data-quality rule ({', '.join(RULES)})")
        return v


class ExtractWithdrawal(_Row):
    extract: str = _ID
    vintage: str = _ID
    reason: str
    authority: str = ""  # as ExtractRow: blank is the home council


# Entries written before extracts named a council are the deployment's own council's (lifecycle's replay fills it).
COUNCIL_TABLES = ("extracts", "extract_withdrawals")


def _fast_records(raw: list[dict], where: str, table: str) -> tuple[pd.DataFrame, list[str]]:
    """extract_records checked column-wise to ExtractRecord's rules (a replay of a Tameside-size extract checks
    16,000 records; one model call each cost seconds a build). Each problem names the entry, row and column."""
    cols = list(ExtractRecord.model_fields)
    problems: list[str] = []
    extra = sorted(set().union(*(r.keys() for r in raw)) - set(cols)) if raw else []
    if extra:
        return pd.DataFrame(columns=cols), [f"{where}, {table}: columns {extra} are not {table}'s"]
    f = pd.DataFrame(raw, columns=cols, dtype=object)  # None stays None (not NaN) for the checks below

    def check(col: str, ok: pd.Series, why: str) -> None:
        for n in (~ok).to_numpy().nonzero()[0][:20]:
            problems.append(f"{where}, {table} row {n + 1}, column {col!r}: {why}")

    def text(col: str) -> pd.Series:
        return f[col].map(lambda v: v if isinstance(v, str) else None)

    for col in ("extract", "vintage"):
        check(col, text(col).str.fullmatch(r"[a-z0-9-]+").fillna(False).astype(bool), "not a vintage id")
    check("list", text("list").str.fullmatch(r"list_\d+").fillna(False).astype(bool), "not a list (list_N)")
    rows = f["row"].map(lambda v: v if isinstance(v, int) and not isinstance(v, bool) else None)
    check("row", rows.notna() & (rows.fillna(0) >= 1), "not a row number")
    child = f["child"].map(lambda v: "" if v is None else v)
    check("child", child.map(lambda v: isinstance(v, str) and bool(_PSEUDONYM.match(v))), "not a keyed pseudonym")
    born = f["birth_month"].map(_month_or_blank)
    check("birth_month", born.map(lambda v: v is not False), "a date of birth is held only as its month")
    check("fields", text("fields").str.startswith("{").fillna(False).astype(bool), "not a JSON object")
    if problems:
        return pd.DataFrame(columns=cols), problems
    f["row"], f["child"], f["birth_month"] = rows.astype(int), child, born
    return f, problems


def _month_or_blank(v: object) -> object:
    """None for blank, the date for an ISO first-of-month, False for anything else."""
    if v in (None, ""):
        return None
    try:
        day = dt.date.fromisoformat(v) if isinstance(v, str) else None
    except ValueError:
        return False
    return day if day is not None and day.day == 1 else False


FAST = {"extract_records": _fast_records}

MODELS = {
    "extracts": ExtractRow,
    "extract_records": ExtractRecord,
    "extract_findings": ExtractFinding,
    "extract_withdrawals": ExtractWithdrawal,
}


# ---------------------------------------------------------------- an extract as rows, and back


def _plain(value: object) -> object:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def to_frames(extract: Extract, vintage: str, authority: str) -> dict[str, pd.DataFrame]:
    """The journal rows of one council's extract: what annex_a kept (pseudonym, birth month, the columns the
    figures use)."""
    records = []
    for key, frame in extract.lists.items():
        others = [c for c in frame.columns if c not in ("row", "child", "birth_month")]
        for rec in frame.to_dict("records"):
            records.append(
                {
                    "extract": vintage,
                    "vintage": vintage,
                    "list": key,
                    "row": int(rec["row"]),
                    "child": rec["child"] or "",
                    "birth_month": None if pd.isna(rec["birth_month"]) else pd.Timestamp(rec["birth_month"]).date(),
                    "fields": json.dumps({c: _plain(rec[c]) for c in others}, sort_keys=True, separators=(",", ":")),
                }
            )
    f = extract.findings
    findings = pd.DataFrame(
        {
            "extract": vintage,
            "vintage": vintage,
            "list": f["list"].astype(str),
            "row": f["row"].astype(int),
            "col": f["column"].astype(str),
            "rule": f["rule"].astype(str),
            "detail": f["detail"].astype(str),
        }
    )
    head = {
        "extract": vintage,
        "vintage": vintage,
        "name": extract.name,
        "as_at": extract.as_at,
        "synthetic": bool(extract.synthetic),
        "source_sha256": extract.sha256,
        "records": len(records),
        "findings": len(findings),
        "authority": authority,
    }
    return {
        "extracts": pd.DataFrame([head]),
        "extract_records": pd.DataFrame(records, columns=list(ExtractRecord.model_fields)),
        "extract_findings": findings,
    }


def council_of(reader, authority: str | None) -> str:
    """The council named, else the deployment's own (a command or page that names none means it)."""
    from .. import store

    return authority or store.home_authority(reader)


def held(reader, authority: str | None = None) -> pd.DataFrame:
    """One council's extracts (the home council's unless named), in load order (withdrawn ones are gone)."""
    return reader.extracts(council_of(reader, authority))


def from_store(reader, ids: list[str] | None = None, authority: str | None = None) -> list[Extract]:
    """One council's held extracts (all, or `ids`) as annex_a gave them, in load order, for compute: a council's
    figures are computed from its own extracts only."""
    head = held(reader, authority)
    if ids is not None:
        head = head[head["extract"].isin(ids)]
    if head.empty:
        return []
    wanted = head["extract"].tolist()
    recs = reader.extract_records(wanted)
    finds = reader.extract_findings(wanted)
    out = []
    for row in head.itertuples():
        mine = recs[recs["extract"] == row.extract]
        lists = {}
        for key, spec in LISTS.items():
            kinds = {c.key: c.kind for c in spec.columns}
            names = ["row", "child", "birth_month"] + [c.key for c in spec.columns if c.key not in ("child", "dob")]
            part = mine[mine["list"] == key]
            fields = pd.DataFrame([json.loads(f) for f in part["fields"]], index=part.index)
            frame = pd.DataFrame(
                {
                    "row": part["row"].astype(int).to_numpy(),
                    "child": part["child"].replace("", None).to_numpy(),
                    "birth_month": pd.to_datetime(part["birth_month"]).astype("datetime64[s]").to_numpy(),
                },
                columns=["row", "child", "birth_month"],
            )
            for c in names[3:]:
                values = fields[c].to_numpy() if c in fields else [None] * len(part)
                if kinds.get(c) == "date":
                    frame[c] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[s]")  # as annex_a
                elif kinds.get(c) == "count":
                    frame[c] = pd.Series(values, dtype=object).astype("Int64")
                else:
                    frame[c] = pd.Series(values)
            lists[key] = frame[names]
        f = finds[finds["extract"] == row.extract]
        findings = pd.DataFrame(
            {
                "list": f["list"].to_numpy(),
                "row": f["row"].astype(int).to_numpy(),
                "column": f["col"].to_numpy(),
                "rule": f["rule"].to_numpy(),
                "detail": f["detail"].to_numpy(),
            }
        )
        out.append(
            Extract(row.name, row.as_at, lists, findings, synthetic=bool(row.synthetic), sha256=row.source_sha256)
        )
    return out


# ---------------------------------------------------------------- retention


def retention_months(env: dict | None = None, secrets_path: Path | None = None) -> int:
    """$DASHBOARD_RECORDS_RETENTION_MONTHS, else `[records] retention_months` in the app's secrets or
    secrets.toml, else 24. A setting that is not a whole number of months from 1 to 240 is refused."""
    env = os.environ if env is None else env
    raw, where = env.get(RETENTION_ENV), f"${RETENTION_ENV}"
    if raw in (None, ""):
        raw, where = _secret(secrets_path)
    if raw in (None, ""):
        return DEFAULT_RETENTION_MONTHS
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= 240:
        raise LoadRejected(
            [Problem(where, None, None, f"the records retention is {text!r}: give a whole number of months, 1 to 240")]
        )
    return int(text)


def _secret(secrets_path: Path | None) -> tuple[object, str]:
    st = sys.modules.get("streamlit")
    if st is not None and secrets_path is None:
        try:
            section = st.secrets.get("records")
            if section is not None and section.get("retention_months") is not None:
                return section.get("retention_months"), "[records] retention_months in the app's secrets"
        except Exception:  # no secrets file at all is normal for the demo
            pass
    from ..writes.journal import DEFAULT_SECRETS, SECRETS_ENV

    path = secrets_path or Path(os.environ.get(SECRETS_ENV) or DEFAULT_SECRETS)
    try:
        section = tomllib.loads(path.read_text("utf-8")).get("records")
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None, ""
    if isinstance(section, dict):
        return section.get("retention_months"), f"{path} [records] retention_months"
    return None, ""


def _months_before(day: dt.date, months: int) -> dt.date:
    from .compute import _add_months

    return _add_months(day, -months)


def cutoff(newest: dt.date, months: int) -> dt.date:
    """Extracts as at a date before this are withdrawn: `months` of extracts, counted back from the newest held."""
    return _months_before(newest, months)


def purge(db_path: Path, user: str = "", months: int | None = None, authority: str | None = None) -> list[str]:
    """Withdraw every extract older than the retention allows, council by council (each counted back from its own
    newest extract; every council, or the one named): one journal entry per council, so a rebuild and a restore
    keep the withdrawal, and an audit line naming the council. Returns the names of the extracts withdrawn."""
    from .. import store

    months = months or retention_months()
    reader = store.ReadOnlyStore(db_path)
    every = reader.extracts()
    chosen = [authority] if authority else list(dict.fromkeys(every["authority"]))
    withdrawn: list[str] = []
    for council in chosen:
        withdrawn += _purge_council(db_path, user, months, council)
    return withdrawn


def _purge_council(db_path: Path, user: str, months: int, authority: str) -> list[str]:
    from .. import store
    from ..writes import audit, lifecycle

    head = held(store.ReadOnlyStore(db_path), authority)
    if head.empty:
        return []
    as_at = head["as_at"]
    limit = cutoff(max(as_at), months)
    old = head[as_at < limit]
    if old.empty:
        return []
    now = dt.datetime.now()
    vintage_id = lifecycle.new_vintage_id(WITHDRAW_KIND, now)
    names = [f"{n} as at {pd.Timestamp(d):%d %b %Y}" for n, d in zip(old["name"], old["as_at"])]
    reason = f"retention: {months} months of extracts, so those as at before {limit:%d %b %Y} are withdrawn"
    frames = {
        "extract_withdrawals": pd.DataFrame(
            {"extract": old["extract"].to_numpy(), "vintage": vintage_id, "reason": reason, "authority": authority}
        )
    }
    vintage = {
        "vintage": vintage_id,
        "label": f"Annex A extracts withdrawn by the retention setting ({len(old)}, {authority}), {now:%d %b %Y %H:%M}",
        "published": now.date(),
        "source_file": "",
        "as_of_note": reason,
    }
    who = user or lifecycle.cli_user()
    lifecycle.commit(db_path, WITHDRAW_KIND, vintage, frames, who, "", "")
    audit.record(
        db_path,
        "records retention",
        who,
        f"council {authority}: {count_of(len(old), 'Annex A extract')} withdrawn ({'; '.join(names)}): {reason}; their "
        f"records are no longer in the database (vintage {vintage_id})",
        outcome="done",
    )
    return names


# ---------------------------------------------------------------- loading an extract


def preview(path: Path, as_at: dt.date, key: bytes, name: str, include_hidden: bool = False) -> Extract:
    """Read and check an extract without writing anything (the load page's preview); LoadRejected if refused."""
    from . import annex_a

    if as_at > dt.date.today():
        raise LoadRejected([Problem(name, None, None, f"the as-at date {as_at:%d %b %Y} is in the future")])
    return annex_a.read(path, as_at, key, name=name, include_hidden=include_hidden)


def newest_record(extract: Extract) -> dt.date | None:
    """The latest date any record carries on or before the extract's as-at date (a later one is a finding), or None
    for an extract with no dates: what an as-at date should be close to."""
    day = pd.Timestamp(extract.as_at)
    latest = [
        frame[c.key][frame[c.key] <= day].max()
        for key, frame in extract.lists.items()
        for c in LISTS[key].columns
        if c.kind == "date" and c.key != "dob" and c.key in frame.columns
    ]
    latest = [d for d in latest if pd.notna(d)]
    return pd.Timestamp(max(latest)).date() if latest else None


AS_AT_SLACK_DAYS = 31  # an as-at date this long after the newest record is checked with the publisher first


def far_after(as_at: dt.date, newest: dt.date | None) -> bool:
    """The as-at date is long after the file's newest record: likely a date not meant."""
    return newest is not None and (as_at - newest).days > AS_AT_SLACK_DAYS


def cautions(reader, extract: Extract, authority: str, newest: dt.date | None, months: int | None = None) -> list[str]:
    """What the publisher should check before loading (the preview says them; nothing is refused here): an as-at
    date long after the newest record (`newest_record`), an extract already held as at the same date, and the older
    extracts the retention setting would then withdraw."""
    months = months or retention_months()
    out = []
    if far_after(extract.as_at, newest):
        out.append(
            f"The newest date in the file is {newest:%d %b %Y}, {(extract.as_at - newest).days} days before the "
            f"as-at date {extract.as_at:%d %b %Y}. Check the As at date: the figures are computed for the months "
            "before it, and a date after the records would show months with nothing in them."
        )
    head = held(reader, authority)
    same = head[head["as_at"] == extract.as_at]
    if not same.empty:
        out.append(
            f"An extract as at {extract.as_at:%d %b %Y} is already held ({', '.join(same['name'])}): each month's "
            "figures would come from the one loaded last."
        )
    if not head.empty:
        limit = cutoff(max([extract.as_at, *head["as_at"]]), months)
        old = head[head["as_at"] < limit]
        if not old.empty:
            names = "; ".join(f"{n} as at {pd.Timestamp(d):%d %b %Y}" for n, d in zip(old["name"], old["as_at"]))
            out.append(
                f"Loading it withdraws {count_of(len(old), 'older extract')} under the retention setting "
                f"({months} months of extracts): {names}."
            )
    return out


def summary(extract: Extract) -> pd.DataFrame:
    """Per list: records and findings by rule (counts only: the preview never shows a record)."""
    rows = []
    for key, frame in extract.lists.items():
        spec = LISTS[key]
        f = extract.findings[extract.findings["list"] == key]
        counts = f["rule"].value_counts()
        rows.append(
            {
                "list": f"List {spec.number}: {spec.title}",
                "records": len(frame),
                "findings": len(f),
                **{rule: int(counts.get(rule, 0)) for rule in RULES},
            }
        )
    return pd.DataFrame(rows)


def publish_extract(
    db_path: Path,
    extract: Extract,
    user: str = "",
    label: str | None = None,
    demo_key: bool = False,
    authority: str | None = None,
    identity=None,
) -> tuple[str, list[str], str]:
    """One journal entry holding one council's pseudonymised records and findings (the home council's unless
    named), then that council's retention purge: (vintage, extracts withdrawn, a note if the purge could not run).
    Refused (nothing written) for a council the deployment lacks, an extract the council already holds, or one the
    retention would withdraw at once; with `identity` (the app's signed-in publisher), also refused and audited
    unless their grant holds for that council, checked here, at the write."""
    from .. import store
    from ..auth import access
    from ..writes import audit, journal, lifecycle

    name = extract.name
    reader = store.ReadOnlyStore(db_path)
    authority = council_of(reader, authority)
    known = list(reader.table("authorities")["authority"])
    if authority not in known:
        raise LoadRejected(
            [Problem(name, None, None, f"unknown council {authority!r}: the deployment has {', '.join(known)}")]
        )
    if identity is not None and not access.permits(identity, access.PUBLISH, council=authority):
        what = f"Annex A extract {name} as at {extract.as_at:%d %b %Y} for council {authority}"
        audit.record(db_path, f"refused: {access.PUBLISH}", identity.who, what)
        raise access.Refused(identity, access.PUBLISH, council=authority)
    if demo_key and not extract.synthetic:
        raise LoadRejected(
            [
                Problem(
                    name,
                    None,
                    None,
                    "the public demo key is only for synthetic extracts (a 'Synthetic data' sheet whose A1 begins "
                    "SYNTHETIC); set the council's records key to load real records",
                )
            ]
        )
    months = retention_months()
    head = held(reader, authority)
    same = head[(head["source_sha256"] == extract.sha256) & (head["as_at"] == extract.as_at)]
    if extract.sha256 and not same.empty:
        first = same.iloc[0]
        raise LoadRejected(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"this extract (the same file, as at {extract.as_at:%d %b %Y}) is already held for council "
                    f"{authority}: loaded as "
                    f"vintage {first['vintage']} by {first['loaded_by']}",
                )
            ]
        )
    newest = max([extract.as_at, *head["as_at"]])
    if extract.as_at < cutoff(newest, months):
        raise LoadRejected(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"as at {extract.as_at:%d %b %Y} is more than {months} months before the newest extract "
                    f"({newest:%d %b %Y}) held for council {authority}, so the retention setting would withdraw it "
                    "at once",
                )
            ]
        )
    now = dt.datetime.now()
    vintage_id = lifecycle.new_vintage_id(LOAD_KIND, now)
    tag = " (synthetic)" if extract.synthetic else ""
    vintage = {
        "vintage": vintage_id,
        "label": label or f"Annex A extract {name} as at {extract.as_at:%d %b %Y}{tag}",
        "published": now.date(),
        "source_file": name,
        "as_of_note": f"as at {extract.as_at.isoformat()}, council {authority}",
    }
    who = user or lifecycle.cli_user()
    frames = to_frames(extract, vintage_id, authority)
    done = lifecycle.commit(db_path, LOAD_KIND, vintage, frames, who, name, extract.sha256)
    try:
        purged = purge(db_path, who, months, authority)
    except (journal.WriterBusy, journal.JournalError, *lifecycle.FAULTS) as exc:  # the load itself is kept
        audit.record(
            db_path,
            "records retention",
            who,
            f"council {authority}: not applied after loading {name}: {exc}",
            outcome="failed",
        )
        return done, [], f"The retention setting was not applied ({exc}): run dashboard purge-extracts."
    return done, purged, ""


def load(
    db_path: Path,
    path: Path | str,
    as_at: dt.date,
    key: bytes,
    user: str = "",
    label: str | None = None,
    include_hidden: bool = False,
    demo_key: bool = False,
    authority: str | None = None,
) -> tuple[str, Extract, list[str], str]:
    """dashboard load-annex-a: read, check and publish one council's extract (the home council's unless named).
    (vintage, extract, extracts withdrawn, note)."""
    path = Path(path)
    extract = preview(path, as_at, key, path.name, include_hidden)
    vintage, purged, note = publish_extract(db_path, extract, user, label, demo_key, authority)
    return vintage, extract, purged, note


# ---------------------------------------------------------------- the computed figures as the month's figures


def computed_for(reader, month: dt.date | None = None, authority: str | None = None):
    """compute over every extract one council holds (the home council's unless named): (Computed, extracts)."""
    from . import compute

    extracts = from_store(reader, authority=authority)
    return compute.compute(extracts), extracts


def publish_computed(
    db_path: Path, month: dt.date, user: str = "", label: str | None = None, authority: str | None = None
) -> str:
    """The month's figures computed from one council's extracts (the home council's unless named) as a new vintage
    of that council's figures (the scorecard shows them; † where they revise the previous vintage). Blank figures
    (no cases) are not published: a blank is never a zero."""
    from .. import store
    from ..writes import lifecycle

    reader = store.ReadOnlyStore(db_path)
    authority = council_of(reader, authority)
    done, extracts = computed_for(reader, authority=authority)
    figs = done.figures[done.figures["month"] == month]
    figs = figs[figs["computed"].notna()]
    known = set(reader.table("indicators")["ref"])
    figs = figs[figs["ref"].isin(known)]
    if figs.empty:
        raise LoadRejected(
            [
                Problem(
                    "Annex A extracts",
                    None,
                    None,
                    f"no figure is computed for {month:%b %Y} from the extracts held for council {authority}",
                )
            ]
        )
    now = dt.datetime.now()
    vintage_id = lifecycle.new_vintage_id(COMPUTED_KIND, now)
    sources = list(
        dict.fromkeys(f"{n} as at {pd.Timestamp(d):%d %b %Y}" for n, d in zip(figs["extract"], figs["as_at"]))
    )
    frame = pd.DataFrame(
        {
            "authority": authority,
            "ref": figs["ref"].to_numpy(),
            "period": month,
            "vintage": vintage_id,
            "value": figs["computed"].astype(float).to_numpy(),
            "status": "value",
            "note": [
                f"computed from Annex A extract {n} as at {pd.Timestamp(d):%d %b %Y}"
                for n, d in zip(figs["extract"], figs["as_at"])
            ],
            "source_file": figs["extract"].to_numpy(),
            "source_line": None,
        }
    )
    vintage = {
        "vintage": vintage_id,
        "label": label or f"{month:%b %Y} computed from Annex A extract {'; '.join(sources)}",
        "published": now.date(),
        "source_file": "; ".join(dict.fromkeys(figs["extract"])),
        "as_of_note": f"computed from Annex A extract {'; '.join(sources)}",
    }
    return lifecycle.commit(
        db_path,
        COMPUTED_KIND,
        vintage,
        {"observations": frame},
        user or lifecycle.cli_user(),
        vintage["source_file"],
        "",
    )
