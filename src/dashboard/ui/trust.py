"""Pages about trusting the numbers: what was revised, what is missing or odd, and the admin section
that loads new figures and commentary. Writing needs the admin secret; viewers only read."""

from __future__ import annotations

import hmac
import os
import secrets
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from .. import journal, lifecycle, loader, reference
from ..backoff import Backoff
from ..engine.rag import BASIS_WORD
from ..formatting import RAG_WORD, fmt_change, fmt_value, plain, rag_label, shown
from ..periods import iso, label, long_label, parse_period
from . import components, data
from .context import current
from .routing import routed

SECRET_ENV = "DASHBOARD_ADMIN_SECRET"
SECRET_KEY = "admin_secret"  # in .streamlit/secrets.toml
APP_USER = "admin (app, shared secret)"  # who the journal records for writes made through the admin page


def _area_names() -> dict[str, str]:
    areas = data.table("areas")
    return dict(zip(areas["area"], areas["short_title"]))


@routed
def revisions() -> None:
    st.title("Revisions between vintages")
    st.caption("Every figure that changed between one vintage and the next that printed it: what the panel was "
               "told, what it says now, and whether the change moved the month's RAG rating or direction of travel.")
    rev = data.revisions()
    if rev.empty:
        st.info("No figure has been revised: every vintage agrees with the one before it.")
        return
    ind = data.table("indicators").set_index("ref")
    names = _area_names()
    rev = rev.assign(area=rev["ref"].map(ind["area"]), unit=rev["ref"].map(ind["unit"]))
    c1, c2, c3 = st.columns(3)
    area_opts = [a for a in names if a in set(rev["area"])]
    picked_areas = c1.multiselect("Service area", area_opts, format_func=names.get, placeholder="All areas", key="rev_area")
    month_opts = sorted(set(rev["period"]), reverse=True)
    picked_months = c2.multiselect("Month", month_opts, format_func=label, placeholder="All months", key="rev_month")
    only_moved = c3.toggle("Only revisions that changed RAG or direction", key="rev_moved")
    shown_rev = rev
    if picked_areas:
        shown_rev = shown_rev[shown_rev["area"].isin(picked_areas)]
    if picked_months:
        shown_rev = shown_rev[shown_rev["period"].isin(picked_months)]
    if only_moved:
        shown_rev = shown_rev[shown_rev["rag_changed"] | shown_rev["direction_changed"]]

    moved_rag, moved_dir = int(rev["rag_changed"].sum()), int(rev["direction_changed"].sum())
    m1, m2, m3 = st.columns(3)
    m1.metric("Revised figures", len(rev))
    m2.metric("Changed the RAG rating", moved_rag)
    m3.metric("Changed the direction of travel", moved_dir)
    st.subheader(f"{len(shown_rev)} revised figures")
    if shown_rev.empty:
        st.info("No revision matches these filters.")
        return
    pct = shown_rev["old_value"].abs().replace(0, pd.NA)
    table = pd.DataFrame({
        "Ref": shown_rev["ref"],
        "Indicator": shown_rev["ref"].map(ind["name"]),
        "Area": shown_rev["area"].map(names),
        "Month": shown_rev["period"].map(label),
        "As first reported": [fmt_value(v, u) for v, u in zip(shown_rev["old_value"], shown_rev["unit"])],
        "In": shown_rev["old_label"],
        "Revised to": [fmt_value(v, u) for v, u in zip(shown_rev["new_value"], shown_rev["unit"])],
        "Revised in": shown_rev["new_label"],
        "Change": [("+" if d > 0 else "−") + fmt_change(d, u) + ("" if u == "percent" or pd.isna(p) else f" ({abs(d) / p:.0%})")
                   for d, u, p in zip(shown_rev["change"], shown_rev["unit"], pct)],
        "RAG": [f"{rag_label(o)} → {rag_label(n)}" if c else f"unchanged ({RAG_WORD.get(n, 'Not rated')})"
                for o, n, c in zip(shown_rev["old_rag"], shown_rev["new_rag"], shown_rev["rag_changed"])],
        "Direction": [f"{o or 'none'} → {n or 'none'}" if c else f"unchanged ({n or 'none'})"
                      for o, n, c in zip(shown_rev["old_direction"], shown_rev["new_direction"], shown_rev["direction_changed"])],
    })
    st.dataframe(table, hide_index=True, width="stretch", key="revisions_table", on_select="rerun",
                 selection_mode="single-row", column_config={"Indicator": st.column_config.TextColumn(width="large")})
    st.caption("Select a row to open the indicator; revised months are marked † in the scorecards and ringed on "
               "the indicator chart. RAG and direction are worked out for the revised month as each vintage stood.")
    ref = components.selected_ref("revisions_table", table)
    if ref:
        components.open_detail(ref)


@routed
def data_quality() -> None:
    st.title("Data quality")
    st.caption("What a performance officer checks before the figures go to the panel. Latest figures throughout.")
    checks = data.quality_checks()
    names = _area_names()

    def table(frame: pd.DataFrame, columns: dict[str, str], empty: str) -> None:
        if frame.empty:
            st.success(empty)
            return
        out = frame.assign(area=frame["area"].map(names).fillna(""))
        out = out[list(columns)].rename(columns=columns)
        st.dataframe(out, hide_index=True, width="stretch")

    gaps = checks["gaps"]
    st.subheader(f"Missing and not-yet-available months ({len(gaps)} indicators)")
    st.caption("Months printed as 'Not Yet Available' or 'n/a', and months with no figure between an indicator's "
               "first and last figure. None of these is ever counted as zero.")
    table(gaps, {"ref": "Ref", "indicator": "Indicator", "area": "Area", "not_yet_available": "Not yet available",
                 "not_applicable": "n/a", "no_figure": "No figure printed"}, "Every indicator has a figure for every month.")

    defs = checks["definitions"]
    st.subheader(f"Definition changes under the same ref ({len(defs)})")
    st.caption("Where a ref kept its number but its wording or counting rule changed, a trend across the change "
               "compares different things. Damaged OCR wording is not counted as a change.")
    table(defs, {"ref": "Ref", "indicator": "Indicator now", "area": "Area", "note": "What changed",
                 "wording": "Wording in each pack"}, "No ref changed its definition.")

    churn = checks["churn"]
    st.subheader(f"Refs that appear or disappear between packs ({len(churn)})")
    table(churn, {"ref": "Ref", "indicator": "Indicator", "area": "Area", "change": "Change",
                  "from_pack": "Between", "to_pack": "And"}, "Every pack printed the same refs.")

    odd = checks["implausible"]
    st.subheader(f"Figures outside a plausible range ({len(odd)})")
    st.caption("Impossible values (a percentage outside 0–100, a negative count) are rejected on load; these are "
               "figures far from the indicator's usual level, worth checking against the source.")
    table(odd, {"ref": "Ref", "indicator": "Indicator", "area": "Area", "month": "Month", "value": "Figure",
                "why": "Why it is listed"}, "No figure is outside its plausible range.")

    st.subheader("Vintages")
    v = data.table("vintages").sort_values("seq")
    st.dataframe(pd.DataFrame({"Vintage": v["vintage"], "Reported in": v["label"], "Date": pd.to_datetime(v["published"]).dt.date,
                               "Kind": v["kind"], "Source": v["source_file"], "Note": v["as_of_note"]}),
                 hide_index=True, width="stretch")


@routed
def printed_vs_calculated() -> None:
    st.title("Printed vs calculated RAG")
    st.caption("The packs' RAG was set by hand. Here each printed rating sits beside the one calculated from the same "
               "figures (the scorecard as that pack stood), so the performance team can correct a target or explain "
               "the difference to the panel. Calculated ratings rest on the target, then England and statistical "
               "neighbours, then last year's figure (About the data says how).")
    diff = data.printed_vs_calculated()
    if diff.empty:
        st.info("No pack in the store printed RAG ratings.")
        return
    names = _area_names()
    diff = diff.assign(area_name=diff["area"].map(names), month_label=diff["month"].map(label))
    counts = diff.groupby(["month_label", "vintage_label", "area_name"], sort=False).agg(
        printed=("ref", "size"), differ=("rag_agrees", lambda s: int((~s).sum())),
        arrows_differ=("direction_agrees", lambda s: int((~s).sum()))).reset_index()
    st.subheader("How often they differ")
    st.dataframe(counts.rename(columns={"month_label": "Month", "vintage_label": "Printed in", "area_name": "Area",
                                        "printed": "Ratings printed", "differ": "RAG differs",
                                        "arrows_differ": "Arrow differs"}), hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    months = list(dict.fromkeys(diff["month_label"]))
    picked = label(current().month)  # the sidebar's month where a pack printed ratings for it
    month = c1.selectbox("Month", months, index=months.index(picked) if picked in months else len(months) - 1,
                         key="pvc_month")
    area = c2.selectbox("Area", ["All areas", *dict.fromkeys(diff["area_name"].dropna())], key="pvc_area")
    shown_rows = diff[(diff["month_label"] == month) & ~diff["rag_agrees"]]
    if area != "All areas":
        shown_rows = shown_rows[shown_rows["area_name"] == area]
    st.subheader(f"Where the printed RAG differs ({len(shown_rows)} indicators, {month})")
    if shown_rows.empty:
        st.success("Every printed rating agrees with the calculated one here.")
        return
    st.dataframe(pd.DataFrame({
        "Ref": shown_rows["ref"], "Indicator": shown_rows["indicator"], "Area": shown_rows["area_name"],
        "Printed": shown_rows["printed_rag"].map(rag_label), "Calculated": shown_rows["rag"].map(rag_label),
        "Basis": shown_rows["rag_basis"].map(BASIS_WORD).replace("", "not rated"),
        "Figure": shown_rows["current_text"], "Target": shown_rows["target_text"].replace("", "none"),
        "Previous year": [fmt_value(v, u) if pd.notna(v) else "" for v, u in zip(shown_rows["previous_year"], shown_rows["unit"])],
        "Printed arrow": shown_rows["printed_direction"], "Our arrow": shown_rows["direction_arrow"],
        "Our reason": shown_rows["rag_reason"],
    }), hide_index=True, width="stretch")


# ---------------------------------------------------------------- admin

def configured_secret() -> str | None:
    """The admin secret from the environment or .streamlit/secrets.toml; None when neither is set."""
    env = os.environ.get(SECRET_ENV, "").strip()
    if env:
        return env
    try:
        value = st.secrets.get(SECRET_KEY)
    except Exception:  # no secrets file at all is the normal case for a viewer deployment
        return None
    return str(value).strip() or None if value else None


def _unlocked() -> bool:
    """True once this session has entered the configured secret (checked in constant time)."""
    secret = configured_secret()
    if secret is None:
        st.info(f"Loading figures and editing commentary is switched off. To switch it on, set the environment "
                f"variable `{SECRET_ENV}` or `{SECRET_KEY}` in `.streamlit/secrets.toml`, restart, and enter the "
                "secret here. Viewers without it can only read.", icon="🔒")
        return False
    if st.session_state.get("_admin_ok") == secret:
        st.caption("Admin unlocked for this session.")
        return True
    with st.form("unlock"):
        st.text_input("Admin secret", type="password", key="admin_secret_input")
        st.form_submit_button("Unlock", on_click=_try_unlock, args=(secret,))
    refused = st.session_state.pop("_admin_refused", None)
    if refused:
        st.error(refused)
    return False


# Writes happen in button callbacks: they run once, before the script, so a rerun can never repeat or drop them.

def attempt_write(write) -> tuple[str | None, str | None]:
    """Run one write (after the caller re-checked the permission): (vintage, None), or (None, why it was
    refused) for a rejected file, another writer, or a fault of the disk or database."""
    try:
        return write(), None
    except loader.LoadRejected as exc:
        return None, "; ".join(str(p) for p in exc.problems)
    except journal.WriterBusy as exc:
        return None, str(exc)
    except lifecycle.FAULTS as exc:
        return None, lifecycle.explain(exc)


UNLOCK_BACKOFF = Backoff()  # shared by every session of this server


def _unlock_keys() -> tuple[str, ...]:
    session = st.session_state.setdefault("_unlock_id", secrets.token_hex(8))
    try:
        address = st.context.ip_address or "unknown"
    except Exception:  # no request context (AppTest)
        address = "unknown"
    return (f"session:{session}", f"address:{address}")


def _try_unlock(secret: str) -> None:
    given = st.session_state.get("admin_secret_input", "")
    st.session_state["admin_secret_input"] = ""
    keys = _unlock_keys()
    wait = UNLOCK_BACKOFF.wait(*keys)
    if wait > 0:
        st.session_state["_admin_refused"] = f"Too many wrong secrets: try again in {wait:.0f} seconds."
        return
    if hmac.compare_digest(given.encode(), secret.encode()):
        UNLOCK_BACKOFF.succeeded(*keys)
        st.session_state["_admin_ok"] = secret
    else:
        wait = UNLOCK_BACKOFF.failed(*keys)
        st.session_state["_admin_refused"] = "That is not the admin secret." + (
            f" Wait {wait:.0f} seconds before the next try." if wait else "")


def allowed() -> bool:
    """Re-checked inside every write: a session that has not entered the current secret cannot write."""
    secret = configured_secret()
    return secret is not None and st.session_state.get("_admin_ok") == secret


def _publish_upload(file_id: str) -> None:
    plan = st.session_state.get("_plan")
    if not allowed() or plan is None or plan[0] != file_id:
        st.session_state["_publish_error"] = ["The preview is out of date: upload the file again."]
        return
    name = st.session_state.get("vintage_name", "").strip() or None
    vintage, refused = attempt_write(lambda: loader.publish_plan(data.db_path(), plan[1], name, user=APP_USER))
    if refused:
        st.session_state["_publish_error"] = [refused]
        return
    st.session_state["_published"] = (file_id, vintage)
    st.session_state.pop("_plan", None)


def _publish_commentary(area: str, period, key: str) -> None:
    if not allowed():
        st.session_state["_commentary_result"] = ("error", "Admin is locked: enter the secret again.")
        return
    vintage, refused = attempt_write(lambda: loader.publish_commentary(
        data.db_path(), area, period, st.session_state.get(key, ""),
        author=st.session_state.get("commentary_author", ""), user=APP_USER))
    if refused:
        st.session_state["_commentary_result"] = ("error", f"Not saved: {refused}")
        return
    st.session_state["_commentary_result"] = ("ok", f"Saved as vintage {vintage}. The area page shows it for "
                                                    f"{long_label(period)}.")


def _problems_table(problems: list[loader.Problem]) -> None:
    st.dataframe(pd.DataFrame({"File": [p.file for p in problems], "Row": [p.row or "" for p in problems],
                               "Column": [p.column or "" for p in problems], "Problem": [p.message for p in problems]}),
                 hide_index=True, width="stretch")


def _upload_section() -> None:
    st.subheader("Load figures")
    st.caption("A long CSV (`ref,period,value[,status]`) or the wide scorecard layout (Ref, Indicator, month columns) "
               "as CSV or XLSX. You see what will change before anything is written; publishing adds a new vintage, "
               "so what the panel was told before stays available.")
    up = st.file_uploader("Figures file", type=["csv", "xlsx"], key="upload")
    if up is None:
        return
    done = st.session_state.get("_published")
    if done and done[0] == up.file_id:
        st.success(f"Published {up.name} as vintage {done[1]}. Every page now shows it; remove the file to load another.")
        return
    reader = data.reader()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("upload" + Path(up.name).suffix.lower())
        path.write_bytes(up.getvalue())
        authorities = set(reader.table("authorities")["authority"])
        parsed = loader.parse_upload(path, loader.catalogue_of(reader), authorities, data.authority(),
                                     week_ending_day=reader.week_ending_weekday(),
                                     display_name=up.name)
    plan = loader.plan_upload(reader, parsed)
    if parsed.problems:
        st.error(f"Rejected: {len(parsed.problems)} problem(s) in {up.name}. Nothing will be loaded; fix the file "
                 "and upload it again.", icon="✖")
        _problems_table(parsed.problems)
        return
    ind = data.table("indicators").set_index("ref")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("New figures", len(plan.added))
    m2.metric("Revisions", len(plan.revised))
    m3.metric("Unchanged", plan.unchanged)
    m4.metric("Weekly figures", len(parsed.weekly))
    if parsed.month_columns:
        st.caption("Month columns read: " + "; ".join(f"“{h}” as {label(parse_period(m))}" for h, m in parsed.month_columns))
    if not plan.added.empty:
        st.markdown("**New figures**")
        a = plan.added
        st.dataframe(pd.DataFrame({"Ref": a["ref"], "Indicator": a["ref"].map(ind["name"]), "Month": a["period"].map(label),
                                   "Figure": [shown(v, s, ind.at[r, "unit"]) for v, s, r in
                                              zip(a["value"], a["status"], a["ref"])]}), hide_index=True, width="stretch")
    if not plan.revised.empty:
        st.markdown("**Revisions to figures already reported**")
        r = plan.revised
        st.dataframe(pd.DataFrame({"Ref": r["ref"], "Indicator": r["ref"].map(ind["name"]), "Month": r["period"].map(label),
                                   "Now": [shown(v, s, ind.at[x, "unit"]) for v, s, x in
                                           zip(r["old_value"], r["old_status"], r["ref"])],
                                   "Will be": [shown(v, s, ind.at[x, "unit"]) for v, s, x in
                                               zip(r["value"], r["status"], r["ref"])]}), hide_index=True, width="stretch")
    st.session_state["_plan"] = (up.file_id, plan)
    for problem in st.session_state.pop("_publish_error", []):
        st.error(f"Not published: {problem}")
    with st.form("publish_upload"):
        st.text_input("Name this vintage", value=f"Upload of {up.name}", max_chars=120, key="vintage_name")
        st.form_submit_button("Publish", type="primary", on_click=_publish_upload, args=(up.file_id,))


REFERENCE_HELP = {
    "targets": ("Load targets", "`ref,target[,tolerance][,from]`: the target as printed (85%, 20-24%, <7%, 552; blank "
                "withdraws it), an optional Amber tolerance in the indicator's units, and the financial year or month "
                "it applies from (2024/25, Apr-24; blank: from the start). Earlier months keep the target they had."),
    "comparators": ("Load comparators", "`ref,comparator,value,year[,source]`: comparator gm, nw, sn or england, the "
                    "published year (2022/23) and where it was published. A newer year replaces the one shown from "
                    "now on; what earlier vintages showed the panel is kept."),
}


def _publish_reference(kind: str, file_id: str) -> None:
    pending = st.session_state.get(f"_ref_{kind}")
    if not allowed() or pending is None or pending[0] != file_id:
        st.session_state[f"_ref_{kind}_result"] = ("error", "The preview is out of date: upload the file again.")
        return
    vintage, refused = attempt_write(lambda: reference.publish(data.db_path(), pending[1], user=APP_USER))
    if refused:
        st.session_state[f"_ref_{kind}_result"] = ("error", f"Not published: {refused}")
        return
    st.session_state[f"_ref_{kind}_result"] = ("ok", f"Published as vintage {vintage}.")
    st.session_state[f"_ref_{kind}_done"] = file_id
    st.session_state.pop(f"_ref_{kind}", None)


def _reference_section(kind: str) -> None:
    title, help_text = REFERENCE_HELP[kind]
    st.subheader(title)
    st.caption(help_text)
    up = st.file_uploader(f"{kind.title()} file", type=["csv", "xlsx"], key=f"upload_{kind}")
    result = st.session_state.pop(f"_ref_{kind}_result", None)
    if result:
        (st.success if result[0] == "ok" else st.error)(result[1])
    if up is None or st.session_state.get(f"_ref_{kind}_done") == up.file_id:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("upload" + Path(up.name).suffix.lower())
        path.write_bytes(up.getvalue())
        upload = reference.PARSERS[kind](path, data.reader(), data.authority(), display_name=up.name)
    if upload.problems:
        st.error(f"Rejected: {len(upload.problems)} problem(s) in {up.name}. Nothing will be loaded; fix the file "
                 "and upload it again.", icon="✖")
        _problems_table(upload.problems)
        return
    st.markdown(f"**What publishing {up.name} will change** ({len(upload.rows)} {kind})")
    st.dataframe(upload.changes, hide_index=True, width="stretch")
    st.session_state[f"_ref_{kind}"] = (up.file_id, upload)
    st.button(f"Publish {kind}", type="primary", key=f"publish_{kind}", on_click=_publish_reference,
              args=(kind, up.file_id))


def _commentary_section() -> None:
    st.subheader("Edit commentary")
    st.caption("Stored per service area and month as a new vintage (earlier wording is kept). Markdown is allowed; "
               "HTML is shown as typed, never run.")
    names = {a: n for a, n in _area_names().items() if a != "weekly"}
    c1, c2 = st.columns(2)
    area = c1.selectbox("Service area", list(names), format_func=names.get, key="edit_area")
    months = [iso(m) for m in data.months("latest")]
    month = c2.selectbox("Month", months, format_func=lambda m: long_label(parse_period(m)), key="edit_month")
    period = parse_period(month)
    existing = data.commentary("latest", area, period)
    start = existing.iloc[0]["text"] if not existing.empty else ""
    key = f"commentary_{area}_{month}"
    with st.form(f"form_{key}"):
        text = st.text_area("Commentary", value=start, height=220, max_chars=loader.MAX_COMMENTARY_CHARS, key=key)
        st.text_input("Your name (recorded with the edit)", max_chars=80, key="commentary_author")
        st.form_submit_button("Publish commentary", type="primary", on_click=_publish_commentary,
                              args=(area, period, key))
    result = st.session_state.pop("_commentary_result", None)
    if result:
        (st.success if result[0] == "ok" else st.error)(result[1])
    if text.strip():
        st.markdown("**Preview**")
        components.markdown_text(text)


@routed
def admin() -> None:
    st.title("Data: load figures and commentary")
    ctx = current()
    v = data.table("vintages")
    st.caption(f"The dashboard holds {len(v)} vintages; the newest is {plain(v.sort_values('seq')['label'].iloc[-1])}. "
               f"Viewing {ctx.vintage_label}.")
    if not _unlocked():
        return
    _upload_section()
    st.divider()
    _reference_section("targets")
    st.divider()
    _reference_section("comparators")
    st.divider()
    _commentary_section()

