"""dashboard build | load FILE | load-targets FILE | load-comparators FILE | load-national FILE... |
load-plan FILE | backup OUT | restore ARCHIVE | migrate-state --to URL [--roles] | catch-up |
roles-to-state --file F | roles-from-state --out F | dump |
scorecard --month YYYY-MM | benchmark --ref REF [--year Y] |
export --month YYYY-MM --format F --out FILE | records-compute FILE --as-at D | load-annex-a FILE --as-at D |
reconcile --month M [--extract FILE --as-at D] | publish-computed --month M | purge-extracts |
synth-annex-a --as-at D --out DIR | add-council ID --name N | share-region --council ID [--stop] |
synth-council --out FILE"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .words.formatting import count_of
from .words.periods import iso, parse_period

if TYPE_CHECKING:
    from . import store

# Each command imports what it needs when it runs: `export --format csv` never pays for the loaders' validation
# models, the workbook reader or the PDF's fonts, and `--help` starts no pandas at all.

HIDDEN_HELP = "read rows and columns hidden in an XLSX sheet (refused by default, naming them)"
COUNCIL_HELP = "the council (default: the deployment's own)"


def db_path(arg: str | None) -> Path:
    from . import store

    return Path(arg or os.environ.get("DASHBOARD_DB") or store.DEFAULT_DB)


def _refused(exc: Exception) -> int:
    """A write that was refused: what was wrong, and that nothing changed."""
    from .input import reading

    if isinstance(exc, reading.LoadRejected):
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"rejected: {count_of(len(exc.problems), 'problem')}; nothing was loaded", file=sys.stderr)
    else:
        print(f"refused: {exc}", file=sys.stderr)
    return 1


def refusals() -> tuple[type[Exception], ...]:
    """The refusals a write can meet (each printed as what was wrong, and that nothing changed)."""
    from .input import ingest, reading
    from .writes import journal, lifecycle

    return (
        reading.LoadRejected,
        journal.WriterBusy,
        journal.JournalError,
        lifecycle.RestoreRefused,
        ingest.SampleDataError,
    )


def cmd_build(args) -> int:
    from .input import ingest
    from .writes import lifecycle

    try:
        counts = lifecycle.build(db_path(args.db), Path(args.sample_dir) if args.sample_dir else ingest.SAMPLE_DIR)
    except refusals() as exc:
        print(f"build stopped, nothing was published:\n{exc}", file=sys.stderr)
        return 1
    print(
        f"built {db_path(args.db)}: {counts['observations']} monthly and {counts['weekly']} weekly figures, "
        f"{counts['indicators']} indicators, {counts['vintages']} vintages ({counts['journal']} from the journal)",
        file=sys.stderr,
    )
    return 0


def cmd_load(args) -> int:
    from .writes import loader

    try:
        vintage, diff = loader.load_file(
            db_path(args.db),
            args.file,
            sheet=args.sheet,
            authority=args.authority,
            label=args.label,
            include_hidden=args.include_hidden,
        )
    except refusals() as exc:
        return _refused(exc)
    weekly = len(diff.parsed.weekly)
    for header, month in diff.parsed.month_columns:
        print(f"  column {header!r} read as {month}")
    print(
        f"loaded {args.file} as vintage {vintage}: {len(diff.added)} values added, {len(diff.revised)} revised an "
        f"earlier figure, {diff.unchanged} unchanged" + (f", {weekly} weekly values" if weekly else "")
    )
    return 0


def cmd_load_plan(args) -> int:
    from . import store
    from .input import reading
    from .writes import plan_updates

    if args.preview:  # what the update would change, with its problems; nothing is written
        reader = store.ReadOnlyStore(db_path(args.db))
        update = plan_updates.parse(
            args.file,
            reader,
            args.authority or store.home_authority(reader),
            sheet=args.sheet,
            include_hidden=args.include_hidden,
        )
        if not update.ok:
            return _refused(reading.LoadRejected(update.problems))
        update.changes.to_csv(sys.stdout, index=False, lineterminator="\n")
        print(f"{args.file}: {len(update.rows)} actions checked; nothing was written (--preview)", file=sys.stderr)
        return 0
    try:
        vintage, update = plan_updates.load(
            db_path(args.db),
            args.file,
            authority=args.authority,
            label=args.label,
            sheet=args.sheet,
            include_hidden=args.include_hidden,
        )
    except refusals() as exc:
        return _refused(exc)
    update.changes.to_csv(sys.stdout, index=False, lineterminator="\n")
    print(f"loaded {args.file} as vintage {vintage}")
    return 0


def _load_reference(kind: str):
    def run(args) -> int:
        from .writes import reference

        try:
            vintage, upload = reference.load(
                kind,
                db_path(args.db),
                args.file,
                authority=args.authority,
                label=args.label,
                sheet=args.sheet,
                include_hidden=args.include_hidden,
            )
        except refusals() as exc:
            return _refused(exc)
        upload.changes.to_csv(sys.stdout, index=False, lineterminator="\n")
        print(f"loaded {args.file} as vintage {vintage}: {len(upload.rows)} {kind}", file=sys.stderr)
        return 0

    return run


def cmd_load_national(args) -> int:
    from .writes import national

    try:
        vintage, upload = national.load(
            db_path(args.db), [Path(f) for f in args.files], label=args.label, include_hidden=args.include_hidden
        )
    except refusals() as exc:
        return _refused(exc)
    upload.changes.to_csv(sys.stdout, index=False, lineterminator="\n")
    print(
        f"loaded {', '.join(args.files)} as vintage {vintage}: {len(upload.rows)} national figures "
        f"({', '.join(sorted(set(upload.measures)))})",
        file=sys.stderr,
    )
    return 0


def cmd_benchmark(args) -> int:
    from . import service, store

    reader = store.ReadOnlyStore(db_path(args.db))
    try:
        table, measure, year = service.benchmark(reader, args.ref, args.year, args.vintage)
    except KeyError as exc:
        print(f"refused: {exc.args[0]}", file=sys.stderr)
        return 1
    out = table.assign(measure=measure, year=year, rank=table["rank"].astype("Int64"))
    cols = ["measure", "year", "la_code", "area_code", "area_name", "region_code", "value", "status", "rank", "of"]
    out[cols + ["band"]].rename(columns={"band": "quartile"}).to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def cmd_backup(args) -> int:
    from .writes import lifecycle

    try:
        done = lifecycle.backup(db_path(args.db), Path(args.out))
    except refusals() as exc:
        return _refused(exc)
    print(
        f"wrote {args.out}: {done['entries']} journal entries and the audit events, {done['bytes']:,} bytes, "
        f"signed with journal key {done['key_id']}",
        file=sys.stderr,
    )
    return 0


def cmd_restore(args) -> int:
    from .writes import lifecycle

    try:
        done = lifecycle.restore(
            db_path(args.db), Path(args.archive), trust_key=args.trust_key, trust_unsigned=args.trust_unsigned
        )
    except refusals() as exc:
        return _refused(exc)
    kept = f"; the journal it replaced is kept in {done['kept']}" if done["kept"] else ""
    print(
        f"restored {done['entries']} journal entries from {args.archive} and rebuilt {db_path(args.db)}{kept}",
        file=sys.stderr,
    )
    return 0


def _dump_everything(reader: store.ReadOnlyStore) -> int:
    """Every table, in a total order, values in one text form: equal output means an equal record."""
    for table, frame in reader.dump_all().items():
        print(f"# {table} ({len(frame)} rows)")
        out = frame.copy()
        for col in out.columns:
            out[col] = _dump_column(out[col])
        out.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _dump_column(values) -> list[str]:
    """_dump_text of each cell, worked out once per distinct value (keyed by type too, so 1 and 1.0 stay apart):
    a column repeats few values, and the dump is what the restore and journal tests compare."""
    seen: dict = {}
    out = []
    for v in values:
        key = (type(v), v)
        try:
            text = seen[key]
        except KeyError:
            text = seen[key] = _dump_text(v)
        except TypeError:  # unhashable
            text = _dump_text(v)
        out.append(text)
    return out


def _dump_text(v: object) -> str:
    import pandas as pd

    from .words.formatting import fmt_plain

    if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return fmt_plain(v)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        # as dumps printed a date before the store returned dates, so a dump from before an upgrade still compares
        return f"{v.isoformat()}T00:00:00"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def cmd_dump(args) -> int:
    from . import store
    from .words.formatting import fmt_plain

    reader = store.ReadOnlyStore(db_path(args.db))
    if args.all:
        return _dump_everything(reader)
    if args.table == "weekly":
        df = reader.dump_weekly()
        df["week_ending"] = df["week_ending"].map(lambda d: d.strftime("%Y-%m-%d"))
    else:
        df = reader.dump(all_vintages=args.vintage == "all")
        df["period"] = df["period"].map(lambda d: iso(d))
    df["value"] = df["value"].map(fmt_plain)
    df.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


class UsageError(Exception):
    """A bad option value: printed as '--option: why' with exit code 2."""


def _council(args, reader: store.ReadOnlyStore) -> str:
    """--authority checked against the deployment's councils; without it, the home council (one council: as
    before)."""
    from . import store as store_module

    known = list(reader.table("authorities")["authority"])
    chosen = getattr(args, "authority", None) or store_module.home_authority(reader)
    if chosen not in known:
        raise UsageError(f"--authority: unknown council {chosen!r}; choose from {', '.join(known)}")
    return chosen


def _month_and_areas(args, reader: store.ReadOnlyStore) -> tuple:
    """--month and --area checked against the store: (month, [area] or None)."""
    from .words.vocabulary import service_area_ids

    try:
        month = parse_period(args.month)
    except ValueError as exc:
        raise UsageError(f"--month: {exc}") from exc
    areas = service_area_ids(reader.table("areas"))
    if args.area and args.area not in areas:
        raise UsageError(f"--area: unknown area {args.area!r}; choose from {', '.join(sorted(areas))}")
    return month, ([args.area] if args.area else None)


def _built(args, build) -> tuple:
    """Check --month/--area (and --authority where the command has it), then build(reader, month, areas, council).
    -> (month, result, exit code or None)."""
    from . import store

    reader = store.ReadOnlyStore(db_path(args.db))
    try:
        month, areas = _month_and_areas(args, reader)
        return month, build(reader, month, areas, _council(args, reader)), None
    except UsageError as exc:
        print(exc, file=sys.stderr)
    except KeyError as exc:
        print(f"--vintage: {exc.args[0]}", file=sys.stderr)
    return None, None, 2


def cmd_scorecard(args) -> int:
    from . import service
    from .words.formatting import scorecard_csv

    month, sc, code = _built(args, lambda r, m, a, c: service.build_scorecard(r, m, args.vintage, areas=a, authority=c))
    if code is not None:
        return code
    if sc.empty:
        print(f"no figures for {iso(month)}", file=sys.stderr)
        return 1
    scorecard_csv(sc).to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def cmd_draft(args) -> int:
    from . import service

    if not args.area:
        print("--area: required (e.g. cin_cp)", file=sys.stderr)
        return 2
    month, drafted, code = _built(args, lambda r, m, a, c: service.draft(r, m, a[0], args.vintage))
    if code is not None:
        return code
    print(f"## {drafted.area_title}: draft commentary, {iso(month)}\n")
    print(drafted.markdown())
    return 0


def _write_paper(args, data: bytes, indicators: int, month: dt.date, vintage_label: str) -> int:
    out = Path(args.out)
    tmp = out.with_name(out.name + ".part")  # a half-written paper never sits under the final name
    tmp.write_bytes(data)
    tmp.replace(out)
    print(f"wrote {out} ({args.format}, {indicators} indicators, {iso(month)}, {vintage_label})", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    from .output import export, papers

    series = args.format == "pdf"  # only the PDF draws charts
    month, pack, code = _built(
        args, lambda r, m, a, c: papers.gather(r, m, args.vintage, areas=a, series=series, authority=c)
    )
    if code is not None:
        return code
    if pack.scorecard.empty:
        print(f"no figures for {iso(month)}", file=sys.stderr)
        return 1
    return _write_paper(args, export.render(pack, args.format), len(pack.scorecard), month, pack.vintage_label)


def cmd_migrate_state(args) -> int:
    from .auth import access
    from .writes import journal, lifecycle, state

    roles_file = None if args.roles is None else Path(access.roles_path() if args.roles is True else args.roles)
    try:
        done = state.migrate(db_path(args.db), args.to, lifecycle.cli_user(), roles_file=roles_file)
    except (*refusals(), access.RolesError) as exc:
        return _refused(exc)
    roles = "" if done["grants"] is None else f", the roles ({done['grants']} grants from {roles_file})"
    print(
        f"moved {done['entries']} journal entries and {done['events']} audit events{roles} to "
        f"{state.redact(args.to)} "
        f"(checked: dump --all is identical). Now set DASHBOARD_STATE_URL on every host, and {journal.KEY_ENV} "
        f"to this deployment's journal key (key id {done['key'].id}, from {done['key'].where}) on every host.",
        file=sys.stderr,
    )
    return 0


def cmd_roles_to_state(args) -> int:
    from .auth import access
    from .writes import lifecycle, state

    try:
        version, grants = state.put_roles(args.file, lifecycle.cli_user(), db_path(args.db))
    except (*refusals(), access.RolesError) as exc:
        print(f"refused, the roles were not changed: {exc}", file=sys.stderr)
        return 1
    print(
        f"stored {args.file} as version {version} of the roles ({grants} grants): every host now reads its roles "
        "from the shared state, not its roles file",
        file=sys.stderr,
    )
    return 0


def cmd_roles_from_state(args) -> int:
    from .writes import state

    try:
        stored = state.roles_text()
    except refusals() as exc:
        return _refused(exc)
    out = Path(args.out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(stored.text, encoding="utf-8")
    os.replace(tmp, out)  # an existing roles file is replaced whole, never left half-written
    print(f"wrote {stored.where} to {out}", file=sys.stderr)
    return 0


def cmd_follow(args) -> int:
    from .writes import journal, state

    try:
        print(state.catch_up(db_path(args.db), wait=journal.wait_seconds()), file=sys.stderr)
    except refusals() as exc:
        return _refused(exc)
    return 0


def cmd_audit(args) -> int:
    from .output.export_csv import neutralise
    from .writes import audit

    # who and what are typed by people (a vintage's name): a spreadsheet must not run one as a formula
    audit.trail(db_path(args.db)).map(neutralise).to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _records(args) -> tuple:
    """Annex A extracts read and computed: (month or None, Computed). Raises the refusals cmd_records reports.
    reconcile without --extract computes from the extracts the database holds."""
    from . import store
    from .records import annex_a, compute, pseudonym, stored

    try:
        month = parse_period(args.month) if args.month else None
    except ValueError as exc:
        raise UsageError(f"--month: {exc}") from exc
    # The council's own records key (the home council's when none is named and there is a database to name it).
    named = args.authority or (args.command == "reconcile" or db_path(args.db).exists())
    council = _council(args, store.ReadOnlyStore(db_path(args.db))) if named else None
    if not args.file:
        if args.as_at:
            raise UsageError("--as-at: give it with --extract (the extracts held carry their own dates)")
        done, extracts = stored.computed_for(store.ReadOnlyStore(db_path(args.db)), authority=council)
        return month, done, any(e.synthetic for e in extracts)
    files, dates = list(args.file), list(args.as_at or [])
    if len(dates) == 1 and len(files) > 1:
        dates *= len(files)
    if len(dates) != len(files):
        raise UsageError(f"--as-at: give one date, or one per extract ({len(files)})")
    try:
        as_at = [dt.date.fromisoformat(d) for d in dates]
    except ValueError as exc:
        raise UsageError(f"--as-at: {exc} (use YYYY-MM-DD)") from exc
    key = pseudonym.resolve_key(council=council)
    extracts = [annex_a.read(Path(f), d, key) for f, d in zip(files, as_at)]
    return month, compute.compute(extracts), any(e.synthetic for e in extracts)


def cmd_records(args) -> int:
    """records-compute and reconcile: the extract's figures, alone or beside those loaded."""
    from . import store
    from .input import reading
    from .records import pseudonym, reconcile, stored, workdays
    from .words.formatting import fmt_plain

    try:
        month, done, synthetic = _records(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (reading.LoadRejected, pseudonym.NoKey, workdays.CalendarUnavailable) as exc:
        return _refused(exc)
    if synthetic:
        print(stored.BANNER, file=sys.stderr)
    for note in done.notes:
        print(note, file=sys.stderr)
    figures = done.figures if month is None else done.figures[done.figures["month"] == month]
    if args.command == "reconcile":
        figures = reconcile.reconcile(
            figures, reconcile.loaded_figures(store.ReadOnlyStore(db_path(args.db)), month, args.authority), month
        )
    out = figures.copy()
    out["month"] = out["month"].map(lambda d: d.strftime("%Y-%m"))
    for col in ("computed", "loaded", "difference", "numerator", "denominator"):
        if col in out:
            out[col] = out[col].map(fmt_plain)
    cols = ["ref", "month", "computed"] + (["loaded", "difference"] if args.command == "reconcile" else [])
    cols += ["numerator", "denominator", "excluded", "extract"] + (["as_at"] if args.command == "reconcile" else [])
    out[cols].to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _as_at(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"--as-at: {exc} (use YYYY-MM-DD)") from exc


def cmd_load_annex_a(args) -> int:
    """One Annex A extract stored through the journal (pseudonymised rows only), then the retention purge."""
    from . import store
    from .records import pseudonym, stored

    try:
        as_at = _as_at(args.as_at)
        council = _council(args, store.ReadOnlyStore(db_path(args.db)))
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        key = pseudonym.resolve_key(demo=args.demo_key, council=council)
        vintage, extract, purged, note = stored.load(
            db_path(args.db),
            args.file,
            as_at,
            key,
            label=args.label,
            include_hidden=args.include_hidden,
            demo_key=args.demo_key,
            authority=council,
        )
    except (*refusals(), pseudonym.NoKey) as exc:
        return _refused(exc)
    stored.summary(extract).to_csv(sys.stdout, index=False, lineterminator="\n")
    rows = sum(len(f) for f in extract.lists.values())
    synthetic = " (synthetic records)" if extract.synthetic else ""
    print(
        f"loaded {args.file} as at {as_at} for council {council} as vintage {vintage}{synthetic}: {rows} records in "
        f"{len(extract.lists)} lists, {len(extract.findings)} data-quality findings; the file itself is not kept",
        file=sys.stderr,
    )
    if extract.synthetic:
        print(stored.BANNER, file=sys.stderr)
    for name in purged:
        print(f"withdrawn by the retention setting: {name}", file=sys.stderr)
    if note:
        print(note, file=sys.stderr)
    return 0


def cmd_purge_extracts(args) -> int:
    from . import store
    from .records import stored

    try:
        council = _council(args, store.ReadOnlyStore(db_path(args.db))) if args.authority else None
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        purged = stored.purge(db_path(args.db), authority=council)
    except refusals() as exc:
        return _refused(exc)
    print(
        f"{count_of(len(purged), 'extract')} withdrawn by the retention setting ({stored.retention_months()} months)"
        + "".join(f"\n  {n}" for n in purged),
        file=sys.stderr,
    )
    return 0


def cmd_publish_computed(args) -> int:
    """The month's figures computed from the held extracts, published as a new vintage."""
    from . import store
    from .records import stored, workdays

    try:
        month = parse_period(args.month)
        council = _council(args, store.ReadOnlyStore(db_path(args.db)))
    except ValueError as exc:
        print(f"--month: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        vintage = stored.publish_computed(db_path(args.db), month, label=args.label, authority=council)
    except (*refusals(), workdays.CalendarUnavailable) as exc:
        return _refused(exc)
    print(f"published the figures computed for {iso(month)} for {council} as vintage {vintage}", file=sys.stderr)
    return 0


def _counted(args):
    """(measure, month, figures, rows) for breakdown and children: the held extracts' rows behind one ref."""
    from . import store
    from .records import compute, stored
    from .records.measures import REGISTRY

    measures = {m.ref: m for m in REGISTRY}
    if args.ref not in measures:
        raise UsageError(f"--ref: {args.ref} is not computed from records; use one of {', '.join(measures)}")
    try:
        month = parse_period(args.month)
    except ValueError as exc:
        raise UsageError(f"--month: {exc}") from exc
    m = measures[args.ref]
    reader = store.ReadOnlyStore(db_path(args.db))
    args.authority = _council(args, reader)  # named in the audit line
    extracts = stored.from_store(reader, authority=args.authority)
    figures, rows = compute.counted_rows(extracts, m)
    if any(e.synthetic for e in extracts):
        print(stored.BANNER, file=sys.stderr)
    return m, month, figures[figures["month"] == month], rows[rows["month"] == month]


def _counted_or_exit(args, command: str):
    """(measure, month, rows) for breakdown and children, or the exit code once what was wrong is printed."""
    from .records import workdays

    try:
        m, month, figures, rows = _counted(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (*refusals(), workdays.CalendarUnavailable) as exc:
        return _refused(exc)
    if figures.empty:
        print(
            f"{command}: {m.ref} is not computed for {iso(month)} from the extracts held for council {args.authority}",
            file=sys.stderr,
        )
        return 1
    return m, month, rows


def cmd_breakdown(args) -> int:
    """breakdown: a computed ref's month by team or by worker (CSV), written to the audit trail."""
    import pandas as pd

    from .records import breakdown
    from .words.formatting import fmt_plain
    from .writes import audit, lifecycle

    counted = _counted_or_exit(args, "breakdown")
    if isinstance(counted, int):
        return counted
    m, month, rows = counted
    by = ("team",) if args.by == "team" else ("team", "worker")
    table = breakdown.by_group(rows.assign(worker=rows["who"]) if m.per else rows, m, by)
    group = table["team"] if args.by == "team" else table["team"] + " / " + table["worker"]
    out = pd.DataFrame(
        {
            "group": group.map(breakdown.shown_name),
            "numerator": table["numerator"].map(fmt_plain),
            "denominator": table["denominator"].map(fmt_plain),
            "value": table["value"].map(fmt_plain),
        }
    )
    out.to_csv(sys.stdout, index=False, lineterminator="\n")
    audit.record(
        db_path(args.db),
        "records viewed" if args.by == "worker" else "breakdown viewed",
        lifecycle.cli_user(),
        f"{m.ref} {iso(month)}: by {args.by}, command line ({len(out)} rows); council {args.authority}",
        outcome="shown",
    )
    return 0


def cmd_children(args) -> int:
    """children: a computed ref's records outside timescale or overdue for a month (CSV), written to the audit
    trail. Pseudonyms only; OFFICIAL-SENSITIVE."""

    from .records import breakdown
    from .records.measures import REGISTRY
    from .writes import audit, lifecycle

    m = next((m for m in REGISTRY if m.ref == args.ref), None)
    if m is not None and breakdown.to_discuss_when(m) is None:
        print(
            f"children: {m.ref} has no list of children to discuss (it is a count, caseload or share)", file=sys.stderr
        )
        return 2
    counted = _counted_or_exit(args, "children")
    if isinstance(counted, int):
        return counted
    m, month, rows = counted
    kids = breakdown.children(rows, m)
    kids = kids.assign(
        month=kids["month"].map(iso),
        team=kids["team"].map(breakdown.shown_name),
        worker=kids["worker"].map(breakdown.shown_name),
    )
    print(
        f"OFFICIAL-SENSITIVE: children's records (pseudonymised) for {m.ref}, {iso(month)}, council "
        f"{args.authority}. Do not share."
    )
    kids.to_csv(sys.stdout, index=False, lineterminator="\n")
    audit.record(
        db_path(args.db),
        "records viewed",
        lifecycle.cli_user(),
        f"{m.ref} {iso(month)}: children to discuss, command line ({len(kids)} rows); council {args.authority}",
        outcome="shown",
    )
    return 0


def cmd_synth(args) -> int:
    """synth-annex-a: the synthetic council's extracts, one workbook per month end (file names only are printed)."""
    from .records import synth

    try:
        as_at = dt.date.fromisoformat(args.as_at)
        paths, plan = synth.generate(as_at, args.months, args.seed, Path(args.out))
    except ValueError as exc:
        print(f"synth-annex-a: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    if plan.misses:
        print(
            f"{count_of(len(plan.misses), 'published figure')} cannot be reproduced exactly "
            "(docs/annex-a.md says which)",
            file=sys.stderr,
        )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dashboard", description="Children's Services performance dashboard")
    p.add_argument("--db", help="database file (default $DASHBOARD_DB or data/dashboard.duckdb)")
    # --db is accepted after the command too; one declaration shared by every subcommand
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", dest="db", default=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, **kw) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kw)

    b = add("build", help="rebuild the database from sample_data/ and every journal entry (atomic)")
    b.add_argument("--sample-dir")
    b.set_defaults(func=cmd_build)

    for kind, columns in (
        ("targets", "ref,target[,tolerance][,from]"),
        ("comparators", "ref,comparator,value,year[,source]"),
    ):
        r = add(f"load-{kind}", help=f"load {kind} ({columns}) as a new vintage")
        r.add_argument("file")
        r.add_argument("--sheet", help="XLSX sheet (default: the first)")
        r.add_argument("--include-hidden", action="store_true", help=HIDDEN_HELP)
        r.add_argument("--authority", help="authority for rows that do not name one")
        r.add_argument("--label", help="how the vintage is named in the app")
        r.set_defaults(func=_load_reference(kind))

    ln = add(
        "load-national",
        help="load DfE national statistics files (Explore Education Statistics CSV layout) as a new vintage",
    )
    ln.add_argument("files", nargs="+", metavar="FILE")
    ln.add_argument("--include-hidden", action="store_true", help=HIDDEN_HELP)
    ln.add_argument("--label", help="how the vintage is named in the app")
    ln.set_defaults(func=cmd_load_national)

    bm = add("benchmark", help="every council's published value, rank and quartile for a ref's measure, as CSV")
    bm.add_argument("--ref", required=True)
    bm.add_argument("--year", help="a published year such as 2022/23 or Sep 2023 (default: the latest)")
    bm.add_argument("--vintage", default="latest", help="latest or a vintage id")
    bm.set_defaults(func=cmd_benchmark)

    bk = add("backup", help="write the journal (every write ever accepted) to one checked archive")
    bk.add_argument("out")
    bk.set_defaults(func=cmd_backup)

    rs = add("restore", help="check a backup archive, then rebuild the database from it")
    rs.add_argument("archive")
    rs.add_argument(
        "--trust-key",
        metavar="KEY_FILE_OR_KEY",
        help="accept a backup made by another deployment: that deployment's journal key (its data/.journal.key "
        "file, or the key itself); its entries are checked with it, then signed with this deployment's key",
    )
    rs.add_argument(
        "--trust-unsigned",
        action="store_true",
        help="accept a backup made before backups were signed (dashboard-backup/1): only one you know is yours; "
        "its entries are then signed with this deployment's key, and the audit trail records it",
    )
    rs.set_defaults(func=cmd_restore)

    ld = add("load", help="add a month of figures (long CSV or wide CSV/XLSX) as a new vintage")
    ld.add_argument("file")
    ld.add_argument("--sheet", help="XLSX sheet (default: the first)")
    ld.add_argument("--include-hidden", action="store_true", help=HIDDEN_HELP)
    ld.add_argument("--authority", help="authority for rows that do not name one")
    ld.add_argument("--label", help="how the vintage is named in the app")
    ld.set_defaults(func=cmd_load)

    lp = add(
        "load-plan",
        help="record improvement-plan BRAG and commentary (CSV or XLSX: action_ref,action_brag,"
        "impact_brag,commentary) as a new vintage",
    )
    lp.add_argument("file")
    lp.add_argument("--sheet", help="XLSX sheet (default: the one with an action_ref header)")
    lp.add_argument("--include-hidden", action="store_true", help=HIDDEN_HELP)
    lp.add_argument("--authority", help="the council whose plan it is (default: the deployment's own)")
    lp.add_argument("--label", help="how the vintage is named in the app")
    lp.add_argument("--preview", action="store_true", help="show what the update would change; write nothing")
    lp.set_defaults(func=cmd_load_plan)

    d = add("dump", help="every stored observation as CSV (--all: every table, everything stored)")
    d.add_argument("--vintage", choices=["latest", "all"], default="latest")
    d.add_argument("--table", choices=["monthly", "weekly"], default="monthly")
    d.add_argument(
        "--all",
        action="store_true",
        help="every table: figures, weekly, commentary, plan, targets, comparators, vintages",
    )
    d.set_defaults(func=cmd_dump)

    au = add(
        "audit",
        help="the audit trail as CSV: every write (who, when, what, vintage) and every refused write or failed sign-in",
    )
    au.set_defaults(func=cmd_audit)

    ms = add("migrate-state", help="move the journal and audit events into an empty PostgreSQL state, checked")
    ms.add_argument("--to", required=True, metavar="postgresql://…")
    ms.add_argument(
        "--roles",
        nargs="?",
        const=True,
        metavar="FILE",
        help="carry the roles across too (default: the current roles file, $DASHBOARD_ROLES); every host then reads "
        "its roles from the shared state",
    )
    ms.set_defaults(func=cmd_migrate_state)
    rt = add(
        "roles-to-state",
        help="store a roles file (validated first) in the shared state, read by every host instead of its file",
    )
    rt.add_argument("--file", required=True, help="the roles TOML, as the roles file holds it")
    rt.set_defaults(func=cmd_roles_to_state)
    rf = add("roles-from-state", help="write the roles the shared state holds to a file (the same TOML)")
    rf.add_argument("--out", required=True, help="the file to write")
    rf.set_defaults(func=cmd_roles_from_state)
    fo = add("catch-up", help="with a shared state: bring this host's database level with the journal")
    fo.set_defaults(func=cmd_follow)

    s = add("scorecard", help="the month's scorecard with RAG, direction and SPC, as CSV")
    s.add_argument("--month", required=True, help="YYYY-MM")
    s.add_argument("--area")
    s.add_argument("--vintage", default="latest", help="latest or a vintage id such as pack-2023-11")
    s.add_argument("--authority", help=COUNCIL_HELP)
    s.set_defaults(func=cmd_scorecard)

    dr = add("draft", help="an area's month as drafted commentary (Markdown), written from the figures")
    dr.add_argument("--month", required=True, help="YYYY-MM")
    dr.add_argument("--area", required=True, help="a service area id such as cin_cp")
    dr.add_argument("--vintage", default="latest", help="latest or a vintage id such as pack-2023-11")
    dr.set_defaults(func=cmd_draft)

    from .output.export import FORMATS

    e = add("export", help="the month's papers: " + ", ".join(f.label for f in FORMATS.values()))
    e.add_argument("--month", required=True, help="YYYY-MM")
    e.add_argument("--format", required=True, choices=list(FORMATS))
    e.add_argument("--out", required=True, help="file to write")
    e.add_argument("--area", help="one service area (default: all)")
    e.add_argument("--vintage", default="latest", help="latest or a vintage id such as pack-2023-11")
    e.add_argument("--authority", help=COUNCIL_HELP)
    e.set_defaults(func=cmd_export)

    rc = add("records-compute", help="the month's figures computed from Annex A extracts, as CSV")
    rc.add_argument("file", nargs="+", metavar="FILE")
    rc.add_argument("--as-at", required=True, action="append", help="the extract's date, YYYY-MM-DD (one per FILE)")
    rc.add_argument("--month", help="YYYY-MM (default: every month the extracts cover)")
    rc.add_argument("--authority", help="the council whose records key pseudonymises (default: the deployment's)")
    rc.set_defaults(func=cmd_records)

    rn = add(
        "reconcile",
        help="figures computed from Annex A extracts beside those loaded, as CSV (the extracts held, or --extract)",
    )
    rn.add_argument("--month", required=True, help="YYYY-MM")
    rn.add_argument("--extract", dest="file", action="append", default=[], metavar="FILE")
    rn.add_argument("--as-at", action="append", help="the extract's date, YYYY-MM-DD (one per FILE)")
    rn.add_argument("--authority", help="the council: its extracts and its loaded figures (default: the deployment's)")
    rn.set_defaults(func=cmd_records)

    la = add(
        "load-annex-a",
        help="store an Annex A extract (pseudonymised records and data-quality findings, never the file) as a "
        "new vintage, then apply the retention setting",
    )
    la.add_argument("file")
    la.add_argument("--as-at", required=True, help="the extract's date, YYYY-MM-DD")
    la.add_argument("--include-hidden", action="store_true", help=HIDDEN_HELP)
    la.add_argument("--label", help="how the vintage is named in the app")
    la.add_argument("--authority", help="the council whose extract it is (default: the deployment's own)")
    la.add_argument(
        "--demo-key",
        action="store_true",
        help="pseudonymise with the public demo key: only for synthetic extracts (refused for any other)",
    )
    la.set_defaults(func=cmd_load_annex_a)

    pc = add("publish-computed", help="publish the month's figures computed from the held Annex A extracts")
    pc.add_argument("--month", required=True, help="YYYY-MM")
    pc.add_argument("--label", help="how the vintage is named in the app")
    pc.add_argument("--authority", help="the council: computed from its extracts, as its figures (default: own)")
    pc.set_defaults(func=cmd_publish_computed)

    pe = add("purge-extracts", help="withdraw the Annex A extracts older than the retention setting (journaled)")
    pe.add_argument("--authority", help="one council's extracts (default: every council's, each by its own newest)")
    pe.set_defaults(func=cmd_purge_extracts)

    bk = add("breakdown", help="a figure computed from the held Annex A extracts, by team or worker, as CSV (audited)")
    bk.add_argument("--ref", required=True, help="a computed ref such as CIN8")
    bk.add_argument("--month", required=True, help="YYYY-MM")
    bk.add_argument("--by", choices=["team", "worker"], default="team")
    bk.add_argument("--authority", help=COUNCIL_HELP)
    bk.set_defaults(func=cmd_breakdown)

    ch = add(
        "children",
        help="the records outside timescale or overdue for a computed ref and month, as CSV (OFFICIAL-SENSITIVE, "
        "pseudonyms only, audited)",
    )
    ch.add_argument("--ref", required=True, help="a computed ref such as CIN8")
    ch.add_argument("--month", required=True, help="YYYY-MM")
    ch.add_argument("--authority", help=COUNCIL_HELP)
    ch.set_defaults(func=cmd_children)

    sy = add("synth-annex-a", help="a synthetic council's Annex A extracts, calibrated to the published figures")
    sy.add_argument("--as-at", required=True, help="the last extract's date, a month end (YYYY-MM-DD)")
    sy.add_argument("--months", type=int, default=24, help="how many month-end extracts (default 24)")
    sy.add_argument("--seed", type=int, default=1, help="the same seed gives the same bytes")
    sy.add_argument("--out", required=True, help="folder to write synthetic-annex-a-YYYY-MM-DD.xlsx into")
    sy.set_defaults(func=cmd_synth)
    _council_commands(add)
    return p


def cmd_add_council(args) -> int:
    from .writes import councils

    try:
        vintage = councils.add_council(
            db_path(args.db),
            args.authority,
            args.name,
            args.population,
            region=args.region or "",
            la_code=args.la_code or "",
            note=args.note or "",
        )
    except refusals() as exc:
        return _refused(exc)
    print(f"added council {args.authority} as vintage {vintage}")
    return 0


def cmd_share_region(args) -> int:
    from .writes import councils

    try:
        vintage = councils.set_sharing(db_path(args.db), args.council, not args.stop)
    except refusals() as exc:
        return _refused(exc)
    print(f"{args.council} {'stopped sharing' if args.stop else 'shares'} its monthly figures: vintage {vintage}")
    return 0


def cmd_synth_council(args) -> int:
    from . import store
    from .writes import councils

    reader = store.ReadOnlyStore(db_path(args.db))
    authority = args.authority or councils.SYNTHETIC_ID
    n = councils.write_synthetic_csv(reader, args.out, authority, args.seed)
    print(f"wrote {n} SYNTHETIC figures for {authority} to {args.out}")
    return 0


def _council_commands(add) -> None:
    ac = add("add-council", help="add a council to the deployment (journaled); its figures are then loaded as usual")
    ac.add_argument("authority", help="its id in files and the URL, e.g. bury")
    ac.add_argument("--name", required=True)
    ac.add_argument("--population", type=int, required=True, help="children aged 0-17 (for rates)")
    ac.add_argument("--region", help="the region it may share monthly figures with (default: gm for GM's codes)")
    ac.add_argument("--la-code", help="DfE's three-digit code: its published national figures")
    ac.add_argument("--note", help="where the population figure comes from")
    ac.set_defaults(func=cmd_add_council)

    sr = add("share-region", help="a council shares its monthly figures with its region before DfE publishes")
    sr.add_argument("--council", required=True)
    sr.add_argument("--stop", action="store_true", help="stop sharing: its figures leave the comparator at once")
    sr.set_defaults(func=cmd_share_region)

    sc = add("synth-council", help="a SYNTHETIC second council's monthly figures as a long CSV (tests and demo)")
    sc.add_argument("--out", required=True)
    sc.add_argument("--authority", help="its id (default: synthetic-borough)")
    sc.add_argument("--seed", type=int, default=1, help="the same seed gives the same figures")
    sc.set_defaults(func=cmd_synth_council)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not hasattr(args, "db"):
        args.db = None
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader (head, a closed pager) stopped reading: any write was already made
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        from .writes import lifecycle

        if not isinstance(exc, lifecycle.FAULTS):
            raise
        print(lifecycle.explain(exc), file=sys.stderr)  # a read-only or full disk, a missing or damaged database
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
