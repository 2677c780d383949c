"""The writing pages: load figures, targets, comparators and plan BRAG (publishers), edit commentary (each area's
editors), and the audit trail (admins). Every write runs in a button callback that first calls
`signin.authorise` (the role as it is at that moment), then goes through lifecycle.commit via the loaders."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from ..auth import access
from ..input import reading
from ..output.export_csv import neutralise
from ..records import pseudonym, stored
from ..records.annex_a import RULE_HEADINGS, RULES
from ..words.formatting import count_of, plain, shown
from ..words.periods import iso, label, long_label, parse_period
from ..words.vocabulary import REGION_NAME, REGION_SHORT, comparator_choices, service_areas
from ..writes import audit, commentary, councils, journal, lifecycle, loader, national, plan_updates, reference, state
from . import components, computed, data, signin
from .context import current

# Writes happen in button callbacks: they run once, before the script, so a rerun can never repeat or drop them.


def attempt_write(write) -> tuple[str | None, str | None]:
    """Run one write (after the caller's `signin.authorise`): (vintage, None), or (None, why it was refused) for
    a rejected file, another writer, or a fault of the disk or database."""
    try:
        return write(), None
    except reading.LoadRejected as exc:
        return None, "; ".join(str(p) for p in exc.problems)
    except (journal.WriterBusy, state.StateError) as exc:  # another writer; the shared state unreachable
        return None, str(exc)
    except lifecycle.FAULTS as exc:
        return None, lifecycle.explain(exc)


def councils_in(rows: list[dict]) -> list[str]:
    """The councils a write's rows belong to: each must be one the writer holds the role for."""
    return sorted({str(r["authority"]) for r in rows if r.get("authority")})


def _authorised(action: str, area: str | None, what: str, result_key: str, councils=()):
    """The identity, or None with the refusal put where the page shows it."""
    try:
        return signin.authorise(action, area, what, councils)
    except access.Refused as exc:
        st.session_state[result_key] = ("error", str(exc))
        return None


def publish_commentary(
    area: str, period, text: str, author: str, result_key: str, done: str, verb: str = "Saved", drafted: bool = False
) -> None:
    """The one commentary write (admin page and the area page's draft): permission for *this* area, now."""
    council = data.authority()  # the council on screen when the button was pressed
    what = f"commentary for {long_label(period)}"
    identity = _authorised(access.COMMENTARY, area, what, result_key, [council])
    if identity is None:
        return
    if identity.signed_in:  # with sign-in on, the page names who signed in, never a name typed
        author = identity.who
    vintage, refused = attempt_write(
        lambda: commentary.publish(
            data.db_path(), area, period, text, author=author, authority=council, user=identity.who, drafted=drafted
        )
    )
    if refused:
        st.session_state[result_key] = ("error", f"Not saved: {refused}")
        return
    st.session_state[result_key] = ("ok", f"{verb} as vintage {vintage}: {done}")


def _show_result(key: str) -> None:
    result = st.session_state.pop(key, None)
    if result:
        (st.success if result[0] == "ok" else st.error)(result[1])


HIDDEN_KEY = "include_hidden"


def _hidden() -> bool:
    """The load page's "Read hidden rows and columns" box (off unless ticked)."""
    return bool(st.session_state.get(HIDDEN_KEY, False))


def _hidden_box() -> None:
    st.checkbox(
        "Read hidden rows and columns",
        value=False,
        key=HIDDEN_KEY,
        help="Off: a workbook whose hidden rows, columns or sheets hold anything is refused, naming them, so what "
        "is loaded is what Excel shows. Tick it only after checking what is hidden; its use is recorded in the "
        "audit trail.",
    )


def note_hidden(identity, what: str, vintage: str) -> None:
    """The audit trail names every write that read hidden rows and columns."""
    audit.record(
        data.db_path(),
        "hidden rows and columns read",
        identity.who,
        f"{what}, published as vintage {vintage}, read with “Read hidden rows and columns” ticked",
        outcome="done",
    )


def _publish_upload(file_id: str) -> None:
    pending = st.session_state.get("_pending_upload")
    if pending is None or pending[0] != file_id:
        st.session_state["_upload_result"] = ("error", "The preview is out of date: upload the file again.")
        return
    parsed = pending[1].parsed
    councils = councils_in(parsed.monthly + parsed.weekly)
    identity = _authorised(access.PUBLISH, None, f"figures from {parsed.file}", "_upload_result", councils)
    if identity is None:
        return
    name = st.session_state.get("vintage_name", "").strip() or None
    vintage, refused = attempt_write(lambda: loader.publish_upload(data.db_path(), pending[1], name, user=identity.who))
    if refused:
        st.session_state["_upload_result"] = ("error", f"Not published: {refused}")
        return
    if pending[2]:
        note_hidden(identity, f"figures from {pending[1].parsed.file}", vintage)
    st.session_state["_published"] = (file_id, vintage)
    st.session_state.pop("_pending_upload", None)


def _rejected(problems: list[reading.Problem], where: str, fix: str) -> None:
    """A refused upload: how many problems, that nothing was written, and each by file, row and column."""
    where = f" {where}" if where else ""
    st.error(
        f"Rejected: {count_of(len(problems), 'problem')}{where}. Nothing will be loaded; fix {fix} again.",
        icon="✖",
    )
    _problems_table(problems)


def _problems_table(problems: list[reading.Problem]) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "File": [p.file for p in problems],
                "Row": [p.row or "" for p in problems],
                "Column": [p.column or "" for p in problems],
                "Problem": [p.message for p in problems],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _upload_section() -> None:
    st.header("Load figures")
    st.markdown(  # not a caption: Streamlit mutes inline code in captions below 4.5:1 contrast
        "A long CSV (`ref,period,value[,status]`) or the wide scorecard layout (Ref, Indicator, month columns) "
        "as CSV or XLSX. You see what will change before anything is written; publishing adds a new vintage, "
        "so what the panel was told before stays available."
    )
    up = st.file_uploader("Figures file", type=["csv", "xlsx"], key="upload")
    _show_result("_upload_result")
    if up is None:
        return
    done = st.session_state.get("_published")
    if done and done[0] == up.file_id:
        st.success(
            f"Published {up.name} as vintage {done[1]}. Every page now shows it; remove the file to load another."
        )
        return
    reader = data.reader()
    with st.status(f"Reading {up.name}…", expanded=False) as status:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / ("upload" + Path(up.name).suffix.lower())
            path.write_bytes(up.getvalue())
            authorities = set(reader.table("authorities")["authority"])
            parsed = loader.parse_upload(
                path,
                loader.catalogue_of(reader),
                authorities,
                data.authority(),
                week_ending_day=reader.week_ending_weekday(),
                display_name=up.name,
                include_hidden=_hidden(),
            )
        status.update(label=f"Comparing {up.name} with the figures held…")
        diff = loader.diff_upload(reader, parsed)
        status.update(label=f"Read {up.name}", state="error" if parsed.problems else "complete")
    if parsed.problems:
        _rejected(parsed.problems, f"in {up.name}", "the file and upload it")
        return
    ind = data.table("indicators").set_index("ref")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("New figures", len(diff.added))
    m2.metric("Revisions", len(diff.revised))
    m3.metric("Unchanged", diff.unchanged)
    m4.metric("Weekly figures", len(parsed.weekly))
    if parsed.month_columns:
        st.caption(
            "Month columns read: " + "; ".join(f"“{h}” as {label(parse_period(m))}" for h, m in parsed.month_columns)
        )
    if not diff.added.empty:
        st.markdown("**New figures**")
        a = diff.added
        st.dataframe(
            pd.DataFrame(
                {
                    "Ref": a["ref"],
                    "Indicator": a["ref"].map(ind["name"]),
                    "Month": a["period"].map(label),
                    "Figure": [shown(v, s, ind.at[r, "unit"]) for v, s, r in zip(a["value"], a["status"], a["ref"])],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    if not diff.revised.empty:
        st.markdown("**Revisions to figures already reported**")
        r = diff.revised
        st.dataframe(
            pd.DataFrame(
                {
                    "Ref": r["ref"],
                    "Indicator": r["ref"].map(ind["name"]),
                    "Month": r["period"].map(label),
                    "Now": [
                        shown(v, s, ind.at[x, "unit"]) for v, s, x in zip(r["old_value"], r["old_status"], r["ref"])
                    ],
                    "Will be": [shown(v, s, ind.at[x, "unit"]) for v, s, x in zip(r["value"], r["status"], r["ref"])],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    st.session_state["_pending_upload"] = (up.file_id, diff, _hidden())
    with st.form("publish_upload"):
        st.text_input("Name this vintage", value=f"Upload of {up.name}", max_chars=120, key="vintage_name")
        st.form_submit_button("Publish", type="primary", on_click=_publish_upload, args=(up.file_id,))


REFERENCE_HELP = {
    "targets": (
        "Load targets",
        "`ref,target[,tolerance][,from]`: the target as printed (85%, 20-24%, <7%, 552; blank "
        "withdraws it), an optional Amber tolerance in the indicator's units, and the financial year or month "
        "it applies from (2024/25, Apr-24; blank: from the start). Earlier months keep the target they had.",
    ),
    "comparators": (
        "Load comparators",
        f"`ref,comparator,value,year[,source]`: comparator {comparator_choices()}, the "
        "published year (2022/23) and where it was published. A newer year replaces the one shown from "
        "now on; what earlier vintages showed the panel is kept.",
    ),
    "plan": (
        "Load improvement-plan BRAG and commentary",
        "`action_ref[,action_brag][,impact_brag][,commentary]`: the month's Action and Impact BRAG (Blue, Red, "
        "Amber, Green) and commentary for the plan's actions; a column left out keeps what the action has. The "
        "whole plan becomes a new vintage; what earlier vintages showed the panel is kept.",
    ),
}
# The file box's label, what a preview compares with, what its rows are, and the button, for each reference load.
REFERENCE_WORDS = {
    "targets": ("Targets file", "the targets held", "targets", "Publish targets"),
    "comparators": ("Comparators file", "the comparators held", "comparators", "Publish comparators"),
    "plan": ("Plan update file", "the plan held", "actions named", "Publish plan update"),
}


# What publishes each reference load, and what the audit trail calls it.
REFERENCE_PARSE = {**reference.PARSERS, "plan": plan_updates.parse}
REFERENCE_PUBLISH = {
    "targets": reference.publish,
    "comparators": reference.publish,
    "national": national.publish,
    "plan": plan_updates.publish,
}
REFERENCE_WHAT = {
    "targets": "targets",
    "comparators": "comparators",
    "national": "national statistics",
    "plan": "improvement-plan BRAG and commentary",
}


def _publish_reference(kind: str, file_id) -> None:
    """Publish the previewed targets, comparators or national statistics: permission checked now, at the write."""
    pending = st.session_state.get(f"_ref_{kind}")
    if pending is None or pending[0] != file_id:
        st.session_state[f"_ref_{kind}_result"] = ("error", "The preview is out of date: upload the file again.")
        return
    what = f"{REFERENCE_WHAT[kind]} from {pending[1].file}"
    # National statistics are every council's comparators: only a grant that holds for every council loads them.
    councils = councils_in(pending[1].rows) if kind != "national" else data.table("authorities")["authority"]
    identity = _authorised(access.PUBLISH, None, what, f"_ref_{kind}_result", list(councils))
    if identity is None:
        return
    publish = REFERENCE_PUBLISH[kind]
    vintage, refused = attempt_write(lambda: publish(data.db_path(), pending[1], user=identity.who))
    if refused:
        st.session_state[f"_ref_{kind}_result"] = ("error", f"Not published: {refused}")
        return
    if pending[2]:
        note_hidden(identity, what, vintage)
    st.session_state[f"_ref_{kind}_result"] = ("ok", f"Published as vintage {vintage}.")
    st.session_state[f"_ref_{kind}_done"] = file_id
    st.session_state.pop(f"_ref_{kind}", None)


def _reference_section(kind: str) -> None:
    title, help_text = REFERENCE_HELP[kind]
    file_label, held, rows_are, button = REFERENCE_WORDS[kind]
    st.header(title)
    st.markdown(help_text)  # holds inline code: see _upload_section
    up = st.file_uploader(file_label, type=["csv", "xlsx"], key=f"upload_{kind}")
    _show_result(f"_ref_{kind}_result")
    if up is None or st.session_state.get(f"_ref_{kind}_done") == up.file_id:
        return
    with st.status(f"Reading {up.name} and comparing it with {held}…", expanded=False) as status:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / ("upload" + Path(up.name).suffix.lower())
            path.write_bytes(up.getvalue())
            upload = REFERENCE_PARSE[kind](
                path, data.reader(), data.authority(), display_name=up.name, include_hidden=_hidden()
            )
        status.update(label=f"Read {up.name}", state="error" if upload.problems else "complete")
    if upload.problems:
        _rejected(upload.problems, f"in {up.name}", "the file and upload it")
        return
    st.markdown(f"**What publishing {up.name} will change** ({rows_are}: {len(upload.rows)})")
    st.dataframe(upload.changes, hide_index=True, width="stretch")
    st.session_state[f"_ref_{kind}"] = (up.file_id, upload, _hidden())
    st.button(button, type="primary", key=f"publish_{kind}", on_click=_publish_reference, args=(kind, up.file_id))


def _national_section() -> None:
    st.header("Load national statistics")
    st.markdown(
        "DfE's published CSV files (Explore Education Statistics layout), one or several from a release: columns "
        "are read by name, and the measures a file carries are found from its columns. Suppressed and other "
        "withheld cells (c, x, z, low, u) are kept as such, never as zero. A newer release revises last year's "
        "figures; what earlier vintages showed the panel is kept."
    )
    ups = st.file_uploader("National statistics files", type=["csv"], accept_multiple_files=True, key="upload_national")
    _show_result("_ref_national_result")
    if not ups:
        return
    files_id = tuple(u.file_id for u in ups)
    if st.session_state.get("_ref_national_done") == files_id:
        return
    names = [u.name for u in ups]
    with st.status(f"Reading {', '.join(names)} and comparing with the figures held…", expanded=False) as status:
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for k, u in enumerate(ups):
                path = Path(tmp) / f"upload{k}.csv"
                path.write_bytes(u.getvalue())
                paths.append(path)
            upload = national.parse(paths, data.reader(), names)
        status.update(label=f"Read {count_of(len(ups), 'file')}", state="error" if upload.problems else "complete")
    if upload.problems:
        _rejected(upload.problems, "", "the files and upload them")
        return
    st.markdown(
        f"**What publishing will change** ({len(upload.rows)} figures: {', '.join(sorted(set(upload.measures)))})"
    )
    st.dataframe(upload.changes, hide_index=True, width="stretch")
    st.session_state["_ref_national"] = (files_id, upload, False)  # CSV only: nothing can be hidden
    st.button(
        "Publish national statistics",
        type="primary",
        key="publish_national",
        on_click=_publish_reference,
        args=("national", files_id),
    )


def _month_end_before(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


def _publish_annex(token: tuple) -> None:
    """Store the previewed extract through the journal: the publisher role checked now, at the write."""
    pending = st.session_state.get("_pending_annex")
    if pending is None or pending[0] != token:
        st.session_state["_annex_result"] = ("error", "The preview is out of date: upload the file again.")
        return
    _, extract, demo, hidden, cautioned = pending
    if cautioned and not st.session_state.get(CHECKED_KEY):  # the box, not only the button's state, on the server
        st.session_state["_annex_result"] = ("error", "Not loaded: tick the box to say the cautions were checked.")
        return
    council = token[-1]  # the council the preview was read (and pseudonymised) for
    what = f"Annex A extract {extract.name} as at {extract.as_at:%d %b %Y}"
    identity = _authorised(access.PUBLISH, None, what, "_annex_result", [council])
    if identity is None:
        return
    done, refused = attempt_write(
        lambda: stored.publish_extract(
            data.db_path(), extract, user=identity.who, demo_key=demo, authority=council, identity=identity
        )
    )
    if refused:
        st.session_state["_annex_result"] = ("error", f"Not loaded: {refused}")
        return
    vintage, purged, note = done
    if hidden:
        note_hidden(identity, what, vintage)
    withdrawn = (
        f" The retention setting withdrew {count_of(len(purged), 'older extract')}: {'; '.join(purged)}."
        if purged
        else ""
    )
    st.session_state["_annex_result"] = (
        "ok",
        f"Loaded {what} for {data.council_names().get(council, council)} as vintage {vintage}: its pseudonymised "
        "records and findings are kept, the file is not. "
        f"Computed vs loaded now uses it.{withdrawn}{' ' + note if note else ''}",
    )
    st.session_state["_annex_done"] = token
    st.session_state.pop("_pending_annex", None)
    st.session_state.pop("_annex_preview", None)
    st.session_state.pop(CHECKED_KEY, None)


def _annex_section() -> None:
    """An Annex A extract: read and checked (a preview of counts only), then stored through the journal."""
    st.header("Load an Annex A extract")
    st.markdown(
        "Ofsted's Annex A workbook (one sheet per list). Each child's ID is replaced by a keyed pseudonym on the "
        "way in, a date of birth becomes its month, and columns the figures do not use are never read; the file "
        "itself is not kept. The preview shows the lists found, the records in each and the data-quality "
        "findings by rule, never a record. *Computed vs loaded* then sets the figures computed from it beside "
        f"those loaded. {computed.retention_text()}"
    )
    st.caption(
        f"The extract is held for {plain(data.authority_name())}, the council in view: its figures are computed "
        "from its own extracts only, and its children are pseudonymised under its own records key."
    )
    c1, c2 = st.columns([2, 1])
    up = c1.file_uploader("Annex A workbook", type=["xlsx"], key="upload_annex")
    as_at = c2.date_input(
        "As at (the extract's date)",
        value=_month_end_before(dt.date.today()),
        max_value=dt.date.today(),
        format="DD/MM/YYYY",
        key="annex_as_at",
    )
    _show_result("_annex_result")
    if up is None:
        return
    council = data.authority()  # each council's extracts are its own, under its own records key
    token = (up.file_id, as_at.isoformat(), _hidden(), council)
    if st.session_state.get("_annex_done") == token:
        return
    try:
        key, demo = pseudonym.resolve_key(council=council), False
    except pseudonym.NoKey:
        key, demo = pseudonym.DEMO_KEY, True  # only a synthetic extract is accepted with the public demo key
    read = st.session_state.get("_annex_preview")
    if read is not None and read[0] == token:
        extract, problems = read[1], read[2]  # read once per file, date and box: a rerun never reads it again
    else:
        with st.status(f"Reading {up.name}…", expanded=False) as status:
            with tempfile.TemporaryDirectory() as tmp:  # the upload is read from a private temp file, then deleted
                path = Path(tmp) / "extract.xlsx"
                path.write_bytes(up.getvalue())
                try:
                    extract, problems = stored.preview(path, as_at, key, up.name, include_hidden=_hidden()), []
                except reading.LoadRejected as exc:
                    extract, problems = None, exc.problems
            status.update(label=f"Read {up.name}", state="error" if problems else "complete")
        st.session_state["_annex_preview"] = (token, extract, problems)
        st.session_state.pop(CHECKED_KEY, None)  # a tick given for another file or date does not carry over
    if problems:
        _rejected(problems, f"in {up.name}", "the workbook and upload it")
        return
    if demo and not extract.synthetic:
        st.error(
            "No records key is set for this dashboard, so only a synthetic extract (a 'Synthetic data' sheet whose "
            "A1 begins SYNTHETIC) can be loaded. Ask the administrator to set the council's records key.",
            icon="✖",
        )
        return
    computed.synthetic_banner(extract.synthetic)
    summary = stored.summary(extract)
    m1, m2, m3 = st.columns(3)
    m1.metric("Lists found", len(summary))
    m2.metric("Records", f"{int(summary['records'].sum()):,}")
    m3.metric("Data-quality findings", f"{int(summary['findings'].sum()):,}")
    st.markdown(f"**What loading {plain(up.name)} as at {as_at:%d %b %Y} will keep** (counts only)")
    found = [rule for rule in RULES if summary[rule].any()]  # a rule no record broke is not a column
    st.dataframe(
        summary[["list", "records", "findings", *found]].rename(
            columns={"list": "List", "records": "Records", "findings": "Findings", **RULE_HEADINGS}
        ),
        hide_index=True,
        width="stretch",
    )
    if found:
        st.caption("; ".join(f"{RULE_HEADINGS[rule]}: {RULES[rule]}" for rule in found) + ".")
    newest = stored.newest_record(extract)
    checks = stored.cautions(data.reader(), extract, council, newest)
    for text in checks:
        st.warning(text, icon="⚠")
    if stored.far_after(as_at, newest):
        st.button(
            f"Use {newest:%d %b %Y}, the newest date in the file, as the as-at date",
            on_click=_use_as_at,
            args=(newest,),
        )
    st.session_state["_pending_annex"] = (token, extract, demo, _hidden(), bool(checks))
    checked = not checks or st.checkbox("I have checked the above and want to load it", key=CHECKED_KEY)
    st.button(
        "Load this extract",
        type="primary",
        key="publish_annex",
        on_click=_publish_annex,
        args=(token,),
        disabled=not checked,
    )


CHECKED_KEY = "annex_checked"


def _use_as_at(day: dt.date) -> None:
    st.session_state["annex_as_at"] = day
    st.session_state.pop(CHECKED_KEY, None)


def _commentary_section(areas: dict[str, str]) -> None:
    st.header("Edit commentary")
    st.caption(
        "Stored per service area and month as a new vintage (earlier wording is kept). Markdown is allowed; "
        "HTML is shown as typed, never run."
    )
    c1, c2 = st.columns(2)
    area = c1.selectbox("Service area", list(areas), format_func=areas.get, key="edit_area")
    months = [iso(m) for m in data.months("latest")]
    month = c2.selectbox("Month", months, format_func=lambda m: long_label(parse_period(m)), key="edit_month")
    period = parse_period(month)
    existing = data.commentary("latest", area, period)
    start = existing.iloc[0]["text"] if not existing.empty else ""
    key = f"commentary_{area}_{month}"
    with st.form(f"form_{key}"):
        text = st.text_area("Commentary", value=start, height=220, max_chars=commentary.MAX_CHARS, key=key)
        if signin.auth_configured():
            st.caption("Recorded with the edit as written by you, as signed in.")
        else:
            st.text_input("Your name (recorded with the edit)", max_chars=80, key="commentary_author")
        st.form_submit_button(
            "Publish commentary", type="primary", on_click=_publish_commentary_form, args=(area, period, key)
        )
    _show_result("_commentary_result")
    if text.strip():
        st.markdown("**Preview**")
        components.markdown_text(text)


def _publish_commentary_form(area: str, period, key: str) -> None:
    publish_commentary(
        area,
        period,
        st.session_state.get(key, ""),
        st.session_state.get("commentary_author", ""),
        "_commentary_result",
        f"the area page shows it for {long_label(period)}.",
    )


def editable_areas() -> dict[str, str]:
    """Service areas whose commentary this person may publish (weekly is a table, not a service area)."""
    areas = service_areas(data.table("areas").sort_values("sort_order"))
    names = dict(zip(areas["area"], areas["title"]))
    return {a: t for a, t in names.items() if signin.may(access.COMMENTARY, a, data.authority())}


def load_page() -> None:
    st.title("Load figures and commentary")
    ctx = current()
    v = data.vintages()
    st.caption(
        f"The dashboard holds {len(v)} vintages; the newest is {plain(v.sort_values('seq')['label'].iloc[-1])}. "
        f"Viewing {ctx.vintage_label}."
    )
    if not signin.auth_configured() and not signin.demo_unlock_form():
        return
    wrote = False
    if signin.may(access.PUBLISH, council=data.authority()):
        _hidden_box()
        _upload_section()
        st.divider()
        _reference_section("targets")
        st.divider()
        _reference_section("comparators")
        st.divider()
        _national_section()
        st.divider()
        _reference_section("plan")
        st.divider()
        _annex_section()
        wrote = True
    if signin.may(access.MANAGE, council=data.authority()) and data.region():
        if wrote:
            st.divider()
        _sharing_section()
        wrote = True
    areas = editable_areas()
    if areas:
        if wrote:
            st.divider()
        _commentary_section(areas)
        wrote = True
    if not wrote:
        st.info(
            "Your role lets you read the dashboard but not change it. Ask your performance team if you need to "
            "load figures or write an area's commentary."
        )


def _set_sharing(council: str, shared: bool) -> None:
    """The council's admin shares (or stops sharing) its monthly figures: permission for this council, now."""
    word = "share monthly figures with the region" if shared else "stop sharing monthly figures"
    identity = _authorised(access.MANAGE, None, word, "_sharing_result", [council])
    if identity is None:
        return
    vintage, refused = attempt_write(lambda: councils.set_sharing(data.db_path(), council, shared, user=identity.who))
    if refused:
        st.session_state["_sharing_result"] = ("error", f"Not changed: {refused}")
        return
    st.session_state["_sharing_result"] = ("ok", f"Saved as vintage {vintage}.")


def _sharing_section() -> None:
    """Admins: share this council's monthly figures with its region before DfE publishes them (README, Several
    councils). The region's councils then see the mean and range of those sharing; nobody sees one that has not."""
    council, region = data.authority(), data.region()
    region_name = REGION_NAME.get(region, region)
    st.header(f"Share monthly figures with {region_name}")
    shared = council in data.sharing_councils()
    st.markdown(
        f"**{plain(data.authority_name())} {'shares' if shared else 'does not share'}** its monthly figures with "
        f"{region_name}. Sharing puts them, unnamed, into the “{REGION_SHORT.get(region, region)} this "
        "month” comparator (mean, range and how many councils share) that the region's councils see beside the "
        "annual published one. Stopping takes them out at once. Each change is kept in the journal and the audit "
        "trail."
    )
    _show_result("_sharing_result")
    st.button(
        "Stop sharing" if shared else f"Share with {region_name}",
        key="sharing_toggle",
        on_click=_set_sharing,
        args=(council, not shared),
    )


def audit_trail() -> None:
    st.title("Audit trail")
    st.caption(
        "Every write (from the write journal: who, when, what, which vintage) and every refused write, "
        "failed sign-in and sign-in without a role, newest first. The download and the command *dashboard audit* "
        "give the same rows as CSV, oldest first."
    )
    try:
        identity = signin.authorise(access.MANAGE, None, "open the audit trail")
    except access.Refused as exc:
        st.error(str(exc))
        return
    trail = audit.trail(data.db_path())
    everyone = list(data.table("authorities")["authority"])
    managed = [c for c in everyone if access.permits(identity, access.MANAGE, council=c)]
    if len(managed) < len(everyone):  # a council's admin: its councils' writes (and the national ones), and events
        theirs = set().union(*(data.reader().vintages_of(c) for c in managed))
        theirs |= set(data.table("vintages").query("kind == 'national'")["vintage"])
        trail = trail[(trail["vintage"].fillna("") == "") | trail["vintage"].isin(theirs)].reset_index(drop=True)
        st.caption(f"Writes for {', '.join(plain(data.council_names()[c]) for c in managed)} only.")
    done = trail["outcome"].isin(["published", "done", "shown"])  # a restore, roles stored, a view: not refusals
    refused = trail[~done]
    m1, m2 = st.columns(2)
    m1.metric("Writes", int((trail["outcome"] == "published").sum()))
    m2.metric("Refused or failed", len(refused))
    shown_trail = trail.iloc[::-1]
    st.dataframe(
        pd.DataFrame(
            {
                "When": shown_trail["when"],
                "Who": shown_trail["who"],
                "Event": shown_trail["event"],
                "What": shown_trail["what"],
                "Vintage": shown_trail["vintage"],
                "Outcome": shown_trail["outcome"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.download_button(
        "Download the audit trail (CSV)",
        trail.map(neutralise).to_csv(index=False).encode(),  # typed text never runs as a spreadsheet formula
        "audit-trail.csv",
        "text/csv",
    )
    st.header("Who has which role")
    if not signin.auth_configured():
        st.info(
            "Sign-in is not configured: this is the embedded demo, where anyone reads and the shared admin secret "
            "unlocks every write. README, Deploying for a council, says how to switch on sign-in and roles."
        )
        return
    roles = access.load_roles(known_areas=set(data.table("areas")["area"]))
    area_names = data.area_names()
    origin = access.roles_origin()
    how = (
        "stored with dashboard roles-to-state, every host reads them from there within seconds"
        if origin.startswith("the roles in the shared state")
        else "edited by the admin; read again whenever it changes"
    )
    st.caption(f"From {origin} ({how}). Group names are read from the “{roles.group_claim}” claim.")
    st.dataframe(
        pd.DataFrame(
            {
                "Email or group": [g.email or f"group: {g.group}" for g in roles.grant],
                "Role": [access.ROLE_WORD[g.role] for g in roles.grant],
                "Commentary for": [", ".join(area_names.get(a, a) for a in g.areas) for g in roles.grant],
                # record-level access (children's pseudonyms, workers' names) is the grant an audit most asks after
                "Children's records": [
                    (", ".join(area_names.get(a, a) for a in g.records) or "none")
                    + (f" (teams: {', '.join(g.teams)})" if g.teams else "")
                    for g in roles.grant
                ],
                "Councils": [", ".join(g.councils) or "every council" for g in roles.grant],
            }
        ),
        hide_index=True,
        width="stretch",
    )
