"""The fast computation (`compute`: every measure of a list counted in one scan over the stacked extracts) gives
the same figures as counting, in pandas, the rows each measure counts (`compute._rows`, the rows the drill-down
lists), on SYNTHETIC extracts with data-quality findings, a child on several rows, blank IDs, a column no row fills
in and an empty list; and `newest` picks the same extract for each month as computing every extract and keeping the
newest."""

import copy
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.records import annex_a, compute, pseudonym, synth
from dashboard.records.measures import REGISTRY

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import records_bench

BANK = {dt.date(2023, 8, 28), dt.date(2023, 12, 25), dt.date(2023, 12, 26), dt.date(2024, 1, 1)}


def _with_problems(extracts: list[annex_a.Extract], seed: int) -> list[annex_a.Extract]:
    """The extracts with findings on random rows and columns, some IDs blank, some children on several rows."""
    rng = np.random.default_rng(seed)
    out = copy.deepcopy(extracts)
    for e in out:
        found = []
        for key, frame in e.lists.items():
            if not len(frame):
                continue
            cols = [c for c in frame.columns if c not in ("row", "child", "birth_month")] + ["child"]
            for r in rng.choice(frame["row"].to_numpy(), size=min(12, len(frame)), replace=False):
                rule = rng.choice(["unreadable_date", "duplicate", "missing_id", "future_date", "unknown_code"])
                found.append((key, int(r), str(rng.choice(cols)), str(rule), "synthetic finding"))
            children = frame["child"].to_numpy(dtype=object)
            children[: min(4, len(frame))] = None  # blank IDs (the reader flags them; these are left unflagged)
            if len(children) >= 16:
                children[4:10] = children[10:16]  # the same child on several rows
            whole = frame["child"].dtype.kind in "iu"  # the national frames' whole-number IDs cannot be blank
            frame["child"] = pd.Series(children, index=frame.index, dtype=object if whole else frame["child"].dtype)
        e.findings = pd.DataFrame(found, columns=annex_a.FINDING_COLUMNS)
    return out


def _row_by_row(extracts, bank_holidays) -> pd.DataFrame:
    """ref, x, month, denominator, numerator, excluded counted in pandas from the rows each measure counts
    (compute._rows, no newest rule), and the findings: the plain count beside the one-scan aggregation."""
    findings = pd.concat([e.findings.assign(x=i) for i, e in enumerate(extracts)], ignore_index=True)
    out = []
    for m in REGISTRY:
        if not any(len(e.lists.get(m.list, ())) for e in extracts):
            continue
        rows = compute._rows(extracts, m, f"t.{m.per} AS who" if m.per else "NULL AS who", bank_holidays, False)
        mine = findings[findings["list"] == m.list]
        touching = mine[mine["column"].isin(m.uses) | mine["rule"].isin(compute.EVERY_COLUMN_RULES)]
        excluded = touching.groupby("x")["row"].nunique()
        for (x, month), r in rows.groupby(["x", "month"]):
            if m.per:
                loads = r.groupby("who")["unit"].nunique()
                den, num = len(loads), (loads.sum() if m.stat == "mean" else loads.max())
            else:
                units = r["unit"].dropna()
                den = units.nunique() if m.count == "children" else len(units)
                good = r.loc[r["ok"].fillna(False).astype(bool), "unit"].dropna()
                num = good.nunique() if m.count == "children" else len(good)
            out.append((m.ref, x, month, den, num, excluded.get(x, 0)))
    return pd.DataFrame(out, columns=["ref", "x", "month", "denominator", "numerator", "excluded"])


def _check(extracts, bank_holidays=BANK) -> int:
    names = {e.name: x for x, e in enumerate(extracts)}
    assert len(names) == len(extracts)
    every = compute.compute(extracts, bank_holidays=bank_holidays, newest=False)
    fast = every.figures.assign(x=every.figures["extract"].map(names))
    slow = _row_by_row(extracts, bank_holidays)
    both = fast.merge(slow, on=["ref", "x", "month"], how="left", suffixes=("", "_sql"), indicator=True)
    # a month no row is counted in has no rows: a zero (the highest caseload: none)
    kind = both["ref"].map({m.ref: m.kind for m in REGISTRY})
    counted = both["_merge"] == "both"
    assert counted.mean() > 0.5
    both.loc[~counted, "denominator_sql"] = 0
    both.loc[~counted, "numerator_sql"] = np.where(kind[~counted] == "max", np.nan, 0)
    both.loc[~counted, "excluded_sql"] = both.loc[~counted, "excluded"]  # checked where rows are counted
    count = kind == "count"
    assert (both.loc[count, "computed"] == both.loc[count, "denominator_sql"]).all()
    assert (both.loc[~count, "denominator"] == both.loc[~count, "denominator_sql"]).all()
    num, num_sql = both.loc[~count, "numerator"], both.loc[~count, "numerator_sql"].astype(float)
    assert ((num == num_sql) | (num.isna() & num_sql.isna())).all()
    assert (both["excluded"] == both["excluded_sql"]).all()
    # what the row-by-row SQL gives and compute does not is a ref compute says it did not compute from that extract
    left = slow.merge(fast[["ref", "x", "month"]], how="left", indicator=True)
    left = left[left["_merge"] == "left_only"]
    for ref, x in set(zip(left["ref"], left["x"])):
        assert any(n.startswith(f"{extracts[x].name}:") and ref in n for n in every.notes), (ref, x)
    # newest: the same figures as every extract's, keeping the newest by as-at date, then load order
    newest = compute.compute(extracts, bank_holidays=bank_holidays).figures
    kept = every.figures.assign(x=fast["x"]).sort_values(["as_at", "x"], kind="stable")
    kept = kept.drop_duplicates(["ref", "month"], keep="last").drop(columns="x")
    order = {m.ref: i for i, m in enumerate(REGISTRY)}
    kept = kept.assign(_r=kept["ref"].map(order)).sort_values(["_r", "month"], kind="stable").drop(columns="_r")
    pd.testing.assert_frame_equal(newest.reset_index(drop=True), kept.reset_index(drop=True))
    return len(both)


def test_national_frames_with_problems_agree():
    nat = records_bench.national_extracts(3, 300, seed=4)
    assert _check(_with_problems(nat, seed=1)) > 200


@pytest.fixture(scope="module")
def synthetic():
    """Two month-end extracts of the synthetic council (overlapping windows, the same children in each)."""
    plan = synth.simulate(dt.date(2024, 1, 31), 2, 2)
    return [synth.extract(synth.rows_as_at(plan, d), d, pseudonym.DEMO_KEY) for d in plan.as_ats]


def test_synthetic_extracts_with_problems_agree(synthetic):
    broken = _with_problems(synthetic, seed=2)
    broken[0].lists["list_8"]["placement_type"] = None  # filled in by no row: CF8, CF9 not computed from it
    broken[1].lists["list_5"] = broken[1].lists["list_5"].iloc[0:0]  # an empty list: its refs not from it
    assert _check(broken) > 150


def test_the_same_extract_twice_takes_the_one_loaded_last(synthetic):
    a = synthetic[-1]
    b = copy.deepcopy(a)
    b.name = "loaded later.xlsx"
    b.lists["list_1"] = b.lists["list_1"].iloc[: len(b.lists["list_1"]) // 2]
    got = compute.compute([a, b]).figures
    assert set(got["extract"]) == {"loaded later.xlsx"}
    fd1 = got[(got["ref"] == "FD1")].set_index("month")["computed"]
    alone = compute.compute([b]).figures
    assert fd1.to_dict() == alone[alone["ref"] == "FD1"].set_index("month")["computed"].to_dict()


@pytest.mark.parametrize("unit", ["Y", "M", "W", "D", "h", "s", "ms", "us", "ns"])
def test_dates_reach_arrow_as_numpy_would_cast_them(unit):
    """The stacking's own conversion of datetimes to days (integers, not numpy's cast) floors as numpy does, before
    1970 too, and keeps a blank blank."""
    days = np.array(["1969-12-31", "1970-01-01", "2024-02-29", "NaT", "1899-07-14"], dtype="datetime64[D]")
    values = days.astype(f"datetime64[{unit}]")
    expected = [None if np.isnat(v) else v.item() for v in values.astype("datetime64[D]")]
    assert compute._days(values).to_pylist() == expected
