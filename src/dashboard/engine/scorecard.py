"""The scorecard frame for one authority and month: one row per indicator, every judgement with
its reason. Pure: takes frames, returns a frame; the store and the UI sit either side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..input.printed_targets import parse_target
from ..words.formatting import DIRECTION_ARROW, STATUS_TEXT, fmt_value, rank_text, scorecard_csv_columns
from ..words.periods import add_months, label
from ..words.vocabulary import RAG_CODES, RAG_ORDER, RAG_WORD, RAG_WORDS, comparator_codes, off_target
from . import national, rag, spc, trend
from .targets import in_force

SPARK_MONTHS = 12
TABLE_MONTHS = 6
SPC_WINDOW_MONTHS = 24


@dataclass
class Inputs:
    """What the engine needs, already filtered to one authority and one vintage."""

    indicators: pd.DataFrame
    observations: pd.DataFrame
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparators: pd.DataFrame = field(default_factory=pd.DataFrame)
    baselines: pd.DataFrame = field(default_factory=pd.DataFrame)
    revised: pd.DataFrame = field(default_factory=pd.DataFrame)  # ref, period of cells revised up to this vintage
    printed: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # ref, period, rag, direction, seq: the packs' hand-set marks
    national: pd.DataFrame = field(default_factory=pd.DataFrame)  # engine.national.for_refs: every published year


def _first_per_cell(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """True for the first entry of each (row, column) cell: what pivot_table's aggfunc='first' would keep."""
    return ~pd.DataFrame({"r": rows, "c": cols}).duplicated().to_numpy()


def _previous_year(df: pd.DataFrame, refs, baselines: pd.DataFrame, last_year_label) -> None:
    """previous_year and its basis: the same month last year where there is one, else the pack's printed
    previous-year baseline. `refs` gives each row's ref; `last_year_label` names the month a year before."""
    if not baselines.empty:
        base = baselines[baselines["status"] == "value"].set_index("ref")
        df["baseline_value"] = base["value"].reindex(refs).astype(float).to_numpy()
        df["baseline_basis"] = base["basis"].reindex(refs).to_numpy()
    else:
        df["baseline_value"], df["baseline_basis"] = np.nan, None
    use_month = df["last_year_value"].notna()
    df["previous_year"] = df["last_year_value"].where(use_month, df["baseline_value"])
    df["previous_year_basis"] = np.where(
        use_month,
        last_year_label,
        np.where(df["baseline_value"].notna(), df["baseline_basis"].fillna("") + " baseline", ""),
    )


def parsed_targets(indicators: pd.DataFrame, targets: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """ref -> target_text, target_kind, target_low, target_high, target_tolerance, target_from for the target
    in force in the month (parse_target caches each distinct text)."""
    cols = ["target_text", "target_kind", "target_low", "target_high", "target_tolerance", "target_from"]
    if targets.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="ref"))
    polarity = indicators.drop_duplicates("ref").set_index("ref")["polarity"]
    t = in_force(targets[targets["ref"].isin(polarity.index)], month)
    parsed = [parse_target(text, pol) for text, pol in zip(t["target_text"], polarity.reindex(t["ref"]))]
    tolerance = t["tolerance"] if "tolerance" in t else pd.Series(np.nan, index=t.index)
    start = t["applies_from"] if "applies_from" in t else pd.Series(None, index=t.index)
    return pd.DataFrame(
        {
            "target_text": t["target_text"].to_numpy(dtype=object),
            "target_kind": [p.kind for p in parsed],
            "target_low": [p.low for p in parsed],
            "target_high": [p.high for p in parsed],
            "target_tolerance": tolerance.to_numpy(dtype=float, na_value=np.nan),
            "target_from": start.to_numpy(dtype=object),
        },
        index=pd.Index(t["ref"], name="ref"),
    )


def comparator_columns(comparators: pd.DataFrame) -> pd.DataFrame:
    """ref -> gm, gm_year, nw, ... (the first row per ref and comparator, in the registry's order)."""
    cols = list(comparator_codes())
    if comparators.empty:
        return pd.DataFrame(columns=cols + [f"{c}_year" for c in cols], index=pd.Index([], name="ref"))
    which = comparators["comparator"].map({c: k for k, c in enumerate(cols)}).to_numpy(dtype=float, na_value=np.nan)
    known = comparators[~np.isnan(which)]
    which = which[~np.isnan(which)].astype(int)
    row, refs = pd.factorize(known["ref"])
    first = _first_per_cell(row, which)
    values = np.full((len(refs), len(cols)), np.nan)
    years = np.full((len(refs), len(cols)), None, dtype=object)
    values[row[first], which[first]] = known["value"].to_numpy(dtype=float, na_value=np.nan)[first]
    years[row[first], which[first]] = known["year"].to_numpy(dtype=object)[first]
    out = pd.DataFrame(index=pd.Index(refs, name="ref"))
    for k, c in enumerate(cols):
        out[c] = values[:, k]
        out[f"{c}_year"] = years[:, k]
    return out


def _published_comparators(df: pd.DataFrame, by_ref: pd.DataFrame, month: dt.date) -> None:
    """Where a ref compares on a published national measure, its comparators are computed from the latest year
    that had ended by the month, replacing what a pack printed (kept on the indicator page and checked on the
    Data quality page); rank and band among councils come with them."""
    codes = list(comparator_codes())
    df["comparator_source"] = np.where(df[codes].notna().any(axis=1), "printed", "")
    for col in ("rank_text", "rank_year", "rank_note", "gm_basis", "sn_basis"):
        df[col] = ""
    df["sn_median"] = np.nan
    latest = national.as_of(by_ref, month) if not by_ref.empty else pd.DataFrame()
    refs = [r for r in df.index if r in latest.index] if not latest.empty else []
    if not refs:
        return
    got = latest.loc[refs]
    for c in (c for c in codes if c in got):  # a comparator DfE's files do not publish keeps what was printed
        value = got[c].astype(float)
        has = value.notna()
        df.loc[value.index[has], c] = value[has]
        df.loc[value.index[has], f"{c}_year"] = got.loc[has, "year"]
    df.loc[refs, "comparator_source"] = "published"
    df.loc[refs, "sn_median"] = got["sn_median"].astype(float)
    df.loc[refs, "gm_basis"] = got["gm_basis"]
    df.loc[refs, "sn_basis"] = got["sn_basis"]
    df.loc[refs, "rank_year"] = got["year"]
    df.loc[refs, "rank_text"] = [
        rank_text(r, o, b, p) for r, o, b, p in zip(got["rank"], got["of"], got["band"], got["polarity"])
    ]
    # A rank of DfE's annual figure, where that counts something other than the monthly figure, says so.
    df.loc[refs, "rank_note"] = [
        national.measure_note(a, y, m, u)
        for a, y, m, u in zip(got["ours"], got["year"], df.loc[refs, "value"], df.loc[refs, "unit"])
    ]


def build(
    inputs: Inputs, month: dt.date, areas: list[str] | None = None, rules: spc.SpcRules = spc.DEFAULT_RULES
) -> pd.DataFrame:
    ind = inputs.indicators
    ind = ind[ind["frequency"] != "week"]
    if areas:
        ind = ind[ind["area"].isin(areas)]
    # Nothing before the SPC window is used (table 6, sparkline 12, last year 12, SPC 24 months), so the
    # history is cut to it first and laid on a ref x month grid: one pass, no pivot tables.
    span = max(SPC_WINDOW_MONTHS, SPARK_MONTHS + 1)
    last_k = month.year * 12 + month.month - 1
    obs = inputs.observations
    when = pd.to_datetime(obs["period"])
    col_of = (when.dt.year * 12 + when.dt.month - 1 - (last_k - span + 1)).to_numpy()
    recent = (col_of >= 0) & (col_of < span)
    obs = obs.loc[recent, ["ref", "value", "status", "vintage"]].assign(col=col_of[recent])
    obs = obs[obs["ref"].isin(set(ind["ref"]))]
    table_cols = span - TABLE_MONTHS
    refs = set(obs.loc[obs["col"] >= table_cols, "ref"])
    meta = ind[ind["ref"].isin(refs)].set_index("ref").sort_values("sort_order")
    if meta.empty:
        return pd.DataFrame(columns=scorecard_csv_columns())

    spc_cols = [c for c in ("spc_rebase", "spc_rebase_note", "spc_baseline_points") if c in meta]
    df = (
        meta[
            [
                "area",
                "name",
                "unit",
                "polarity",
                "frequency",
                "amber_tolerance",
                "headline",
                "sort_order",
                "definition_note",
                *spc_cols,
            ]
        ]
        .rename(columns={"name": "indicator"})
        .copy()
    )
    obs = obs[obs["ref"].isin(refs)]
    row_of = df.index.get_indexer(obs["ref"])
    values = np.full((len(df), span), np.nan)
    statuses = np.full((len(df), span), "missing", dtype=object)
    vintages = np.full((len(df), span), "", dtype=object)
    first = _first_per_cell(row_of, obs["col"].to_numpy())
    r, c = row_of[first], obs["col"].to_numpy()[first]
    values[r, c] = obs["value"].to_numpy(dtype=float, na_value=np.nan)[first]
    statuses[r, c] = obs["status"].to_numpy(dtype=object)[first]
    vintages[r, c] = obs["vintage"].to_numpy(dtype=object)[first]
    now = span - 1

    def at(offset: int, grid: np.ndarray = values) -> np.ndarray:
        return grid[:, now + offset]

    df["value"] = at(0)
    df["status"] = at(0, statuses)
    df["current_vintage"] = at(0, vintages)
    df["current"] = df["value"]
    for k in range(TABLE_MONTHS - 1, -1, -1):
        m = add_months(month, -k).isoformat()
        df[f"m_{m}"] = at(-k)
        df[f"s_{m}"] = at(-k, statuses)
    spark = values[:, span - SPARK_MONTHS :]
    df["spark"] = [[None if np.isnan(x) else float(x) for x in row] for row in spark]

    prev_month = add_months(month, -1)
    last_year = add_months(month, -12)
    df["prev_month_value"] = at(-1)
    df["last_year_value"] = at(-12)

    _previous_year(df, df.index, inputs.baselines, label(last_year))

    tg = parsed_targets(ind, inputs.targets, month).reindex(df.index)
    df["target_text"] = tg["target_text"].astype(object).fillna("")
    df["target_kind"] = tg["target_kind"].astype(object).fillna("none")
    df["target_low"] = tg["target_low"].astype(float)
    df["target_high"] = tg["target_high"].astype(float)
    df["target_from"] = tg["target_from"]
    # A target loaded with its own tolerance overrides the indicator's for the months it applies to.
    own = tg["target_tolerance"].astype(float)
    df["amber_tolerance"] = own.where(own.notna(), df["amber_tolerance"].astype(float))
    cmp = comparator_columns(inputs.comparators).reindex(df.index)
    for c in comparator_codes():
        df[c] = cmp[c].astype(float)
        df[f"{c}_year"] = cmp[f"{c}_year"].fillna("")
    _published_comparators(df, inputs.national, month)

    judged = rag.assess(df, label(month))
    df["rag"], df["rag_reason"], df["rag_basis"] = judged["rag"], judged["rag_reason"], judged["rag_basis"]
    printed = printed_marks(inputs.printed, month).reindex(df.index)
    df["printed_rag"] = printed["rag"].fillna("")
    df["printed_direction"] = printed["direction"].fillna("")
    df["comparator_summary"] = rag.comparator_summary(df)

    for prefix, earlier, when in (
        ("dir_month_", "prev_month_value", prev_month),
        ("dir_year_", "last_year_value", last_year),
    ):
        for col, values_ in trend.direction(df, earlier, label(when)).items():
            df[prefix + col] = values_
    use_m = df["dir_month_direction"] != ""
    df["direction"] = np.where(use_m, df["dir_month_direction"], df["dir_year_direction"])
    df["direction_arrow"] = np.where(use_m, df["dir_month_arrow"], df["dir_year_arrow"])
    df["direction_reason"] = np.where(use_m, df["dir_month_reason"], df["dir_year_reason"])
    no_dir = df["direction"] == ""
    df.loc[no_dir, "direction_reason"] = "No earlier month to compare with"

    in_spc = (statuses == "value") & ~np.isnan(values)
    in_spc[:, : span - SPC_WINDOW_MONTHS] = False
    r, c = np.nonzero(in_spc)
    stamps = np.array([np.datetime64(add_months(month, k - now), "D") for k in range(span)])
    spc_obs = pd.DataFrame({"ref": df.index.to_numpy()[r], "period": stamps[c], "value": values[r, c]})
    rebase, baseline = spc.settings(df.reset_index())
    pts = spc.points(spc_obs, "ref", rules, rebase, baseline)
    spc_meta = df[["polarity", "target_kind", "target_low", "target_high", *spc_cols[1:2]]]
    summary = spc.summarise(pts, "ref", spc_meta, rules)
    summary = summary.reindex(df.index)
    for col in summary.columns:
        df[col] = summary[col]
    df["spc_variation"] = df["spc_variation"].fillna("insufficient")
    df["spc_assurance"] = df["spc_assurance"].fillna("none")
    df["spc_reason"] = df["spc_reason"].fillna(
        f"Too few consecutive months for control limits (needs {rules.min_points})."
    )
    # A signal in a month before this one does not make this month a signal.
    stale = ~in_spc[:, now]
    df.loc[stale & df["spc_variation"].ne("insufficient"), "spc_reason"] = (
        "No figure this month; limits from earlier months. " + df["spc_reason"]
    )

    # Revised cells (†): the current month's flag, and one per table month so every month cell is marked.
    rv = inputs.revised.copy() if not inputs.revised.empty else pd.DataFrame({"ref": [], "period": []})
    for k in range(TABLE_MONTHS - 1, -1, -1):
        m = add_months(month, -k)
        df[f"r_{m.isoformat()}"] = df.index.isin(set(rv.loc[rv["period"] == m, "ref"]))
    df["revised"] = df[f"r_{month.isoformat()}"]

    df["current_text"] = [
        fmt_value(v, u) if s == "value" else STATUS_TEXT.get(s, "No figure")
        for v, u, s in zip(df["value"], df["unit"], df["status"])
    ]
    df["triage"] = triage_score(df)
    return df.reset_index()


def judge(inputs: Inputs, cells: pd.DataFrame) -> pd.DataFrame:
    """RAG and direction of chosen (ref, period) cells as these inputs stand: what build() says for those rows,
    without the table months, sparklines and SPC a page needs. Cells may span many months: the Revisions page
    judges every revised cell of a vintage in one pass instead of building a scorecard per month."""
    out_cols = ["ref", "period", "rag", "direction"]
    ind = inputs.indicators
    ind = ind[ind["frequency"] != "week"].drop_duplicates("ref").set_index("ref")
    cells = cells[cells["ref"].isin(ind.index)].drop_duplicates(["ref", "period"]).reset_index(drop=True)
    if cells.empty:
        return pd.DataFrame(columns=out_cols)
    obs = inputs.observations
    newest = _first_per_cell(pd.factorize(obs["ref"])[0], pd.factorize(obs["period"])[0])  # rows come newest first
    held = pd.DataFrame(
        {
            "value": obs["value"].to_numpy(dtype=float, na_value=np.nan)[newest],
            "status": obs["status"].to_numpy(dtype=object)[newest],
        },
        index=pd.MultiIndex.from_arrays([obs["ref"].to_numpy()[newest], obs["period"].to_numpy()[newest]]),
    )

    def at(offset: int) -> tuple[np.ndarray, np.ndarray]:
        key = pd.MultiIndex.from_arrays([cells["ref"], [add_months(m, offset) for m in cells["period"]]])
        got = held.reindex(key)
        return got["value"].to_numpy(dtype=float), got["status"].fillna("missing").to_numpy(dtype=object)

    df = ind.loc[cells["ref"], ["unit", "polarity", "amber_tolerance"]].reset_index()
    df["period"] = cells["period"].to_numpy()
    df["value"], df["status"] = at(0)
    df["prev_month_value"], _ = at(-1)
    df["last_year_value"], _ = at(-12)
    _previous_year(df, df["ref"], inputs.baselines, [label(add_months(m, -12)) for m in df["period"]])
    cmp = comparator_columns(inputs.comparators).reindex(df["ref"])
    for c in comparator_codes():
        df[c] = cmp[c].astype(float).to_numpy()
        df[f"{c}_year"] = cmp[f"{c}_year"].fillna("").to_numpy()

    # What depends on the month, for every row at once: the target in force (in_force's rule: the latest start
    # on or before the month, a blank start first) and the latest published year that had ended.
    df["target_text"], df["target_kind"], df["target_low"], df["target_high"] = "", "none", np.nan, np.nan
    targets = inputs.targets
    if not targets.empty:
        targets = targets[targets["ref"].isin(set(df["ref"]))]
        start = pd.to_datetime(targets["applies_from"]) if "applies_from" in targets else pd.NaT
        live = df[["ref", "period"]].reset_index().merge(targets.assign(_start=start), on="ref")
        live = live[live["_start"].isna() | (live["_start"] <= pd.to_datetime(live["period"]))]
        live = live.sort_values(["index", "_start"], kind="stable", na_position="first")
        live = live.drop_duplicates("index", keep="last").set_index("index")
        parsed = [parse_target(t, p) for t, p in zip(live["target_text"], df.loc[live.index, "polarity"])]
        df.loc[live.index, "target_text"] = live["target_text"].to_numpy(dtype=object)
        df.loc[live.index, "target_kind"] = [t.kind for t in parsed]
        df.loc[live.index, "target_low"] = np.array([t.low for t in parsed], dtype=float)
        df.loc[live.index, "target_high"] = np.array([t.high for t in parsed], dtype=float)
        if "tolerance" in live:
            own = live["tolerance"].astype(float)
            own = own[own.notna()]
            df.loc[own.index, "amber_tolerance"] = own.to_numpy()
    if not inputs.national.empty:
        published = inputs.national[inputs.national["ref"].isin(set(df["ref"]))].copy()
        published["_end"] = pd.to_datetime(published["year_end"])
        df = df.assign(_month=pd.to_datetime(df["period"])).reset_index()
        hit = (
            pd.merge_asof(
                df.sort_values("_month"),
                published.sort_values("_end"),
                left_on="_month",
                right_on="_end",
                by="ref",
                suffixes=("", "_published"),
            )
            .set_index("index")
            .reindex(df["index"])
        )
        for c in (c for c in comparator_codes() if f"{c}_published" in hit):
            value = hit[f"{c}_published"].astype(float).to_numpy()
            has = ~np.isnan(value)
            df.loc[has, c] = value[has]
            df.loc[has, f"{c}_year"] = hit["year"].to_numpy(dtype=object)[has]
        df = df.drop(columns=["index", "_month"])

    df["rag"] = rag.assess(df, "")["rag"].to_numpy()  # the month's name is only in the reasons, not used here
    by_month = trend.direction(df, "prev_month_value", "")["direction"]
    by_year = trend.direction(df, "last_year_value", "")["direction"]
    df["direction"] = np.where(by_month != "", by_month, by_year)
    return df[out_cols]


def printed_marks(printed: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """ref -> rag, direction as the newest pack in view printed them for the month ('' where none was legible)."""
    if printed.empty:
        return pd.DataFrame(columns=["rag", "direction"], index=pd.Index([], name="ref"))
    p = printed[printed["period"] == month].sort_values("seq")
    p = p.drop_duplicates("ref", keep="last").set_index("ref")
    return pd.DataFrame(
        {"rag": p["rag"].fillna(""), "direction": p["direction"].map(DIRECTION_ARROW).fillna("")}, index=p.index
    )


UNUSUAL_ACTIVITY = ("neutral_high", "neutral_low")


def triage_score(df: pd.DataFrame) -> pd.Series:
    """Lower is more urgent: Red before Amber; declining and SPC concern push an indicator up the list;
    an activity measure with an unusual SPC signal follows the Ambers."""
    base = df["rag"].map({code: 10 * k for code, k in RAG_ORDER.items()}).fillna(10 * RAG_ORDER["-"])
    variation = df.get("spc_variation", pd.Series("", index=df.index)).astype(str)
    unusual = ((df["rag"] == "-") & variation.isin(UNUSUAL_ACTIVITY)).astype(int) * -5
    declining = (df["direction"] == "Declining").astype(int) * -3
    concern = variation.str.startswith("concern").astype(int) * -4
    return base + unusual + declining + concern


def exceptions(sc: pd.DataFrame) -> pd.DataFrame:
    """What the panel should discuss, in triage order: Red and Amber, then activity measures (not rated)
    whose latest month is an unusual SPC signal. The one definition used by the overview, exports and presenter."""
    if sc.empty:
        return sc
    unusual = (sc["rag"] == "-") & (sc["status"] == "value") & sc["spc_variation"].isin(UNUSUAL_ACTIVITY)
    return sc[off_target(sc["rag"]) | unusual].sort_values(["triage", "sort_order"])


def rag_counts(sc: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Per service area, in the areas' order, how many indicators are Red, Amber, Green and not rated: the one
    count the overview's table and chart and the papers' overview all show."""
    rows = []
    for a in areas.sort_values("sort_order").itertuples():
        counts = sc.loc[sc["area"] == a.area, "rag"].value_counts()
        rows.append(
            {
                "area": a.area,
                "Area": a.short_title,
                **{RAG_WORD[k]: int(counts.get(k, 0)) for k in RAG_CODES},
                "Indicators": int(counts.sum()),
            }
        )
    return pd.DataFrame(rows, columns=["area", "Area", *RAG_WORDS, "Indicators"])
