"""Synthetic benchmark data in the sample_data/ schema: N authorities x M indicators x K months.

SYNTHETIC: every figure here is made up by a seeded random generator, for measuring speed only.
Authorities are called "Synthetic authority NNN", indicator names start "Synthetic:", every vintage
and row cites this script as its source. Shapes follow the real scorecard: the real catalogue's mix of
units, polarities and printed target forms; quarterly packs; late-starting indicators, holes,
"not yet available" in the newest month, and revisions printed in the next pack.

    python benchmarks/generate.py --out bench-data/national             # 150 x 400 x 120: 7.08M rows
    python benchmarks/generate.py --out bench-data/small -n 3 -m 40 -k 30   # the scale the tests use
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
SOURCE = "synthetic: benchmarks/generate.py"
LAST_MONTH = dt.date(2024, 3, 1)  # the real packs' newest month, so the series end where the sample does
COMPARATOR_YEAR = "2022/23"

# Share of cells that are: absent (a hole), not yet available, n/a; and revised in the next pack.
HOLE, NYA, NA, REVISED = 0.01, 0.005, 0.003, 0.03
NYA_NEWEST = 0.10  # the newest month is often not yet available
LATE_START = 0.05  # indicators introduced part-way through the series


def _months(k: int) -> list[dt.date]:
    end = LAST_MONTH.year * 12 + LAST_MONTH.month - 1
    return [dt.date((end - j) // 12, (end - j) % 12 + 1, 1) for j in range(k - 1, -1, -1)]


def _quarter_end(m: dt.date) -> dt.date:
    q_end_month = ((m.month - 1) // 3) * 3 + 3
    return dt.date(m.year, q_end_month, 1)


def _write(path: Path, frame: pd.DataFrame, columns: list[str]) -> None:
    frame = frame.reindex(columns=columns)
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)


def _header_only(path: Path) -> None:
    """Tables the benchmark does not exercise keep the sample's header, so the schema is the same."""
    with open(SAMPLE / path.name, newline="", encoding="utf-8") as fh:
        header = fh.readline()
    path.write_text(header, encoding="utf-8")


def catalogue(m: int, rng: np.random.Generator) -> pd.DataFrame:
    """M monthly indicators cycling through the real catalogue's rows (unit, polarity, frequency, area)."""
    real = pd.read_csv(SAMPLE / "indicators.csv", keep_default_na=False)
    real = real[real["frequency"] != "week"].reset_index(drop=True)
    prefixes = pd.read_csv(SAMPLE / "areas.csv").set_index("area")["ref_prefix"]
    rows = []
    for i in range(m):
        src = real.iloc[i % len(real)]
        rows.append(
            {
                "ref": f"{prefixes[src['area']]}{1000 + i}",
                "area": src["area"],
                "name": f"Synthetic: {src['name']}",
                "unit": src["unit"],
                "polarity": src["polarity"],
                "frequency": src["frequency"],
                "count_type": src["count_type"],
                "amber_tolerance": "",
                "headline": int(i < 12),
                "definition_note": "Synthetic benchmark indicator, not a real measure.",
                "sort_order": i + 1,
                "spc_rebase": "",
                "spc_rebase_note": "",
                "spc_baseline_points": "",
            }
        )
    return pd.DataFrame(rows)


def _levels(units: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """A typical level per (authority, indicator), by unit."""
    m = len(units)
    level = np.empty((n, m))
    for unit, (lo, hi) in {
        "percent": (15, 92),
        "count": (20, 1500),
        "rate_per_10k": (20, 600),
        "days": (10, 200),
        "caseload_average": (12, 24),
    }.items():
        cols = units == unit
        level[:, cols] = rng.uniform(lo, hi, size=(n, cols.sum()))
    return level


def series(level: np.ndarray, units: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """(N, M, K) values: AR(1) noise around the level, a step change in a fifth of series, rounded per unit."""
    n, m = level.shape
    noise = rng.normal(0, 0.04, size=(n, m, k))
    for t in range(1, k):
        noise[:, :, t] += 0.6 * noise[:, :, t - 1]
    step_at = rng.integers(k // 4, k, size=(n, m))
    stepped = rng.random((n, m)) < 0.2
    step = np.where(stepped, rng.normal(0, 0.12, size=(n, m)), 0.0)
    after = np.arange(k)[None, None, :] >= step_at[:, :, None]
    values = level[:, :, None] * (1 + noise + step[:, :, None] * after)
    pct = units == "percent"
    values[:, pct, :] = np.clip(values[:, pct, :], 0, 100)
    values = np.maximum(values, 0)
    whole = np.isin(units, ["count"])
    values[:, whole, :] = np.round(values[:, whole, :])
    values[:, ~whole, :] = np.round(values[:, ~whole, :], 1)
    return values


def _target_text(unit: str, polarity: str, level: float, rng: np.random.Generator) -> str:
    """A target in one of the printed forms ("85%", "<7%", "20-24%", "552")."""
    pct = "%" if unit == "percent" else ""
    if polarity == "within_band":
        lo = round(level * 0.9)
        return f"{lo}-{lo + max(2, round(level * 0.2))}{pct}"
    ahead = 1.05 if polarity == "higher_better" else 0.95
    value = round(min(level * ahead * rng.uniform(0.95, 1.05), 100 if pct else 1e9))
    form = rng.integers(0, 3)
    if form == 0:
        return f"{value}{pct}"
    if form == 1:
        return f"{'>' if polarity == 'higher_better' else '<'}{value}{pct}"
    lo = value - 2 if polarity == "higher_better" else value
    return f"{max(lo, 0)}-{max(lo, 0) + 4}{pct}" if pct else f"{value}"


def generate(out: Path, n: int = 150, m: int = 400, k: int = 120, seed: int = 1) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    months = _months(k)
    ind = catalogue(m, rng)
    units = ind["unit"].to_numpy()
    polarity = ind["polarity"].to_numpy()

    # Reference tables.
    areas = pd.read_csv(SAMPLE / "areas.csv", keep_default_na=False)
    areas = areas[areas["area"] != "weekly"].assign(head_of_service="", head_role="", head_source="")
    _write(out / "areas.csv", areas, list(areas.columns))
    _write(out / "indicators.csv", ind, list(ind.columns))
    auth_ids = [f"syn{a + 1:03d}" for a in range(n)]
    _write(
        out / "authorities.csv",
        pd.DataFrame(
            {
                "authority": auth_ids,
                "name": [f"Synthetic authority {a + 1:03d} (benchmark data, not real)" for a in range(n)],
                "population_0_17": rng.integers(20_000, 300_000, size=n),
                "population_note": "Synthetic",
                "la_code": "",  # no DfE code: synthetic authorities have no national figures
            }
        ),
        ["authority", "name", "population_0_17", "population_note", "la_code"],
    )

    quarters = sorted({_quarter_end(mo) for mo in months})
    vint_id = {q: f"syn-{q.year}-{q.month:02d}" for q in quarters}
    published = {q: (dt.date(q.year + (q.month == 12), q.month % 12 + 1, 12)) for q in quarters}
    _write(
        out / "vintages.csv",
        pd.DataFrame(
            {
                "vintage": [vint_id[q] for q in quarters],
                "label": [f"Synthetic pack, quarter to {q:%b-%y}" for q in quarters],
                "published": [published[q].isoformat() for q in quarters],
                "source_file": SOURCE,
                "kind": "pack",
                "as_of_note": f"Synthetic benchmark data (seed {seed}); not real figures",
            }
        ),
        ["vintage", "label", "published", "source_file", "kind", "as_of_note"],
    )

    # Observations: (N, M, K) cells, first printed in their quarter's pack.
    level = _levels(units, n, rng)
    values = series(level, units, k, rng)
    r = rng.random((n, m, k))
    status = np.full((n, m, k), "value", dtype=object)
    status[r < NYA + NA] = "not_applicable"
    status[r < NYA] = "not_yet_available"
    status[:, :, -1][rng.random((n, m)) < NYA_NEWEST] = "not_yet_available"
    present = r < 1 - HOLE
    starts = np.where(rng.random(m) < LATE_START, rng.integers(1, k, size=m), 0)
    present &= np.arange(k)[None, None, :] >= starts[None, :, None]

    a_idx, i_idx, t_idx = np.nonzero(present)  # C order: authority, ref, period
    first_q = np.array([quarters.index(_quarter_end(mo)) for mo in months])
    stat = status[a_idx, i_idx, t_idx]
    val = np.where(stat == "value", values[a_idx, i_idx, t_idx], np.nan)
    vq = first_q[t_idx]
    revise = (stat == "value") & (rng.random(len(a_idx)) < REVISED) & (vq < len(quarters) - 1)
    rev_val = val[revise] * rng.choice([-1, 1], size=revise.sum()) * rng.uniform(0.02, 0.08, size=revise.sum())
    rev_val = np.round(val[revise] + rev_val, 1)
    rev_val = np.where(units[i_idx[revise]] == "percent", np.clip(rev_val, 0, 100), np.maximum(rev_val, 0))
    rev_val = np.where(units[i_idx[revise]] == "count", np.round(rev_val), rev_val)

    all_a = np.concatenate([a_idx, a_idx[revise]])
    all_i = np.concatenate([i_idx, i_idx[revise]])
    all_t = np.concatenate([t_idx, t_idx[revise]])
    all_q = np.concatenate([vq, vq[revise] + 1])
    all_v = np.concatenate([val, rev_val])
    all_s = np.concatenate([stat, np.full(revise.sum(), "value", dtype=object)])
    order = np.lexsort((all_q, all_t, all_i, all_a))

    def dictionary(codes: np.ndarray, labels: list[str]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(codes[order].astype(np.int32)), pa.array(labels)).cast(
            pa.string()
        )

    month_iso = [f"{mo.year}-{mo.month:02d}" for mo in months]
    status_codes, status_labels = pd.factorize(pd.Series(all_s[order]))
    table = pa.table(
        {
            "authority": dictionary(all_a, auth_ids),
            "ref": dictionary(all_i, list(ind["ref"])),
            "period": dictionary(all_t, month_iso),
            "vintage": dictionary(all_q, [vint_id[q] for q in quarters]),
            "value": pa.array(all_v[order], mask=np.isnan(all_v[order])),
            "status": pa.DictionaryArray.from_arrays(
                pa.array(status_codes.astype(np.int32)), pa.array(list(status_labels))
            ).cast(pa.string()),
            "note": pa.nulls(len(order), pa.string()),
            "source_file": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(len(order), dtype=np.int32)), pa.array([SOURCE])
            ).cast(pa.string()),
            "source_line": pa.nulls(len(order), pa.int64()),
        }
    )
    pacsv.write_csv(table, out / "observations.csv", pacsv.WriteOptions(quoting_style="needed"))

    # Targets, comparators and baselines for rated indicators, as the first pack printed them.
    first_v = vint_id[quarters[0]]
    rated = [j for j in range(m) if polarity[j] != "neutral"]
    targeted = [j for j in rated if rng.random() < 0.7]
    _write(
        out / "targets.csv",
        pd.DataFrame(
            [
                {
                    "authority": auth_ids[a],
                    "ref": ind["ref"].iat[j],
                    "vintage": first_v,
                    "target_text": _target_text(units[j], polarity[j], level[a, j], rng),
                    "source_file": SOURCE,
                    "source_line": 0,
                }
                for a in range(n)
                for j in targeted
            ]
        ),
        ["authority", "ref", "vintage", "target_text", "source_file", "source_line"],
    )
    comp = []
    for c in ("gm", "nw", "sn", "england"):
        shift = rng.normal(1.0, 0.1, size=(n, len(rated)))
        for a in range(n):
            for col, j in enumerate(rated):
                v = level[a, j] * shift[a, col]
                comp.append(
                    (
                        auth_ids[a],
                        ind["ref"].iat[j],
                        first_v,
                        c,
                        round(min(v, 100) if units[j] == "percent" else v, 1),
                        COMPARATOR_YEAR,
                        SOURCE,
                        0,
                    )
                )
    _write(
        out / "comparators.csv",
        pd.DataFrame(
            comp, columns=["authority", "ref", "vintage", "comparator", "value", "year", "source_file", "source_line"]
        ),
        ["authority", "ref", "vintage", "comparator", "value", "year", "source_file", "source_line"],
    )
    base = np.round(np.nanmean(values[:, :, :12], axis=2), 1)
    _write(
        out / "baselines.csv",
        pd.DataFrame(
            {
                "authority": np.repeat(auth_ids, m),
                "ref": np.tile(ind["ref"].to_numpy(), n),
                "vintage": first_v,
                "basis": "2022/23",
                "value": base.reshape(-1),
                "status": "value",
                "note": "",
                "source_file": SOURCE,
                "source_line": 0,
            }
        ),
        ["authority", "ref", "vintage", "basis", "value", "status", "note", "source_file", "source_line"],
    )

    for name in (
        "indicator_names.csv",
        "weekly.csv",
        "printed_ratings.csv",
        "commentary.csv",
        "plan_priorities.csv",
        "plan_actions.csv",
        "plan_measures.csv",
        "national_values.csv",
        "stat_neighbours.csv",
    ):
        _header_only(out / name)
    # National statistics: the real measure definitions (metadata), no published figures; every synthetic ref
    # says why it has none, as the catalogue requires.
    (out / "national_measures.csv").write_bytes((SAMPLE / "national_measures.csv").read_bytes())
    monthly = ind[ind["frequency"] != "week"]
    _write(
        out / "national_map.csv",
        monthly.assign(measure="", reason="Synthetic benchmark indicator: no published national measure"),
        ["ref", "measure", "reason"],
    )
    (out / "README.md").write_text(
        f"# SYNTHETIC benchmark data\n\nMade by `benchmarks/generate.py` (seed {seed}): {n} authorities x {m} "
        f"indicators x {k} months. Not real figures; for measuring speed only.\n",
        encoding="utf-8",
    )
    return {
        "authorities": n,
        "indicators": m,
        "months": k,
        "observations": len(order),
        "revised": int(revise.sum()),
        "targets": n * len(targeted),
        "comparators": len(comp),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("-n", "--authorities", type=int, default=150)
    p.add_argument("-m", "--indicators", type=int, default=400)
    p.add_argument("-k", "--months", type=int, default=120)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    t = time.perf_counter()
    counts = generate(a.out, a.authorities, a.indicators, a.months, a.seed)
    print(f"wrote synthetic data to {a.out} in {time.perf_counter() - t:.1f}s: {counts}")


if __name__ == "__main__":
    main()
