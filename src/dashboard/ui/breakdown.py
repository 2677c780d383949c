"""The indicator page's Breakdown, for a figure computed from the children's records (Annex A): the month's figure
by team, by worker within a team, the trend per team, the spread of a timescale, and the children to discuss.

Who may see what is decided here, on the server, at every read (README, "Drill-down"): without record-level access
for the figure's area, team aggregates only with counts below 5 shown as "fewer than 5"; worker names and the list
of children need it. Every view and download of record-level rows, and every refusal, goes to the audit trail. In
the demo without sign-in, record-level views are on only when the records are synthetic, and the page says so."""

from __future__ import annotations

import datetime as dt
import io
import os

import pandas as pd
import streamlit as st

from ..auth import access
from ..records import views
from ..records.views import MEASURES, Measure
from ..words.formatting import count_of, fmt_value
from ..words.periods import iso, long_label
from ..writes import audit
from . import components, data, signin
from .computed import synthetic_banner

SENSITIVE = "OFFICIAL-SENSITIVE"


@data.per_database(max_entries=2, resource=True)
def _held(*, authority: str) -> tuple[list, pd.DataFrame]:
    """The council in view's held extracts as compute reads them, and its extracts table (cached per database
    file and council): another council's records never reach its pages."""
    return views.held(data.reader(), authority)


@data.per_database(max_entries=8, resource=True)
def _counted(ref: str, *, authority: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    extracts, _ = _held(authority=authority)
    return views.counted(extracts, ref)


@data.per_database(max_entries=8, resource=True)
def _teams(ref: str, *, authority: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every month's figure by team, and the council's from the same rows (cached: a rerun only draws)."""
    _, rows = _counted(ref, authority=authority)
    return views.team_figures(rows, ref)


def computed_ref(ref: str) -> bool:
    return views.computed_ref(ref)


class Access:
    """What this request may see of one area's records in one council: every team (teams None), some, or none.
    Only the grants that hold for the council count: a Bury records grant opens none of Tameside's children."""

    def __init__(self, identity: access.Identity | None, area: str, synthetic: bool, council: str):
        self.identity, self.demo = identity, False
        if identity is not None and not identity.signed_in:
            self.demo = synthetic  # the demo without sign-in: synthetic records only
            self.teams = None if synthetic else frozenset()
        else:
            self.teams = access.record_teams(identity.within(council) if identity else None, area)

    @property
    def any(self) -> bool:
        return self.teams is None or bool(self.teams)

    def team(self, name: str) -> bool:
        return views.may_see_team(self.teams, name)

    @property
    def who(self) -> str:
        return self.identity.who if self.identity else "nobody signed in"


def _audit_once(event: str, who: str, what: str, outcome: str) -> None:
    """One line per view, naming the council: a rerun of the same view (a sort, a chart toggle) is not a new view."""
    what = f"{what}; council {data.authority()}"
    seen = st.session_state.setdefault("_records_audited", set())
    if (event, what) in seen:
        return
    seen.add((event, what))
    audit.record(data.db_path(), event, who, what, outcome=outcome)


def section(ref: str, ctx, area: str, unit: str) -> None:
    """The Breakdown section of the indicator page (nothing in presenter mode)."""
    if st.query_params.get("present") == "1":
        return
    m = MEASURES[ref]
    extracts, head = _held()  # the council in view's
    if not extracts:  # nothing to break down: the page stays as it is without records
        return
    st.header("Breakdown", anchor="breakdown")
    figures, rows = _counted(ref)
    month = ctx.month
    fig = figures[figures["month"] == month]
    if fig.empty:
        st.info(f"{ref} is not computed for {long_label(month)} from the extracts held: choose another month.")
        return
    used = fig.iloc[0]
    synthetic = bool(head.loc[(head["name"] == used["extract"]), "synthetic"].any())
    synthetic_banner(synthetic)
    try:
        identity = signin.current()
    except access.RolesError:
        identity = None
    may = Access(identity, area, synthetic, data.authority())
    if may.demo:
        st.caption(
            "Demo without sign-in: the children's pseudonyms and workers' names are shown because these records are "
            "synthetic. With real records they are shown only to those granted record-level access."
        )
    mine = rows[rows["month"] == month]
    if not mine.empty and not mine["team"].notna().any():
        st.info(f"The extract gives no allocated team for {ref}'s records, so it cannot be broken down by team.")
        return
    st.caption(
        f"{long_label(month)}, computed from {used['extract']} as at {pd.Timestamp(used['as_at']):%d %b %Y}: "
        f"the council figure is {_value(used['computed'], unit)}. Each team's figure uses the same definition, "
        "so the teams add up to it; a record's team is its allocated team in the extract."
    )
    st.caption(f"How {ref} is computed: {views.how_computed(ref)}")
    teams, whole = _teams(ref)
    this_month = teams[teams["month"] == month].reset_index(drop=True)
    _by_team(m, this_month, unit, may, month)
    if may.any:
        _by_worker(m, mine, unit, may, ref, month)
    _trend(m, teams, whole, unit, may)
    _spread(m, mine, this_month, may)
    _caseloads(mine, may, ref, month)
    _children(m, mine, may, ref, month, area)


def _value(v, unit: str) -> str:
    return fmt_value(v, unit) if pd.notna(v) else "no cases"


def _labels(m: Measure) -> tuple[str, str]:
    """(numerator, denominator) in words: due / done for a measure judged on the day, else met / cases."""
    if m.per:
        return ("Highest caseload" if m.kind == "max" else "Children"), "Workers"
    if m.kind == "count":
        return "Count", ""
    if m.within is not None and m.basis != "event" and not m.within.over:
        return "Done in time", "Due"
    return "Meeting the measure", "Cases"


def _team_table(m: Measure, table: pd.DataFrame, unit: str, may: Access) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, drawn): the table as this viewer may see it, and the rows the bar chart may draw."""
    shown, drawn = views.team_table(table, m.ref, may.teams)
    num, den = _labels(m)
    out = pd.DataFrame({"Team": shown["team"]})
    if m.kind == "count":
        out[num] = shown["numerator"].map(_cell)
    else:
        out[num] = shown["numerator"].map(_cell)
        out[den] = shown["denominator"].map(_cell)
        if den == "Due":
            outside = shown["outside"] if "outside" in shown else shown["denominator"] - shown["numerator"]
            out["Overdue"] = outside.map(_cell)
        out["Figure"] = [v if isinstance(v, str) else _value(v, unit) for v in shown["value"]]
    return out, drawn


def _cell(v) -> str:
    if isinstance(v, str):
        return v
    return "–" if pd.isna(v) else f"{int(v):,}"


def _by_team(m: Measure, table: pd.DataFrame, unit: str, may: Access, month) -> None:
    st.subheader(f"By team, {long_label(month)}")
    if table.empty:
        st.info("No record counts towards this figure this month.")
        return
    shown, drawn = _team_table(m, table, unit, may)
    if may.teams is not None:
        st.caption(
            "Team figures only: counts from 1 to 4 are shown as 'fewer than 5' and a figure worked out from one is "
            "hidden; where one team's count is hidden the next smallest is withheld, so no child can be singled out."
        )
    components.static_table(shown)
    if drawn.empty:
        return
    best = drawn.loc[drawn["value"].idxmax()]
    low = drawn.loc[drawn["value"].idxmin()]
    title = f"{m.ref} by team, {long_label(month)}"
    summary = (
        f"{count_of(len(drawn), 'team')} drawn; the highest is {best['team']} at {_value(best['value'], unit)} "
        "and the lowest "
        f"{low['team']} at {_value(low['value'], unit)}"
        + (
            f"; {count_of(len(table) - len(drawn), 'team')} not drawn (figure hidden)"
            if len(drawn) < len(table)
            else ""
        )
        + "."
    )
    spec = {
        "title": title,
        "data": {"values": [{"team": t, "value": float(v)} for t, v in zip(drawn["team"], drawn["value"])]},
        "layer": [
            {"mark": {"type": "bar", "color": "#1d70b8"}},
            {"mark": {"type": "text", "align": "left", "dx": 4}, "encoding": {"text": {"field": "value"}}},
        ],
        "encoding": {
            "y": {"field": "team", "type": "nominal", "sort": "-x", "title": None, "axis": {"labelLimit": 260}},
            "x": {"field": "value", "type": "quantitative", "title": unit_title(m, unit)},
        },
        "height": {"step": 28},
    }
    components.show_chart(spec, summary)
    st.caption(f"Chart summary: {summary}")


def unit_title(m: Measure, unit: str) -> str:
    return {"percent": "Per cent", "count": "Number", "mean": "Children per worker", "max": "Children"}.get(
        m.kind, unit
    )


def _by_worker(m: Measure, mine: pd.DataFrame, unit: str, may: Access, ref: str, month) -> None:
    teams = sorted(t for t in mine["team"].dropna().unique() if may.team(t))
    if not teams:
        return
    st.subheader("By worker within a team")
    team = st.selectbox("Team", teams, format_func=views.shown_name, key=f"bd_team_{ref}")
    table = views.workers(mine, ref, team, may.teams)
    num, den = _labels(m)
    if m.per:  # a worker's own caseload
        num = "Children"
    out = pd.DataFrame({"Worker": table["worker"], num: table["numerator"].map(_cell)})
    if m.kind != "count" and not m.per:
        out[den] = table["denominator"].map(_cell)
        out["Figure"] = table["value"].map(lambda v: _value(v, unit))
    _audit_once(
        "records viewed",
        may.who,
        f"{ref} {iso(month)}: workers of {views.shown_name(team)} ({len(out)} rows)",
        "shown",
    )
    components.static_table(out)


def _trend(m: Measure, table: pd.DataFrame, whole: pd.DataFrame, unit: str, may: Access) -> None:
    if table["month"].nunique() < 2:
        return
    st.subheader("Trend per team")
    drawn = views.team_trend(table, whole, m.ref, may.teams)
    months = sorted(drawn["month"].unique())
    names = [f"{pd.Timestamp(mo):%b %y}" for mo in months]
    values = [
        {"month": f"{pd.Timestamp(mo):%b %y}", "team": t, "value": float(v)}
        for mo, t, v in zip(drawn["month"], drawn["team"], drawn["value"])
        if pd.notna(v)
    ]
    summary = (
        f"{m.ref} for {count_of(drawn['team'].nunique() - 1, 'team')} and the council over {len(months)} months "
        f"to {long_label(months[-1])}; each team has its own colour and point shape, named in the legend, and the "
        "council's line is dashed."
    )
    # Named by the legend, not at the lines' ends: the ends of lines close together put names on top of each other
    # and into the legend. The shape is there so colour is never the only way to tell two teams apart.
    spec = {
        "title": f"{m.ref} per team over the months the extracts cover",
        "data": {"values": values},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "sort": names, "title": None, "axis": {"labelAngle": 0}},
            "y": {"field": "value", "type": "quantitative", "title": unit_title(m, unit), "scale": {"zero": False}},
            "color": {"field": "team", "type": "nominal", "title": "Team", "legend": {"labelLimit": 320}},
        },
        "layer": [
            {
                "mark": {"type": "line"},
                "encoding": {
                    "strokeDash": {"condition": {"test": "datum.team === 'Council'", "value": [6, 3]}, "value": [1, 0]}
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 70},
                "encoding": {
                    "shape": {"field": "team", "type": "nominal", "title": "Team", "legend": {"labelLimit": 320}}
                },
            },
        ],
        "height": 320,
    }
    components.show_chart(spec, summary)
    st.caption(f"Chart summary: {summary}")


def _spread(m: Measure, mine: pd.DataFrame, table: pd.DataFrame, may: Access) -> None:
    words = views.measured_in(m)
    if not words or mine.empty:
        return
    since = views.judged_on_the_day(m.ref)
    st.subheader(f"{'How long since' if since else 'How long it took'}: {words} against the limit of {m.within.limit}")
    width = 5
    stats, bins, gaps = views.spread(mine, m.ref, may.teams, table, width)
    components.static_table(
        pd.DataFrame(
            {
                "Team": stats["team"],
                "Cases": stats["cases"].map(_cell),
                f"Median ({words})": stats["median"].map(lambda v: v if isinstance(v, str) else f"{v:g}"),
                f"90th percentile ({words})": stats["p90"].map(lambda v: v if isinstance(v, str) else f"{v:g}"),
            }
        )
    )
    within = int((gaps["gap"] <= m.within.limit).sum())
    summary = (
        f"{len(gaps)} cases by {words} {'since' if since else 'taken'} in bands of {width}; "
        f"{within} within the limit of {m.within.limit} "
        f"(dashed line); median {stats['median'].iloc[0]}, 90th percentile {stats['p90'].iloc[0]}"
        + ("; bands with fewer than 5 cases are not drawn" if may.teams is not None else "")
        + "."
    )
    spec = {
        "title": f"{m.ref}: {words} {'since' if since else 'taken'}, all teams",
        "layer": [
            {
                "data": {
                    "values": [{"from": float(b), "to": float(b) + width, "cases": int(n)} for b, n in bins.items()]
                },
                "mark": {"type": "bar", "color": "#1d70b8"},
                "encoding": {
                    "x": {
                        "field": "from",
                        "type": "quantitative",
                        "bin": {"binned": True},
                        "title": words.capitalize(),
                    },
                    "x2": {"field": "to"},
                    "y": {"field": "cases", "type": "quantitative", "title": "Cases"},
                },
            },
            {
                "data": {"values": [{"limit": m.within.limit}]},
                "mark": {"type": "rule", "strokeDash": [6, 3], "color": "#d4351c", "size": 2},
                "encoding": {"x": {"field": "limit", "type": "quantitative"}},
            },
        ],
        "height": 260,
    }
    components.show_chart(spec, summary)
    st.caption(f"Chart summary: {summary}")


def _children(m: Measure, mine: pd.DataFrame, may: Access, ref: str, month, area: str) -> None:
    if not views.has_children_list(ref):
        return
    st.subheader("The children to discuss")
    if not may.any:
        st.info(
            "The list of children needs record-level access for this area, which your role does not include. "
            "Ask the dashboard's admin if you need it; this request has been recorded."
        )
        _audit_once("refused: records", may.who, f"{ref} {iso(month)}: children to discuss for {area}", "refused")
        return
    kids = views.children(mine, ref, may.teams)
    words = views.measured_in(m)
    table = pd.DataFrame(
        {
            "Pseudonym": kids["pseudonym"],
            "Team": kids["team"],
            "Worker": kids["worker"],
            **{c.replace("_", " ").capitalize(): kids[c] for c in kids.columns if c in m.uses},
        }
    )
    if words:
        table[f"Measured ({words})"] = kids["measured"]
        table[f"Over the limit by ({words})"] = kids["over_by"]
    scope = "every team" if may.teams is None else ", ".join(sorted(map(views.shown_name, may.teams)))
    _audit_once(
        "records viewed", may.who, f"{ref} {iso(month)}: children to discuss, {scope} ({len(table)} rows)", "shown"
    )
    st.caption(
        f"{count_of(len(table), 'record')} for {long_label(month)} ({scope}). Pseudonyms are keyed: the case system's "
        "performance officer can match them; nobody else can. Viewing and downloading are recorded."
    )
    st.dataframe(table, hide_index=True, width="stretch")
    name = f"{SENSITIVE}-children-to-discuss-{ref}-{iso(month)}.csv"
    # Made only when the button is pressed (never held where Streamlit serves files to any address that asks),
    # with access checked again, the download audited, and a line naming who and when, so no two are the same file.
    st.download_button(
        "Download the list (CSV, OFFICIAL-SENSITIVE)",
        data=_list_on_click(table, ref, month, name, area, may),
        file_name=name,
        mime="text/csv",
        key=f"bd_csv_{ref}",
        on_click="ignore",
    )


def _list_on_click(table: pd.DataFrame, ref: str, month, name: str, area: str, may: Access):
    """The list's file, made when the button is pressed (on Streamlit's download thread, so everything it needs
    is taken now): the viewer's record access for the area worked out again from the roles as they are then, and
    the download audited, or refused and audited."""
    db, council, who = data.db_path(), data.authority(), may.who
    signed_in = may.identity is not None and may.identity.signed_in
    identity_then = signin.later() if signed_in else None

    def made() -> bytes:
        if identity_then is not None:  # signed in: the grant as it is at the click
            try:
                now = identity_then()
                teams = access.record_teams(now.within(council) if now else None, area)
            except access.RolesError:
                teams = frozenset()
            if teams is not None and teams != may.teams:  # withdrawn or narrowed since the list was drawn
                what = f"{ref} {iso(month)}: {name}; council {council}"
                audit.record(db, "refused: records", who, what, outcome="refused")
                return b"Refused: your record-level access for this area has changed. Reload the page.\n"
        audit.record(
            db,
            "records downloaded",
            who,
            f"{ref} {iso(month)}: {name} ({len(table)} rows); council {council}",
            outcome="done",
        )
        return _csv(table, ref, month, who)

    return made


def _csv(table: pd.DataFrame, ref: str, month, who: str) -> bytes:
    buf = io.StringIO()
    buf.write(f"{SENSITIVE}: children's records (pseudonymised) for {ref}, {long_label(month)}. Do not share.\n")
    buf.write(f"Downloaded by {who} at {dt.datetime.now():%d %b %Y %H:%M:%S.%f}.\n")
    table.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


THRESHOLD_ENV = "DASHBOARD_CASELOAD_THRESHOLD"
DEFAULT_THRESHOLD = 20


def caseload_threshold() -> tuple[int, str]:
    """The caseload above which a worker is named here: $DASHBOARD_CASELOAD_THRESHOLD, else `[records]
    caseload_threshold` in the app's secrets, else 20. (threshold, a note if the setting could not be used)"""
    raw = os.environ.get(THRESHOLD_ENV)
    if raw in (None, ""):
        try:
            raw = (st.secrets.get("records") or {}).get("caseload_threshold")
        except Exception:  # no secrets file: the demo
            raw = None
    if raw in (None, ""):
        return DEFAULT_THRESHOLD, ""
    text = str(raw).strip()
    if text.isdigit() and 1 <= int(text) <= 200:
        return int(text), ""
    return (
        DEFAULT_THRESHOLD,
        f"The caseload threshold setting {text!r} is not a whole number from 1 to 200, so 20 is used.",
    )


def _caseloads(mine: pd.DataFrame, may: Access, ref: str, month) -> None:
    """Caseloads at the extract date: the spread per team, the highest, and the workers above the threshold."""
    threshold, note = caseload_threshold()
    summary = views.caseload_summary(mine, ref, may.teams, threshold)
    if not summary:
        return
    st.subheader("Caseloads at the extract date")
    rows = [
        {
            "Team": r["team"],
            "Workers": _cell(r["workers"]),
            "Median caseload": r["median"] if isinstance(r["median"], str) else f"{r['median']:g}",
            "Highest": _cell(r["highest"]),
            f"Above {threshold}": _cell(r["above"]),
        }
        for r in summary
    ]
    components.static_table(pd.DataFrame(rows))
    st.caption(
        f"Children allocated to each worker at the extract date; the threshold ({threshold}) is set by the admin "
        f"({THRESHOLD_ENV}, or caseload_threshold under [records] in the secrets)." + (f" {note}" if note else "")
    )
    if not may.any:
        return
    top = views.highest_caseloads(mine, ref, may.teams, threshold)
    _audit_once(
        "records viewed",
        may.who,
        f"{ref} {iso(month)}: highest caseloads and those above {threshold} ({len(top)} rows)",
        "shown",
    )
    st.markdown(f"**Highest caseloads, and every worker above {threshold}**")
    components.static_table(
        pd.DataFrame(
            {
                "Worker": top["worker"],
                "Team": top["team"],
                "Children": top["children"].map(_cell),
                f"Above {threshold}": ["yes" if c > threshold else "no" for c in top["children"]],
            }
        )
    )


def team_view(ctx, area: str) -> None:
    """The area page's team view: the area's computed refs recomputed for one allocated team (the same
    definitions over that team's records), beside the council figure; suppressed as the Breakdown is."""
    ind = data.table("indicators")
    refs = [(r, n, u) for r, a, n, u in zip(ind["ref"], ind["area"], ind["name"], ind["unit"]) if a == area]
    refs = [(r, n, u) for r, n, u in refs if r in MEASURES]
    if not refs:
        return
    extracts, head = _held()
    if not extracts:
        return
    newest = extracts[-1]
    lists = {MEASURES[r].list for r, _, _ in refs}
    teams = sorted(
        {
            str(t)
            for key in lists
            if key in newest.lists and "team" in newest.lists[key]
            for t in newest.lists[key]["team"].dropna()
        }
    )
    if not teams:
        return
    st.header("Team view")
    whole = "The whole council"
    team = st.selectbox(
        "Team view: the computed figures for one allocated team",
        [whole, *teams],
        format_func=lambda t: t if t == whole else views.shown_name(t),
        key=f"team_view_{area}",
    )
    if team == whole:
        st.caption(
            "Pick a team to see this area's figures computed from the Annex A records for that team alone, by "
            "the same definitions as the council's figures (Computed vs loaded, How each figure is computed)."
        )
        return
    try:
        identity = signin.current()
    except access.RolesError:
        identity = None
    synthetic = bool(head["synthetic"].any())
    synthetic_banner(synthetic)
    may = Access(identity, area, synthetic, data.authority())
    out = []
    for ref, name, unit in refs:
        table, council = _teams(ref)
        month = table[table["month"] == ctx.month].reset_index(drop=True)
        here = council[council["month"] == ctx.month]
        if month.empty or here.empty:
            continue
        shown = views.suppressed(month, ref, may.teams)
        mine = shown[month["team"] == team]
        value = mine["value"].iloc[0] if len(mine) else None
        out.append(
            {
                "Ref": ref,
                "Indicator": name,
                "This team": value
                if isinstance(value, str)
                else ("no cases" if value is None else _value(value, unit)),
                "Council (computed)": _value(here["value"].iloc[0], unit),
            }
        )
    if not out:
        st.info(f"No figure is computed from the records for {long_label(ctx.month)}.")
        return
    components.static_table(pd.DataFrame(out))
    st.caption(
        f"{views.shown_name(team)}, {long_label(ctx.month)}: each figure computed from this team's records in the "
        "extract the council figure comes from. "
        + ("" if may.teams is None else "Counts below 5 are shown as 'fewer than 5'.")
    )
