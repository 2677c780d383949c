"""The Annex A records at national scale, and the plain-pandas baseline the registry's DuckDB SQL is judged against.

National scale is SYNTHETIC and lean: 150 invented councils, one extract each, made as frames straight to the compute
step (no workbooks, no reader: the reader's own cost is measured on one Tameside-size workbook), with the children's
pseudonyms as whole numbers. Their dates and codes are random, not calibrated to anything.

The baseline is written from docs/annex-a.md, not from the registry: a loop over extracts, refs and months with
pandas masks, as an analyst would write it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.records import annex_a, compute, workdays

# Rows per list in one council's six-month extract, relative to contacts (a Tameside-size extract has ~8,000 contacts)
SHAPE = {"list_1": 1.0, "list_3": 0.26, "list_4": 0.37, "list_5": 0.13, "list_6": 0.45, "list_7": 0.08,
         "list_8": 0.1, "list_9": 0.03}  # fmt: skip
TEAMS = np.array(["socialwork", "cwd", "caredfor", "adoption"])


def _dates(rng, lo: dt.date, hi: dt.date, n: int) -> np.ndarray:
    days = (hi - lo).days
    return np.datetime64(lo) + rng.integers(0, days + 1, n).astype("timedelta64[D]")


def national_extracts(councils: int, contacts: int, seed: int = 1, as_at: dt.date = dt.date(2024, 1, 31)):
    """One synthetic extract per council (as at the same day), frames in the reader's shape."""
    rng = np.random.default_rng(seed)
    lo, hi = compute.window(as_at)
    old = lo - dt.timedelta(days=900)
    out, next_id = [], 0
    for c in range(councils):
        scale = rng.lognormal(0, 0.4)
        lists = {}
        for key, share in SHAPE.items():
            n = max(5, int(contacts * share * scale))
            child = np.arange(next_id, next_id + n, dtype=np.int64)
            child[n // 10 :: 7] = child[: len(child[n // 10 :: 7])]  # some children more than once
            next_id += n
            f = pd.DataFrame({"row": np.arange(3, n + 3), "child": child})
            f["birth_month"] = (_dates(rng, dt.date(2000, 1, 1), dt.date(2023, 1, 1), n)).astype("datetime64[M]")
            f["birth_month"] = f["birth_month"].astype("datetime64[ns]")
            if key == "list_1":
                f["contact_date"] = _dates(rng, lo, hi, n)
            elif key == "list_3":
                f["referral_date"] = _dates(rng, lo, hi, n)
                f["referrals_12m"] = pd.array(rng.integers(1, 4, n), dtype="Int64")
            elif key == "list_4":
                f["assessment_start"] = _dates(rng, lo - dt.timedelta(days=60), hi, n)
                f["assessment_authorised"] = f["assessment_start"] + pd.to_timedelta(rng.integers(5, 100, n), "D")
                f.loc[f["assessment_authorised"] > pd.Timestamp(hi), "assessment_authorised"] = pd.NaT
                f["not_in_need"] = np.where(rng.random(n) < 0.2, "yes", "no")
            elif key == "list_5":
                f["strategy_date"] = _dates(rng, lo - dt.timedelta(days=30), hi, n)
                icpc = f["strategy_date"] + pd.to_timedelta(rng.integers(3, 30, n), "D")
                f["icpc_date"] = icpc.where((rng.random(n) < 0.2) & (icpc <= pd.Timestamp(hi)))
            elif key in ("list_6", "list_7", "list_8"):
                start, end = {"list_6": ("cin_start", "cin_closure"), "list_7": ("cp_start", "cp_end"),
                              "list_8": ("cla_start", "cla_ceased")}[key]  # fmt: skip
                f[start] = _dates(rng, old, hi, n)
                ends = f[start] + pd.to_timedelta(rng.integers(30, 900, n), "D")
                f[end] = ends.where(ends <= pd.Timestamp(hi))
                if key == "list_6":
                    f["case_status"] = rng.choice(["cin", "cp", "cla", "assessment"], n)
                if key == "list_7":
                    f["cp_last_visit"] = pd.Timestamp(hi) - pd.to_timedelta(rng.integers(0, 45, n), "D")
                if key == "list_8":
                    day = pd.Timestamp(hi)
                    for col, span in (("health_check", 450), ("dental_check", 500), ("cla_last_visit", 60)):
                        f[col] = day - pd.to_timedelta(rng.integers(0, span, n), "D")
                    f["placements_12m"] = pd.array(rng.integers(1, 5, n), dtype="Int64")
                    f["placement_type"] = np.where(rng.random(n) < 0.6, "foster", "other")
                if key in ("list_6", "list_7", "list_8"):
                    f["team_type"] = rng.choice(TEAMS, n, p=[0.7, 0.1, 0.15, 0.05])
                    f["worker"] = (c * 1000 + rng.integers(0, max(2, n // 15), n)).astype(str)
            elif key == "list_9":
                f["birth_month"] = _dates(rng, dt.date(1998, 1, 1), dt.date(2008, 1, 1), n).astype("datetime64[M]")
                f["birth_month"] = f["birth_month"].astype("datetime64[ns]")
                f["in_touch"] = np.where(rng.random(n) < 0.9, "yes", "no")
                f["adviser"] = (c * 1000 + rng.integers(0, max(2, n // 20), n)).astype(str)
                f["team_type"], f["worker"] = "leavingcare", f["adviser"]
            for col in [c.key for c in annex_a.LISTS[key].columns if c.key not in ("child", "dob")]:
                if col not in f:
                    f[col] = None
            lists[key] = f
        empty = pd.DataFrame(columns=annex_a.FINDING_COLUMNS)
        out.append(annex_a.Extract(f"SYNTHETIC council {c + 1:03d}", as_at, lists, empty))
    return out


def rows(extracts) -> int:
    return sum(len(f) for e in extracts for f in e.lists.values())


# --- the baseline, from docs/annex-a.md -----------------------------------------------------------------------


def _open(t, start, end, day):
    ok = t[start] <= day if start else pd.Series(True, index=t.index)
    return ok & (t[end].isna() | (t[end] > day)) if end else ok


def _pct(den, num, unit):
    d = den[unit].nunique() if unit == "child" else len(den)
    n = num[unit].nunique() if unit == "child" else len(num)
    return (None if d == 0 else np.floor(1000 * n / d + 0.5) / 10), n, d


def _age(t, day, lo, hi):
    born = t["birth_month"]
    return (born + pd.DateOffset(years=lo) <= day) & (day < born + pd.DateOffset(years=hi + 1))


def baseline(extracts) -> pd.DataFrame:
    """Every ref for every extract and month, one extract at a time (no newest-extract rule: one council each)."""
    out = []
    for x, e in enumerate(extracts):
        L = e.lists
        days = [d for f in L.values() for c in f.columns if c != "birth_month" for d in [f[c]]
                if pd.api.types.is_datetime64_any_dtype(d)]  # fmt: skip
        first = min(d.min() for d in days if d.notna().any()).date()
        last = max(d.max() for d in days if d.notna().any()).date()
        wd = pd.Series(dict(workdays.calendar(first, max(last, e.as_at))))
        wd.index = pd.to_datetime(wd.index)

        def add(ref, month, value, num=None, den=None, x=x):
            out.append((x, ref, month, value, num, den))

        for month, _ in compute.months_for("event", e.as_at):
            m0, m1 = pd.Timestamp(month), pd.Timestamp(compute._month_end(month))
            for ref, key, col in (("FD1", "list_1", "contact_date"), ("CIN1", "list_3", "referral_date"),
                                  ("CIN6", "list_4", "assessment_authorised"), ("CIN9", "list_5", "strategy_date"),
                                  ("SG7", "list_5", "icpc_date")):  # fmt: skip
                t = L[key]
                add(ref, month, float(((t[col] >= m0) & (t[col] <= m1)).sum()))
            t = L["list_3"][(L["list_3"]["referral_date"] >= m0) & (L["list_3"]["referral_date"] <= m1)]
            den = t[t["referrals_12m"].notna()]
            add("CIN4", month, *_pct(den, den[den["referrals_12m"] >= 2], "row"))
            t = L["list_4"][(L["list_4"]["assessment_authorised"] >= m0) & (L["list_4"]["assessment_authorised"] <= m1)]
            gap = t["assessment_authorised"].map(wd) - t["assessment_start"].map(wd)
            add("CIN8", month, *_pct(t, t[(t["assessment_start"] <= t["assessment_authorised"]) & (gap <= 45)], "row"))
            den = t[t["not_in_need"].notna()]
            add("CIN5", month, *_pct(den, den[den["not_in_need"] == "yes"], "row"))
            t = L["list_5"][(L["list_5"]["icpc_date"] >= m0) & (L["list_5"]["icpc_date"] <= m1)]
            gap = t["icpc_date"].map(wd) - t["strategy_date"].map(wd)
            add("SG6", month, *_pct(t, t[(t["strategy_date"] <= t["icpc_date"]) & (gap <= 15)], "row"))
        for month, day in compute.months_for("snapshot", e.as_at):
            day = pd.Timestamp(day)
            t = L["list_6"]
            add("CIN16", month, float(t[_open(t, "cin_start", "cin_closure", day) & (t["case_status"] == "cin")]
                                      ["child"].nunique()))  # fmt: skip
            t = L["list_7"][_open(L["list_7"], "cp_start", "cp_end", day)]
            add("CIN18", month, float(t["child"].nunique()))
            add("SG13", month, *_pct(t, t[day > t["cp_start"] + pd.DateOffset(months=18)], "child"))
            add("SG14", month, *_pct(t, t[day > t["cp_start"] + pd.DateOffset(months=24)], "child"))
            t = L["list_8"]
            add("CF1", month, float(t[_open(t, "cla_start", "cla_ceased", day)]["child"].nunique()))
        month, day = e.as_at.replace(day=1), pd.Timestamp(e.as_at)
        t = L["list_7"][_open(L["list_7"], "cp_start", "cp_end", day)]
        gap = (day - t["cp_last_visit"]).dt.days
        add("CIN20", month, *_pct(t, t[(t["cp_last_visit"] <= day) & (gap <= 28)], "child"))
        t = L["list_8"][_open(L["list_8"], "cla_start", "cla_ceased", day)]
        gap = (day - t["cla_last_visit"]).dt.days
        add("CF3", month, *_pct(t, t[(t["cla_last_visit"] <= day) & (gap <= 42)], "child"))
        den = t[t["placements_12m"].notna()]
        add("CF4", month, *_pct(den, den[den["placements_12m"] >= 3], "child"))
        long = t[t["cla_start"] <= day - pd.DateOffset(months=12)]
        for ref, col in (("CF23", "health_check"), ("CF25", "dental_check")):
            ok = (long[col] <= day) & (day <= long[col] + pd.DateOffset(months=12))
            add(ref, month, *_pct(long, long[ok], "child"))
        add("CF8", month, float(t[t["placement_type"] == "foster"]["child"].nunique()))
        den = t[t["placement_type"].notna()]
        add("CF9", month, *_pct(den, den[den["placement_type"] == "foster"], "child"))
        t9 = L.get("list_9")
        if t9 is not None and len(t9):
            den = t9[_age(t9, day, 17, 21) & t9["in_touch"].notna()]
            add("CF30", month, *_pct(den, den[den["in_touch"] == "yes"], "child"))
            pa = t9[_age(t9, day, 18, 25) & t9["adviser"].notna()].groupby("adviser")["child"].nunique()
            add("WF13", month, None if pa.empty else np.floor(10 * pa.sum() / len(pa) + 0.5) / 10, pa.sum(), len(pa))
        t = L["list_6"][_open(L["list_6"], "cin_start", "cin_closure", day) & L["list_6"]["worker"].notna()]
        loads = t.groupby("worker")["child"].nunique()
        add("WF8", month, None if loads.empty else float(loads.max()), None if loads.empty else loads.max(), len(loads))
        for ref, team in (("WF9", "socialwork"), ("WF10", "cwd"), ("WF11", "caredfor"), ("WF12", "adoption")):
            loads = t[t["team_type"] == team].groupby("worker")["child"].nunique()
            value = None if loads.empty else np.floor(10 * loads.sum() / len(loads) + 0.5) / 10
            add(ref, month, value, loads.sum(), len(loads))
    return pd.DataFrame(out, columns=["x", "ref", "month", "computed", "numerator", "denominator"])


def cached(path: Path, make):
    """Frames kept (pickled) in bench-data/ after the first run, so they are made once, and never timed."""
    import pickle

    if path.exists():
        return pickle.loads(path.read_bytes())
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(value))
    return value
