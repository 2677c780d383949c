"""The improvement plan joined to the scorecard: which indicators each focus area is measured by, which
actions are overdue at a month, and whether a special-cause signal followed an action. Pure functions."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..words.periods import label


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.date


def action_status(actions: pd.DataFrame, month: dt.date) -> pd.Series:
    """Completed (Blue), Overdue (end month before the picked month and not Blue), Not started, In progress,
    or No dates printed."""
    out = []
    for s, e, brag in zip(actions["start_month"], actions["end_month"], actions["action_brag"]):
        if brag == "Blue":
            out.append("Completed")
        elif pd.notna(e) and e < month:
            out.append("Overdue")
        elif pd.notna(s) and s > month:
            out.append("Not started")
        elif pd.isna(s) and pd.isna(e):
            out.append("No dates printed")
        else:
            out.append("In progress")
    return pd.Series(out, index=actions.index)


def focus_areas(measures: pd.DataFrame) -> pd.DataFrame:
    """One row per focus area: name and the action refs Appendix B links to it."""
    fa = measures.drop_duplicates("focus_area")[["focus_area", "focus_area_name", "action_refs"]].copy()
    fa["actions"] = fa["action_refs"].map(lambda t: [r.strip() for r in t.split(",") if r.strip()])
    fa["order"] = fa["focus_area"].str[2:].astype(int)
    return fa.sort_values("order").drop(columns="order").reset_index(drop=True)


def resolve_measures(measures: pd.DataFrame, indicators: pd.DataFrame, printed: set[str]) -> pd.DataFrame:
    """Every measure with each scorecard ref it names, resolved to an indicator or listed with the reason it
    is not. Measures with no scorecard ref say where they are held instead ('to be developed', etc.)."""
    known = dict(zip(indicators["ref"], indicators["name"]))
    rows = []
    for m in measures.itertuples():
        refs = m.refs.split() if m.refs else []
        if not refs:
            why = {
                "to be developed": "measure still to be developed (as printed)",
                "other source": f"held outside the scorecard: {m.data_source}",
                "not given": "no data source printed",
                "scorecard": f"data source '{m.data_source}' names no readable ref",
            }[m.status]
            rows.append({**m._asdict(), "ref": "", "indicator": "", "resolved": False, "reason": why})
            continue
        for ref in refs:
            if ref in known and ref in printed:
                rows.append({**m._asdict(), "ref": ref, "indicator": known[ref], "resolved": True, "reason": ""})
            elif ref in known:
                rows.append(
                    {
                        **m._asdict(),
                        "ref": ref,
                        "indicator": known[ref],
                        "resolved": False,
                        "reason": f"{ref} is in the catalogue but no pack printed a figure for it",
                    }
                )
            else:
                rows.append(
                    {
                        **m._asdict(),
                        "ref": ref,
                        "indicator": "",
                        "resolved": False,
                        "reason": f"no pack's scorecard has a {ref} (the range '{m.data_source}' includes it)",
                    }
                )
    out = pd.DataFrame(rows)
    return out.drop(columns=[c for c in ("Index",) if c in out.columns])


def linked_actions(ref: str, resolved: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Actions whose focus area is measured by this indicator (through Appendix B)."""
    fas = resolved.loc[resolved["resolved"] & (resolved["ref"] == ref), ["focus_area", "action_refs"]].drop_duplicates()
    wanted: dict[str, list[str]] = {}
    for fa, refs in zip(fas["focus_area"], fas["action_refs"]):
        for r in (x.strip() for x in refs.split(",")):
            wanted.setdefault(r, []).append(fa)
    out = actions[actions["action_ref"].isin(wanted)].copy()
    out["focus_areas"] = out["action_ref"].map(lambda r: ", ".join(sorted(set(wanted[r]), key=lambda f: int(f[2:]))))
    return out


def signals_after(actions: pd.DataFrame, points: pd.DataFrame, polarity: str) -> list[str]:
    """For each linked action with a start month: did a special-cause signal follow it? `points` is the
    engine's SPC frame for one indicator (period, signal high/low); polarity says which way is better."""
    better = {"higher_better": "high", "lower_better": "low"}.get(polarity)
    if actions.empty:
        return []
    pts = points.assign(period=_dates(points["period"])) if not points.empty else points
    out = []
    for a in actions.sort_values("start_month").itertuples():
        if pd.isna(a.start_month):
            out.append(f"Action {a.action_ref} has no start date printed, so no signal can be tied to it.")
            continue
        start = a.start_month
        after = pts[(pts["period"] >= start) & (pts["signal"].astype(str) != "")] if not pts.empty else pts
        if pts.empty or (pts["period"] >= start).sum() == 0:
            out.append(f"Action {a.action_ref} started {label(start)}: no monthly figures since, so too soon to tell.")
        elif after.empty:
            n = int((pts["period"] >= start).sum())
            out.append(
                f"Action {a.action_ref} started {label(start)}: no special-cause signal in the {n} "
                f"month{'s' if n != 1 else ''} since (common-cause variation only)."
            )
        else:
            first = after.iloc[0]
            kind = (
                "neither improvement nor concern"
                if better is None
                else "improvement"
                if first["signal"] == better
                else "concern"
            )
            out.append(
                f"Action {a.action_ref} started {label(start)}: a special-cause signal ({kind}) followed in "
                f"{label(first['period'])}."
            )
    return out
