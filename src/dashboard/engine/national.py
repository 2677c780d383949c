"""How we compare: comparators computed from DfE's published figures, and rank and quartile among councils.

Pure functions over frames from the store (national_values as loaded, national_measures, stat_neighbours):
- England and the region as published;
- Greater Manchester, which DfE does not publish as a geography: the mean of its ten councils (old codes
  350-359), each council's figure re-derived from its published counts where DfE publishes no rate;
- statistical neighbours: the mean of the ten (DfE's convention) with the median beside it, naming the grouping;
- rank among councils, polarity-aware as in DfE's LAIT: 1 is best, ties share the lower rank, and quartile
  band A is the best quarter. A measure with no better or worse (neutral) is ranked 1 = highest, unbanded.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..words.formatting import fmt_value
from ..words.vocabulary import GM_CODES, comparator_codes

BANDS = ("A", "B", "C", "D")
# The 2025 grouping (May 2025) is DfE's for figures published from then; earlier years keep the 2021 one.
GROUPING_FROM = {"2025": dt.date(2025, 3, 31), "2021": dt.date(1900, 1, 1)}
SUMMARY_COLUMNS = [
    "measure",
    "year",
    "year_end",
    "ours",
    "ours_status",
    "england",
    "nw",
    "gm",
    "gm_basis",
    "sn",
    "sn_median",
    "sn_basis",
    "rank",
    "of",
    "band",
]


def grouping_for(year_end: dt.date) -> str:
    return next(
        g for g, start in sorted(GROUPING_FROM.items(), key=lambda kv: kv[1], reverse=True) if year_end >= start
    )


def ranked(local: pd.DataFrame, polarity: str) -> pd.DataFrame:
    """Councils with a figure, ranked (1 best; ties share the lower rank) and banded A-D. `local` holds one
    measure and year. Neutral measures: 1 = highest, no band."""
    have = local[local["status"] == "value"].copy()
    if have.empty:
        return have.assign(rank=pd.Series(dtype=int), of=pd.Series(dtype=int), band=pd.Series(dtype=str))
    ascending = polarity == "lower_better"
    have["rank"] = have["value"].rank(method="min", ascending=ascending).astype(int)
    have["of"] = len(have)
    if polarity in ("higher_better", "lower_better"):
        k = np.minimum(((have["rank"].to_numpy() - 1) * 4) // len(have), 3)
        have["band"] = np.array(BANDS)[k]
    else:
        have["band"] = ""
    return have.sort_values(["rank", "area_name"]).reset_index(drop=True)


def summary(
    values: pd.DataFrame, measures: pd.DataFrame, la_code: str, neighbours: dict[str, list[str]]
) -> pd.DataFrame:
    """Per measure and year: our figure, England, our region, GM, SN mean and median, our rank and band.
    `neighbours` maps a grouping ("2021", "2025") to our ten neighbours' codes. Whole columns at a time: it runs
    for every vintage the app or the Revisions page reads."""
    if values.empty or not la_code:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    meta = measures.set_index("measure")
    values = values[values["measure"].isin(meta.index)]
    key = ["measure", "year"]
    years = values.groupby(key, sort=True)["year_end"].first()
    out = pd.DataFrame({"year_end": years})
    local = values[values["level"] == "local"]
    has = local[local["status"] == "value"]

    ours = local[local["la_code"] == la_code].set_index(key)
    out["ours"] = ours["value"].astype(float)
    out["ours_status"] = ours["status"].reindex(out.index).fillna("not_available")
    out["england"] = values[values["level"] == "national"].set_index(key)["value"].astype(float)
    region = ours["region_code"].mode().iloc[0] if not ours.empty else ""
    regional = values[(values["level"] == "regional") & (values["region_code"] == region)]
    out["nw"] = regional.set_index(key)["value"].astype(float)

    # Greater Manchester: the mean of its councils with a figure, as the packs print it (checked: 2021/22 CLA rate
    # 90.9 against the printed 91). A council's figure is itself re-derived from counts where DfE publishes none.
    gm = has[has["la_code"].isin(GM_CODES)].groupby(key)["value"]
    out["gm"] = gm.mean().round(1)
    gm_n = gm.size().reindex(out.index).fillna(0).astype(int)
    out["gm_basis"] = [
        "no Greater Manchester council has a published figure"
        if k == 0
        else "mean of the ten councils"
        if k == len(GM_CODES)
        else f"mean of {k} councils ({len(GM_CODES) - k} not published)"
        for k in gm_n
    ]

    # Statistical neighbours: the grouping in force for the year, mean of those with a figure, median beside it.
    out["grouping"] = [grouping_for(d) for d in out["year_end"]]
    pairs = {(grp, code) for grp, codes in neighbours.items() for code in codes}
    grouping_of = out["grouping"]
    tagged = has.assign(grouping=grouping_of.reindex(pd.MultiIndex.from_frame(has[key])).to_numpy())
    in_sn = [(grp, code) in pairs for grp, code in zip(tagged["grouping"], tagged["la_code"])]
    sn = tagged[np.array(in_sn, dtype=bool)].groupby(key)["value"]
    out["sn"] = sn.mean().round(1)
    out["sn_median"] = sn.median().round(1)
    sn_n = sn.size().reindex(out.index).fillna(0).astype(int)
    wanted = {grp: len(codes) for grp, codes in neighbours.items()}
    out["sn_basis"] = [
        f"no statistical neighbour ({grp} grouping) has a published figure"
        if k == 0
        else f"mean of {k} neighbours ({grp} grouping"
        + (f", {wanted.get(grp, 10) - k} not published)" if k < wanted.get(grp, 10) else ")")
        for grp, k in zip(out["grouping"], sn_n)
    ]

    # Rank among councils with a figure: 1 best (neutral: 1 = highest); ties share the lower rank.
    polarity = meta["polarity"].reindex(has["measure"]).to_numpy()
    signed = np.where(polarity == "lower_better", 1.0, -1.0) * has["value"].to_numpy(dtype=float)
    ranks = has.assign(signed=signed)
    ranks["rank"] = ranks.groupby(key)["signed"].rank(method="min")
    ranks["of"] = ranks.groupby(key)["signed"].transform("size")
    mine = ranks[ranks["la_code"] == la_code].set_index(key)
    out["rank"] = mine["rank"].reindex(out.index)
    out["of"] = ranks.groupby(key).size().reindex(out.index).fillna(0).astype(int)
    judged = meta["polarity"].reindex(out.index.get_level_values("measure")).isin(["higher_better", "lower_better"])
    k = np.minimum(((out["rank"].to_numpy() - 1) * 4) // np.maximum(out["of"].to_numpy(), 1), 3)
    out["band"] = [BANDS[int(b)] if j and not np.isnan(b) else "" for b, j in zip(k, judged)]
    out["rank"] = [None if pd.isna(r) else int(r) for r in out["rank"]]
    return out.reset_index()[SUMMARY_COLUMNS]


def for_refs(summary_frame: pd.DataFrame, mapping: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    """The summary keyed by scorecard ref (a ref compares on one measure), with the measure's polarity."""
    linked = mapping[mapping["measure"].fillna("") != ""][["ref", "measure"]]
    linked = linked.merge(measures[["measure", "polarity"]], on="measure", how="left")
    return linked.merge(summary_frame, on="measure", how="inner")


def as_of(by_ref: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """Per ref, the latest published year that had ended by the month: a January 2024 figure is compared with
    2022/23, not with a year still running (or not yet lived)."""
    if by_ref.empty:
        return by_ref.set_index("ref") if "ref" in by_ref else by_ref
    ended = by_ref[by_ref["year_end"] <= month]
    latest = ended.sort_values("year_end").groupby("ref").tail(1)
    return latest.set_index("ref")


# DfE's annual figure and the scorecard's monthly one for the same ref may count different things (CIN5: 51.7% of
# referrals assessed as not in need in 2022/23 against 12-27% a month locally). Further apart than this, a rank
# of DfE's figure is not a rank of the scorecard's, and the tables say so.
DIFFERENT_MEASURE_POINTS = 10.0  # percentages: points apart
DIFFERENT_MEASURE_RELATIVE = 0.25  # anything else: a quarter of the larger figure


def counted_differently(annual: object, monthly: object, unit: str) -> bool:
    """True where DfE's annual figure and the scorecard's monthly figure are too far apart to be one measure."""
    if annual is None or monthly is None or pd.isna(annual) or pd.isna(monthly):
        return False
    gap = abs(float(annual) - float(monthly))
    if unit == "percent":
        return gap > DIFFERENT_MEASURE_POINTS
    return gap > DIFFERENT_MEASURE_RELATIVE * max(abs(float(annual)), abs(float(monthly)))


def measure_note(annual: object, year: str, monthly: object, unit: str) -> str:
    """Said beside a rank where the two differ: "DfE's annual figure 51.7% (2022/23) is counted differently
    from the monthly figure (26.0%)"; '' where they agree in size."""
    if not counted_differently(annual, monthly, unit):
        return ""
    return (
        f"DfE's annual figure {fmt_value(annual, unit)} ({year}) is counted differently from the monthly figure "
        f"({fmt_value(monthly, unit)})"
    )


def benchmark(values: pd.DataFrame, measure: str, year: str, polarity: str) -> pd.DataFrame:
    """Every council for one measure and year: value or status, rank and band (unranked councils last)."""
    rows = values[(values["measure"] == measure) & (values["year"] == year) & (values["level"] == "local")]
    standing = ranked(rows, polarity)
    rest = rows[rows["status"] != "value"].assign(rank=pd.NA, of=len(standing), band="")
    cols = ["la_code", "area_code", "area_name", "region_code", "value", "status", "rank", "of", "band"]
    return pd.concat([standing[cols], rest[cols]], ignore_index=True)


def printed_vs_published(
    printed: pd.DataFrame, by_ref: pd.DataFrame, tolerance: float = 0.5, only_differences: bool = True
) -> pd.DataFrame:
    """Each comparator a pack printed beside the published (or computed) figure for the same ref, comparator
    and year; by default only where they differ by more than rounding (`tolerance`, in the indicator's units)."""
    if printed.empty or by_ref.empty:
        return pd.DataFrame(columns=["ref", "comparator", "year", "printed", "published", "difference", "vintage"])
    long = by_ref.melt(
        id_vars=["ref", "year"],
        value_vars=[c for c in comparator_codes() if c in by_ref],  # those DfE's files publish or let us sum
        var_name="comparator",
        value_name="published",
    )
    merged = printed.merge(long, on=["ref", "comparator", "year"], how="inner")
    merged = merged[merged["published"].notna()]
    merged["difference"] = (merged["value"] - merged["published"]).round(1)
    keep = merged["difference"].abs() > tolerance if only_differences else merged["difference"].notna()
    out = merged[keep].rename(columns={"value": "printed"})
    cols = ["ref", "comparator", "year", "printed", "published", "difference", "vintage"]
    return out[cols].sort_values(["ref", "comparator", "year", "vintage"]).reset_index(drop=True)
