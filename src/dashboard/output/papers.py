"""The month's papers, gathered: one Pack (scorecard, areas, commentary, figures for charts) that every format
writes from, and what they share (the title, the RAG counts, the exceptions table, text made safe for
spreadsheets). No streamlit here: the CLI and the app's download buttons build the same Pack."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .. import service
from ..engine import scorecard
from ..engine.scorecard import exceptions as scorecard_exceptions
from ..engine.scorecard import rag_counts
from ..store import ReadOnlyStore
from ..words.formatting import rag_label, shown
from ..words.periods import long_label
from ..words.vocabulary import RAG_TINT, VARIATION_LABEL, service_areas, vintage_label
from . import panel
from .export_csv import neutralise  # noqa: F401  (the papers' one rule for text a spreadsheet would run)

# Fills match the app's RAG tints; the word is always in the cell, so a black-and-white print still reads.
RAG_FILL = {code: tint.lstrip("#").upper() for code, tint in RAG_TINT.items()}  # XlsxWriter and fpdf2 take hex


@dataclass
class Pack:
    """Everything one month's papers need, already filtered the way the reader asked."""

    authority_name: str
    month: dt.date
    vintage_label: str
    scorecard: pd.DataFrame
    areas: pd.DataFrame  # area, title, short_title, head_of_service, head_role, sort_order (service areas only)
    years: dict[str, str]
    commentary: dict[str, str] = field(default_factory=dict)
    observations: pd.DataFrame = field(default_factory=pd.DataFrame)  # ref, period, value (for charts)
    revised: set = field(default_factory=set)  # (ref, period)
    filters_note: str = ""

    _by_area: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def area_rows(self, area: str) -> pd.DataFrame:
        if not self._by_area and not self.scorecard.empty:  # split once: a mask per area copies every column
            self._by_area.update(dict(iter(self.scorecard.groupby("area", sort=False))))
        return self._by_area.get(area, self.scorecard.iloc[0:0])

    def exceptions(self) -> pd.DataFrame:
        return scorecard_exceptions(self.scorecard)


def gather(
    reader: ReadOnlyStore,
    month: dt.date,
    vintage: str = "latest",
    areas: list[str] | None = None,
    series: bool = True,
    authority: str | None = None,
) -> Pack:
    """A Pack straight from the store (the CLI's path; the app builds one from its cached frames), for the council
    named (the app's council in view), else the deployment's own. series=False leaves out what only charts need
    (each indicator's figures and revised months): the tables never read them."""
    authority = authority or service.default_authority(reader)
    auth = reader.table("authorities").set_index("authority")
    inputs = service.inputs(reader, vintage, authority)
    sc = scorecard.build(inputs, month, areas)
    area_meta = reader.table("areas")
    area_meta = service_areas(area_meta)
    if areas:
        area_meta = area_meta[area_meta["area"].isin(areas)]
    commentary = {}
    for a in area_meta["area"]:
        c = reader.commentary_as_of(vintage, authority, a, month)
        if not c.empty:
            commentary[a] = c.iloc[0]["text"]
    obs, revised = pd.DataFrame(), set()
    if series:  # the engine's own read of the vintage, to the month: the figures the scorecard was judged on
        obs = inputs.observations[inputs.observations["period"] <= month].reset_index(drop=True)
        revised = set(zip(inputs.revised["ref"], inputs.revised["period"]))
    return Pack(
        authority_name=str(auth.loc[authority, "name"]),
        month=month,
        vintage_label=vintage_label(reader.table("vintages"), vintage),  # the pages' words: the figures' vintage
        scorecard=sc,
        areas=area_meta,
        years=panel.comparator_years(sc),
        commentary=commentary,
        observations=obs,
        revised=revised,
    )


def title(pack: Pack) -> str:
    scorecard = "Children's Services: Performance and Quality Assurance Scorecard"
    return f"{pack.authority_name} {scorecard}, {long_label(pack.month)}"


def rag_count_table(pack: Pack) -> pd.DataFrame:
    return rag_counts(pack.scorecard, pack.areas).drop(columns="area")


def exceptions_table(pack: Pack) -> pd.DataFrame:
    ex = pack.exceptions()
    short = pack.areas.set_index("area")["short_title"]
    return pd.DataFrame(
        {
            "Ref": ex["ref"],
            "Indicator": ex["indicator"],
            "Area": ex["area"].map(short),
            "Current": [shown(v, s, u) for v, s, u in zip(ex["value"], ex["status"], ex["unit"])],
            "Target": ex["target_text"].fillna(""),
            "RAG": ex["rag"].map(rag_label),
            "Direction": [panel.direction_label(a, w) for a, w in zip(ex["direction_arrow"], ex["direction"])],
            "Why": [
                reason if r != "-" else f"{reason}; SPC: {VARIATION_LABEL.get(v, v)} this month"
                for r, reason, v in zip(ex["rag"], ex["rag_reason"], ex["spc_variation"])
            ],
        }
    )
