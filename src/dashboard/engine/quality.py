"""Checks that make a performance team trust (or question) the numbers. Pure functions over frames
the store returns; the Data quality and Revisions pages only display what these find."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..words.formatting import fmt_value
from ..words.periods import label

# A figure is worth a second look when it is far from its own indicator's median both in median absolute
# deviations and in plain size (10 points for a percentage, half the median otherwise): either alone flags
# ordinary noise in short, steady series.
OUTLIER_MADS = 8.0
OUTLIER_POINTS = 10.0
OUTLIER_SHARE = 0.5


def gaps(observations: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: months printed as 'not yet available' / 'n/a', and months with no figure between its
    first and last figure (a hole in the series, not a month before it started)."""
    obs = observations
    months = sorted(obs["period"].unique())
    rows = []
    for ref, g in obs.groupby("ref", sort=False):
        have = g[g["status"] == "value"]
        nya = sorted(g.loc[g["status"] == "not_yet_available", "period"])
        na = sorted(g.loc[g["status"] == "not_applicable", "period"])
        holes = []
        if not have.empty:
            first, last = have["period"].min(), have["period"].max()
            covered = set(g.loc[g["status"] != "missing", "period"])
            holes = [m for m in months if first <= m <= last and m not in covered]
        if nya or na or holes:
            rows.append(
                {
                    "ref": ref,
                    "not_yet_available": ", ".join(label(m) for m in nya),
                    "not_applicable": ", ".join(label(m) for m in na),
                    "no_figure": ", ".join(label(m) for m in holes),
                    "months_affected": len(nya) + len(na) + len(holes),
                }
            )
    out = pd.DataFrame(rows, columns=["ref", "not_yet_available", "not_applicable", "no_figure", "months_affected"])
    return _with_names(out, indicators)


def definition_changes(indicators: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """Refs whose definition note records a change, or whose printed wording differs between packs
    (damaged OCR wording is not a change of definition)."""
    clean = names[~names["name_damaged"].astype(bool)]
    wordings = clean.assign(
        norm=clean["name_as_printed"].str.lower().str.replace(r"[^a-z0-9%]+", " ", regex=True).str.strip()
    ).drop_duplicates(["ref", "norm"])
    varied = wordings.groupby("ref").filter(lambda g: len(g) > 1)
    by_ref = varied.groupby("ref").apply(
        lambda g: " | ".join(f"{r.label}: “{r.name_as_printed}”" for r in g.itertuples()), include_groups=False
    )
    notes = indicators.set_index("ref")["definition_note"]
    refs = sorted(set(by_ref.index) | set(notes[notes != ""].index), key=_ref_key(indicators))
    out = pd.DataFrame(
        {"ref": refs, "note": [notes.get(r, "") for r in refs], "wording": [by_ref.get(r, "") for r in refs]}
    )
    return _with_names(out, indicators)


def ref_churn(printed: pd.DataFrame, vintages: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Refs printed in one pack but not the next (or the reverse). `printed` has ref, vintage for every
    ref a vintage printed at least one cell of; uploads are left out, as they carry only what changed."""
    packs = vintages[vintages["kind"] == "pack"].sort_values("seq")
    sets = {v: set(printed.loc[printed["vintage"] == v, "ref"]) for v in packs["vintage"]}
    labels = dict(zip(packs["vintage"], packs["label"]))
    rows = []
    order = list(packs["vintage"])
    for before, after in zip(order, order[1:]):
        for ref in sorted(sets[before] - sets[after]):
            rows.append({"ref": ref, "change": "disappears", "from_pack": labels[before], "to_pack": labels[after]})
        for ref in sorted(sets[after] - sets[before]):
            rows.append({"ref": ref, "change": "appears", "from_pack": labels[before], "to_pack": labels[after]})
    out = pd.DataFrame(rows, columns=["ref", "change", "from_pack", "to_pack"])
    return _with_names(out, indicators)


def implausible(observations: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Figures outside what the unit allows (a percentage over 100, a negative count) and figures far from
    the indicator's own median (more than OUTLIER_MADS median absolute deviations)."""
    obs = observations[observations["status"] == "value"].merge(indicators[["ref", "unit"]], on="ref")
    rows = []
    hard = ((obs["unit"] == "percent") & ((obs["value"] < 0) | (obs["value"] > 100))) | (obs["value"] < 0)
    for r in obs[hard].itertuples():
        rows.append(
            {
                "ref": r.ref,
                "month": label(r.period),
                "value": fmt_value(r.value, r.unit),
                "why": "a percentage must lie between 0 and 100"
                if r.unit == "percent" and r.value >= 0
                else "cannot be negative",
            }
        )
    grouped = obs.groupby("ref")["value"]
    median = grouped.transform("median")
    mad = (obs["value"] - median).abs().groupby(obs["ref"]).transform("median")
    count = grouped.transform("size")
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = (obs["value"] - median).abs() / mad
    gap = (obs["value"] - median).abs()
    big = gap > np.where(obs["unit"] == "percent", OUTLIER_POINTS, OUTLIER_SHARE * median.abs())
    far = (count >= 6) & (mad > 0) & (distance > OUTLIER_MADS) & big & ~hard
    for r, d, m in zip(obs[far].itertuples(), distance[far], median[far]):
        rows.append(
            {
                "ref": r.ref,
                "month": label(r.period),
                "value": fmt_value(r.value, r.unit),
                "why": f"far from its usual level (median {fmt_value(m, r.unit)}, {d:.0f} median absolute "
                "deviations away): check the figure or whether the definition changed",
            }
        )
    out = pd.DataFrame(rows, columns=["ref", "month", "value", "why"])
    return _with_names(out, indicators)


def revision_impact(revisions: pd.DataFrame, judgements: dict[tuple[dt.date, str], pd.DataFrame]) -> pd.DataFrame:
    """Add to each revised cell whether it changed the month's RAG or direction. `judgements` maps
    (period, vintage) to that month's scorecard as the vintage stood (ref, rag, direction)."""
    out = revisions.copy()

    def lookup(period, vintage, ref, col):
        sc = judgements.get((period, vintage))
        if sc is None or ref not in sc.index:
            return ""
        return sc.at[ref, col]

    for side, vcol in (("old", "old_vintage"), ("new", "new_vintage")):
        out[f"{side}_rag"] = [lookup(p, v, r, "rag") for p, v, r in zip(out["period"], out[vcol], out["ref"])]
        out[f"{side}_direction"] = [
            lookup(p, v, r, "direction") for p, v, r in zip(out["period"], out[vcol], out["ref"])
        ]
    out["rag_changed"] = out["old_rag"] != out["new_rag"]
    out["direction_changed"] = out["old_direction"] != out["new_direction"]
    return out


def _ref_key(indicators: pd.DataFrame):
    order = dict(zip(indicators["ref"], indicators["sort_order"]))
    return lambda ref: (order.get(ref, 10**6), ref)


def _with_names(frame: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    meta = indicators[["ref", "name", "area", "sort_order"]].rename(columns={"name": "indicator"})
    out = frame.merge(meta, on="ref", how="left")
    out["indicator"] = out["indicator"].fillna("(not in the catalogue)")
    return (
        out.sort_values(["sort_order", "ref"], na_position="last", kind="stable")
        .drop(columns="sort_order")
        .reset_index(drop=True)
    )


def printed_vs_calculated(scorecards: dict[tuple[dt.date, str], pd.DataFrame]) -> pd.DataFrame:
    """Every indicator a pack printed a RAG for, beside the rating calculated from the same figures (the
    scorecard as that pack stood). scorecards: (month, vintage label) -> scorecard with printed_rag."""
    cols = [
        "month",
        "vintage_label",
        "ref",
        "indicator",
        "area",
        "printed_rag",
        "rag",
        "rag_basis",
        "rag_reason",
        "current_text",
        "target_text",
        "previous_year",
        "unit",
        "printed_direction",
        "direction_arrow",
        "rag_agrees",
        "direction_agrees",
        "sort_order",
    ]
    frames = []
    for (month, vintage_label), sc in scorecards.items():
        p = sc[sc["printed_rag"] != ""]
        if p.empty:
            continue
        frames.append(
            p.assign(
                month=month,
                vintage_label=vintage_label,
                rag_agrees=p["printed_rag"] == p["rag"],
                direction_agrees=(p["printed_direction"] == "") | (p["printed_direction"] == p["direction_arrow"]),
            )
        )
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)[cols]
    return out.sort_values(["month", "sort_order"], kind="stable").reset_index(drop=True)
