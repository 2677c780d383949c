"""Drafted commentary: an area's month told from the engine's results, in the packs' register, for the head
of service to edit and publish. Pure and deterministic: the same scorecard gives the same words. No network,
no language model: every sentence is built from figures the tables already show, and records them, so a
sentence can be traced to its refs and flagged when a later revision changes a figure it quotes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..words.formatting import fmt_value
from ..words.periods import add_months, label, long_label
from ..words.vocabulary import COMPARATORS, RAG_WORD, comparator, sentence_order
from .scorecard import exceptions

MAX_EXCEPTIONS = 5
MAX_MOVERS = 3
MAX_SIGNALS = 3
MAX_COMPARATORS = 2
MAX_REVISIONS = 5


@dataclass(frozen=True)
class Sentence:
    text: str
    refs: tuple[str, ...]
    figures: tuple[tuple[str, dt.date, float], ...] = field(default=())  # (ref, month, value) each quoted


@dataclass(frozen=True)
class Draft:
    area_title: str
    month: dt.date
    paragraphs: tuple[tuple[Sentence, ...], ...]

    @property
    def sentences(self) -> list[Sentence]:
        return [s for p in self.paragraphs for s in p]

    def markdown(self) -> str:
        """Paragraphs, then the refs each paragraph draws on, as a footnote list."""
        body = "\n\n".join(" ".join(s.text for s in p) for p in self.paragraphs if p)
        refs = ", ".join(dict.fromkeys(r for s in self.sentences for r in s.refs))
        return body + (f"\n\n*Figures used: {refs}.*" if refs else "")

    def summary(self, n: int = 2) -> str:
        return " ".join(s.text for s in self.sentences[:n])


def _name(row) -> str:
    return f"{row['indicator']} ({row['ref']})"


# The scorecard's direction of travel (engine.trend: one rule for what counts as a change, used by the table,
# the papers and these words), as a verb for the month and a comparison for the same month last year.
# Every scorecard column a draft reads (the sentences below, and scorecard.exceptions' triage).
SCORECARD_COLUMNS = (
    "ref", "indicator", "area", "sort_order", "unit", "polarity", "status", "value", "current_text", "rag",
    "rag_reason", "triage", "direction", "prev_month_value", "dir_month_direction", "last_year_value",
    "dir_year_direction", "spc_variation", "spc_reason", "comparator_summary",
    *COMPARATORS, *(f"{c}_year" for c in COMPARATORS),
)  # fmt: skip
MOVED_VERB = {"Improving": "improved", "Declining": "worsened", "Up": "rose", "Down": "fell"}
COMPARED = {"Improving": "better", "Declining": "worse", "Up": "higher", "Down": "lower"}


def _size(row, earlier: float) -> float:
    change = abs(row["value"] - earlier)
    return change if row["unit"] == "percent" else (change / abs(earlier) * 100 if earlier else np.inf)


def _opening(sc: pd.DataFrame, area_title: str, month: dt.date) -> Sentence:
    rated = sc[sc["rag"] != "-"]
    counts = rated["rag"].value_counts()
    if rated.empty:
        return Sentence(
            f"In {long_label(month)}, none of the {len(sc)} {area_title} indicators with figures is "
            "rated: they are activity measures or have no target, comparator or last year's figure.",
            (),
        )
    parts = [f"{int(counts.get(k, 0))} {RAG_WORD[k]}" for k in ("G", "A", "R") if counts.get(k, 0)]
    joined = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    verb = "is" if len(rated) == 1 else "are"
    return Sentence(
        f"In {long_label(month)}, {len(rated)} of the {len(sc)} {area_title} indicators with figures "
        f"{verb} rated: {joined}.",
        (),
    )


def _exception(row, month: dt.date) -> Sentence:
    core = str(row["rag_reason"]).split(" → ")[0]
    if row["rag"] == "-":
        variation = "unusually high" if row["spc_variation"] == "neutral_high" else "unusually low"
        return Sentence(
            f"{_name(row)} was {row['current_text']}, {variation} for this measure by SPC.",
            (row["ref"],),
            ((row["ref"], month, float(row["value"])),),
        )
    if core.startswith("No target"):
        core = core.split(": ", 1)[1]
    core = core.replace(": ", ", ", 1) if "against a target of" in core else core
    return Sentence(
        f"{_name(row)} is {RAG_WORD[row['rag']]}: {core}.", (row["ref"],), ((row["ref"], month, float(row["value"])),)
    )


def _mover(row, month: dt.date) -> Sentence:
    earlier, unit = float(row["prev_month_value"]), row["unit"]
    prev = add_months(month, -1)
    text = (
        f"{_name(row)} {MOVED_VERB[row['dir_month_direction']]} from {fmt_value(earlier, unit)} in "
        f"{long_label(prev)} to {fmt_value(row['value'], unit)} in {long_label(month)}"
    )
    figures = [(row["ref"], prev, earlier), (row["ref"], month, float(row["value"]))]
    last_year, on_year = row.get("last_year_value"), row.get("dir_year_direction", "")
    if last_year is not None and not pd.isna(last_year) and on_year:
        ly = add_months(month, -12)
        compared = f"{COMPARED[on_year]} than" if on_year in COMPARED else "much the same as"
        text += f", {compared} {fmt_value(last_year, unit)} in {long_label(ly)}"
        figures.append((row["ref"], ly, float(last_year)))
    return Sentence(text + ".", (row["ref"],), tuple(figures))


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _record_run(history: pd.DataFrame, ref: str, month: dt.date, value: float) -> str:
    """'the highest for 14 months': no month in that span was as high (or as low). '' when under six months."""
    h = history[(history["ref"] == ref) & (history["period"] < month)].sort_values("period", ascending=False)
    if h.empty:
        return ""
    for word, beaten in (("highest", h["value"] >= value), ("lowest", h["value"] <= value)):
        if not beaten.any():
            oldest = h["period"].iloc[-1]
            if _months_between(oldest, month) >= 6:
                return f"the {word} of any month shown (since {label(oldest)})"
            continue
        span = _months_between(h.loc[beaten.idxmax(), "period"], month) - 1
        if span >= 6:
            return f"the {word} for {span} months"
    return ""


def _signal(row, month: dt.date, history: pd.DataFrame) -> Sentence:
    reason = str(row["spc_reason"])
    rule = reason.split(": ", 1)[1].split(".")[0] if ": " in reason else ""
    kind = (
        "a signal of improvement"
        if str(row["spc_variation"]).startswith("improvement")
        else "a signal of concern"
        if str(row["spc_variation"]).startswith("concern")
        else "an unusual figure"
    )
    record = _record_run(history, row["ref"], month, float(row["value"]))
    extra = f"; at {row['current_text']} it is {record}" if record else ""
    return Sentence(
        f"SPC shows {kind} for {_name(row)}: {rule}{extra}.", (row["ref"],), ((row["ref"], month, float(row["value"])),)
    )


def _comparator(row, month: dt.date) -> Sentence:
    unit, v = row["unit"], float(row["value"])
    better, worse = [], []
    for c in sentence_order():
        x = row.get(c)
        if x is None or pd.isna(x) or x == v:
            continue
        year = row.get(f"{c}_year") or ""
        text = f"{comparator(c).in_prose} ({fmt_value(x, unit)}{', ' + year if year else ''})"
        sign = np.sign(v - x) * (1 if row["polarity"] == "higher_better" else -1)
        (better if sign > 0 else worse).append(text)
    parts = ([f"better than {', '.join(better)}"] if better else []) + (
        [f"worse than {', '.join(worse)}"] if worse else []
    )
    return Sentence(
        f"At {row['current_text']}, {_name(row)} is {' but '.join(parts)}.", (row["ref"],), ((row["ref"], month, v),)
    )


def _revision(r, unit: str) -> Sentence:
    return Sentence(
        f"{r['ref']} for {long_label(r['period'])} was revised from {fmt_value(r['old_value'], unit)} to "
        f"{fmt_value(r['new_value'], unit)}.",
        (r["ref"],),
        ((r["ref"], r["period"], float(r["new_value"])),),
    )


def draft(
    sc: pd.DataFrame,
    month: dt.date,
    area_title: str,
    history: pd.DataFrame | None = None,
    revisions: pd.DataFrame | None = None,
) -> Draft:
    """sc: the area's scorecard rows for the month; history: ref, period, value (figures up to the month, for
    'the highest for N months'); revisions: ref, period, old/new value and label of figures revised by the
    vintage in view (the engine's revisions, already filtered)."""
    history = history if history is not None else pd.DataFrame(columns=["ref", "period", "value"])
    if sc.empty:
        return Draft(area_title, month, ((Sentence(f"No {area_title} figures for {long_label(month)}.", ()),),))
    # The columns the sentences read, first: filtering the scorecard's hundred columns cost most of a draft.
    sc = sc[sc.columns.intersection(SCORECARD_COLUMNS, sort=False)]
    sc = sc[sc["status"] == "value"].sort_values("sort_order", kind="stable")
    used: set[str] = set()
    opening = [_opening(sc, area_title, month)]

    discuss = exceptions(sc)
    off = discuss.head(MAX_EXCEPTIONS)
    off_sentences = [_exception(r, month) for _, r in off.iterrows()]
    if len(discuss) > MAX_EXCEPTIONS:
        rest = discuss.iloc[MAX_EXCEPTIONS:]
        off_sentences.append(Sentence(f"Also off target or unusual: {', '.join(rest['ref'])}.", tuple(rest["ref"])))
    used |= set(off["ref"])

    movable = sc[sc["dir_month_direction"].isin(list(MOVED_VERB))]  # "No change" by the table's rule is no mover
    movable = movable.assign(_size=[_size(r, r["prev_month_value"]) for _, r in movable.iterrows()])
    movers = (
        movable[~movable["ref"].isin(used)]
        .sort_values(["_size", "sort_order"], ascending=[False, True], kind="stable")
        .head(MAX_MOVERS)
    )
    mover_sentences = [_mover(r, month) for _, r in movers.iterrows()]
    used |= set(movers["ref"])

    special = sc[
        sc["spc_variation"].astype(str).str.match(r"^(improvement|concern|neutral)_")
        & ~sc["spc_reason"].astype(str).str.startswith("No figure")
    ].head(MAX_SIGNALS)
    signal_sentences = [_signal(r, month, history) for _, r in special.iterrows()]

    compared = sc[
        (sc["comparator_summary"] != "")
        & ~sc["ref"].isin(used)
        & sc["polarity"].isin(["higher_better", "lower_better"])
    ].head(MAX_COMPARATORS)
    comparator_sentences = [_comparator(r, month) for _, r in compared.iterrows()]

    revision_sentences = []
    if revisions is not None and not revisions.empty:
        units = sc.set_index("ref")["unit"]
        rev = revisions[revisions["ref"].isin(units.index)]
        if not rev.empty:  # the largest first: points for percentages, relative size for the rest
            size = [
                abs(r["new_value"] - r["old_value"])
                if units[r["ref"]] == "percent"
                else abs(r["new_value"] - r["old_value"]) / max(abs(r["old_value"]), 1) * 100
                for _, r in rev.iterrows()
            ]
            rev = rev.assign(_size=size).sort_values(
                ["_size", "ref", "period"], ascending=[False, True, True], kind="stable"
            )
            first = rev.iloc[0]
            revision_sentences = [
                Sentence(
                    f"Since the {first['old_label']}, {len(rev)} figure"
                    f"{'s were' if len(rev) != 1 else ' was'} revised in the {first['new_label']}"
                    f"{', the largest:' if len(rev) > 1 else ':'}",
                    (),
                )
            ]
            revision_sentences += [_revision(r, units[r["ref"]]) for _, r in rev.head(MAX_REVISIONS).iterrows()]
            shown_refs = set(rev.head(MAX_REVISIONS)["ref"])
            others = [r for r in dict.fromkeys(rev.iloc[MAX_REVISIONS:]["ref"]) if r not in shown_refs]
            if others:
                revision_sentences.append(Sentence(f"Other revised indicators: {', '.join(others)}.", tuple(others)))
    paragraphs = (
        tuple(opening + off_sentences),
        tuple(mover_sentences),
        tuple(signal_sentences + comparator_sentences),
        tuple(revision_sentences),
    )
    return Draft(area_title, month, tuple(p for p in paragraphs if p))


# ---------------------------------------------------------------- published text against today's figures

_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|(?<![\w.,])\d+(?:\.\d+)?%?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z*\-])")


def _numbers(text: str) -> set[float]:
    return {float(n.rstrip("%").replace(",", "")) for n in _NUMBER.findall(text)}


def revised_cells(revisions: pd.DataFrame) -> pd.DataFrame:
    """revisions (ref, period, old_value, new_value, in vintage order) -> one row per cell: its figure now and
    every figure it had before."""
    if revisions is None or revisions.empty:
        return pd.DataFrame(columns=["ref", "period", "current", "earlier"])
    rows = []
    for (ref, period), g in revisions.groupby(["ref", "period"], sort=True):
        current = float(g["new_value"].iloc[-1])
        earlier = {float(x) for x in g["old_value"]} | {float(x) for x in g["new_value"].iloc[:-1]}
        rows.append({"ref": ref, "period": period, "current": current, "earlier": earlier - {current}})
    return pd.DataFrame(rows)


def stale_sentences(text: str, cells: pd.DataFrame, refs: list[str], units: dict[str, str]) -> list[tuple[str, str]]:
    """Sentences of published commentary that quote a figure since revised: (sentence, 'this sentence quotes
    1,265; the figure is now 1,318 (FD1, Sep-23)'). cells: revised_cells() of the figures in view."""
    out = []
    if cells is None or cells.empty:
        return out
    for sentence in _SENTENCE.split(text.strip()):
        named = [r for r in refs if re.search(rf"\b{re.escape(r)}\b", sentence)]
        if not named:
            continue
        quoted = _numbers(sentence)
        for _, c in cells[cells["ref"].isin(named)].iterrows():
            old = sorted(c["earlier"] & quoted)
            if old and c["current"] not in quoted:
                unit = units.get(c["ref"], "count")
                out.append(
                    (
                        sentence,
                        f"this sentence quotes {fmt_value(old[0], unit)}; the figure is now "
                        f"{fmt_value(c['current'], unit)} ({c['ref']}, {label(c['period'])})",
                    )
                )
    return out
