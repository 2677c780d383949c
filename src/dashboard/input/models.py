"""Pydantic models for every row that enters the store. Validation lives here, not in SQL."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ..words.periods import parse_period
from ..words.vocabulary import comparator_codes


class Unit(str, Enum):
    count = "count"
    percent = "percent"
    rate_per_10k = "rate_per_10k"
    days = "days"
    caseload_average = "caseload_average"


class Polarity(str, Enum):
    higher_better = "higher_better"
    lower_better = "lower_better"
    neutral = "neutral"
    within_band = "within_band"


class Frequency(str, Enum):
    month = "month"
    quarter = "quarter"
    year_to_date = "year_to_date"
    rolling_12_months = "rolling_12_months"
    week = "week"


class Status(str, Enum):
    value = "value"
    not_yet_available = "not_yet_available"
    not_applicable = "not_applicable"
    missing = "missing"


STATUS_SPELLINGS = {  # what a file may write for a status (any case) -> the status
    "value": Status.value,
    "not yet available": Status.not_yet_available,
    "not_yet_available": Status.not_yet_available,
    "nya": Status.not_yet_available,
    "n/a": Status.not_applicable,
    "not applicable": Status.not_applicable,
    "not_applicable": Status.not_applicable,
    "missing": Status.missing,
}


# A month printed as "Sep-23" or "2023-09" -> 2023-09-01; a blank CSV cell -> None (never zero).
Month = Annotated[dt.date, BeforeValidator(parse_period)]
BlankFloat = Annotated[float | None, BeforeValidator(lambda v: None if v == "" else v)]
BlankInt = Annotated[int | None, BeforeValidator(lambda v: None if v == "" else v)]
BlankMonth = Annotated[dt.date | None, BeforeValidator(lambda v: None if v in ("", None) else parse_period(v))]


def known_comparator(code: str) -> str:
    """A code in the comparator registry, read when called (a comparator added at run time is known)."""
    if code not in comparator_codes():
        raise ValueError(f"{code!r} is not a comparator ({', '.join(comparator_codes())})")
    return code


# A type, not a field validator, so the column-wise reader (columnar.field_kinds) can check the column at once.
ComparatorCode = Annotated[str, AfterValidator(known_comparator)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class Area(_Row):
    area: str
    title: str
    short_title: str
    ref_prefix: str
    head_of_service: str = ""
    head_role: str = ""
    head_source: str = ""
    sort_order: int


class Authority(_Row):
    authority: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str
    population_0_17: int = Field(gt=0)
    population_note: str = ""
    la_code: str = Field(default="", pattern=r"^(\d{3})?$")  # DfE's old three-digit code: the national files' key
    # The region it may share monthly figures with (blank: from la_code, so Greater Manchester's councils are "gm")
    region: str = Field(default="", pattern=r"^([a-z0-9_-]+)?$")


class Indicator(_Row):
    ref: str = Field(pattern=r"^[A-Z]{2,3}\d+[a-z]?$")
    area: str
    name: str = Field(min_length=3)
    unit: Unit
    polarity: Polarity
    frequency: Frequency
    count_type: str = ""
    amber_tolerance: float | None = Field(default=None, ge=0)
    headline: bool = False
    definition_note: str = ""
    sort_order: int
    # SPC choices (docs/spc.md): months from which limits are recalculated (a definition change), why, and a
    # fixed baseline (limits from the first N >= 12 points). Edited here; a rebuild keeps every journal entry.
    spc_rebase: str = ""
    spc_rebase_note: str = ""
    spc_baseline_points: BlankInt = None

    @field_validator("spc_rebase")
    @classmethod
    def _rebase_months(cls, v: str) -> str:
        months = [m.strip() for m in v.split(";") if m.strip()]
        for m in months:
            parse_period(m)  # raises with the month it cannot read
        return ";".join(m for m in months)

    @field_validator("spc_baseline_points")
    @classmethod
    def _baseline(cls, v: int | None) -> int | None:
        if v is not None and v < 12:
            raise ValueError("a fixed SPC baseline needs at least 12 points")
        return v

    @field_validator("amber_tolerance", mode="before")
    @classmethod
    def _blank_is_default(cls, v: object) -> object:
        return None if v in ("", None) else v

    @field_validator("count_type")
    @classmethod
    def _count_type(cls, v: str) -> str:
        if v not in ("", "flow", "stock"):
            raise ValueError("count_type must be flow, stock or blank")
        return v


class Vintage(_Row):
    vintage: str = Field(pattern=r"^[a-z0-9-]+$")
    label: str
    published: dt.date
    source_file: str
    kind: str = Field(
        pattern=r"^(pack|upload|commentary|plan|targets|comparators|national|records|records-withdrawal|computed|council|sharing)$"
    )
    as_of_note: str = ""
    loaded_by: str = ""  # who wrote it (the sign-in email, or cli (login)); blank for the published packs


class _Cell(_Row):
    """One cell: a value with its status. A blank is 'missing', never zero."""

    authority: str
    ref: str
    vintage: str
    value: BlankFloat = None
    status: Status
    note: str = ""
    source_file: str = ""
    source_line: BlankInt = None

    @model_validator(mode="after")
    def _value_matches_status(self):
        if self.status == Status.value.value and self.value is None:
            raise ValueError("status 'value' needs a number")
        if self.status != Status.value.value and self.value is not None:
            raise ValueError(f"status {self.status!r} cannot carry a number")
        return self

    @staticmethod
    def columnar_rule(frame):
        """_value_matches_status on whole columns (dashboard.input.columnar): True where the row passes."""
        return (frame["status"] == Status.value.value).to_numpy() == frame["value"].notna().to_numpy()


class Observation(_Cell):
    period: Month


class WeeklyObservation(_Cell):
    week_ending: dt.date


class Baseline(_Row):
    authority: str
    ref: str
    vintage: str
    basis: str
    value: BlankFloat = None
    status: Status
    note: str = ""
    source_file: str
    source_line: int


class TargetRow(_Row):
    authority: str
    ref: str
    vintage: str
    target_text: str
    source_file: str
    source_line: int
    applies_from: BlankMonth = None  # None: every month (as the packs print it)
    tolerance: BlankFloat = Field(default=None, ge=0)


class Comparator(_Row):
    authority: str
    ref: str
    vintage: str
    comparator: ComparatorCode
    value: float
    year: str = Field(default="", pattern=r"^(\d{4}/\d{2}|\d{4})?$")
    source_file: str
    source_line: int
    source: str = ""  # where the figure was published, e.g. "DfE Children in need 2023"


class PrintedRating(_Row):
    authority: str
    ref: str
    vintage: str
    period: Month
    rag: str = Field(default="", pattern=r"^[RAG]?$")
    direction: str = ""
    source_file: str
    source_line: int


class IndicatorName(_Row):
    ref: str
    vintage: str
    name_as_printed: str
    name_damaged: bool
    source_file: str
    source_line: int


class Commentary(_Row):
    authority: str
    area: str
    period: Month
    vintage: str
    text: str
    source_file: str = ""
    source_line: BlankInt = None
    source_last_line: BlankInt = None


class RegionalSharing(_Row):
    """An admin's choice to share (or stop sharing) the council's monthly figures with its region."""

    authority: str
    region: str = Field(pattern=r"^[a-z0-9_-]+$")
    shared: bool
    vintage: str
    note: str = ""


BRAG_WORDS = ("Blue", "Red", "Amber", "Green")
Brag = Annotated[str, BeforeValidator(lambda v: str(v).strip().title() if v is not None else "")]


class PlanPriority(_Row):
    priority: str = Field(pattern=r"^[1-9]$")
    name: str = Field(min_length=3)
    aim: str
    lead: str
    source_file: str
    source_line: int


class PlanAction(_Row):
    """One improvement-plan action as a pack printed it. BRAG is blank where the pack printed none."""

    authority: str
    vintage: str
    action_ref: str = Field(pattern=r"^[1-9]\.\d{1,2}$")
    priority: str = Field(pattern=r"^[1-9]$")
    section: str = ""
    action: str = Field(min_length=3)
    how_we_will_know: str = ""
    lead: str = ""
    start_month: Month | None = None
    end_month: Month | None = None
    children_will_say: str = ""
    action_brag: Brag = ""
    impact_brag: Brag = ""
    commentary: str = ""
    repair_note: str = ""
    source_file: str = ""
    source_line: BlankInt = None

    @field_validator("start_month", "end_month", mode="before")
    @classmethod
    def _blank_date(cls, v: object) -> object:
        return None if v in ("", None) else v

    @field_validator("action_brag", "impact_brag")
    @classmethod
    def _brag(cls, v: str) -> str:
        if v not in ("",) + BRAG_WORDS:
            raise ValueError(f"BRAG must be Blue, Red, Amber, Green or blank, not {v!r}")
        return v

    @model_validator(mode="after")
    def _ref_in_priority(self):
        if self.action_ref.split(".")[0] != self.priority:
            raise ValueError(f"action {self.action_ref} is not in priority {self.priority}")
        if self.start_month and self.end_month and self.end_month < self.start_month:
            raise ValueError(f"action {self.action_ref} ends ({self.end_month}) before it starts ({self.start_month})")
        return self


class PlanMeasure(_Row):
    """Appendix B: a focus area's measure, its data source and the scorecard refs it names."""

    authority: str
    vintage: str
    focus_area: str = Field(pattern=r"^FA\d{1,2}$")
    focus_area_name: str
    action_refs: str
    measure: str
    data_source: str = ""
    status: str = Field(pattern=r"^(scorecard|to be developed|other source|not given)$")
    refs: str = ""
    source_file: str
    source_line: int


# ---------------------------------------------------------------- national statistics (DfE, EES layout)

NATIONAL_STATUSES = ("value", "suppressed", "not_available", "not_applicable", "rounds_to_zero", "low_reliability")


class NationalMeasure(_Row):
    """A published measure and how it is read from an EES file (see dashboard.writes.national)."""

    measure: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    file: str  # the publication table it comes from, as DfE names the file
    release: str  # the statistical release, for provenance
    numerator: str
    numerator_match: str = ""
    denominator: str
    denominator_match: str = ""
    published: str = ""
    scale: float = Field(gt=0)
    transform: str = Field(default="", pattern=r"^(complement)?$")
    unit: Unit
    polarity: Polarity
    period: str = Field(pattern=r"^(march|september)$")
    note: str = ""


class NationalMapRow(_Row):
    """A scorecard ref and the published measure it is compared on, or why none is."""

    ref: str
    measure: str = ""
    reason: str = ""

    @model_validator(mode="after")
    def _measure_or_reason(self):
        if bool(self.measure) == bool(self.reason):
            raise ValueError("give a measure or the reason there is none, not both")
        return self


class NationalValue(_Row):
    measure: str
    year: str = Field(pattern=r"^(\d{4}/\d{2}|Sep \d{4})$")
    year_end: dt.date
    level: str = Field(pattern=r"^(national|regional|local)$")
    area_code: str = Field(pattern=r"^E\d{8}( / E\d{8})*$")  # councils reporting together: "E06000061 / E06000062"
    la_code: str = Field(default="", pattern=r"^(\d{3}( / \d{3})*)?$")
    area_name: str
    region_code: str = ""
    value: BlankFloat = None
    status: str = Field(pattern="^(" + "|".join(NATIONAL_STATUSES) + ")$")
    numerator: BlankFloat = None
    denominator: BlankFloat = None
    vintage: str
    source_file: str
    source_line: int

    @model_validator(mode="after")
    def _value_matches_status(self):
        if (self.status == "value") != (self.value is not None):
            raise ValueError("a figure needs status 'value', and a symbol (c, x, z, low, u) no figure")
        if self.level == "local" and not self.la_code:
            raise ValueError("a local authority row needs its three-digit code")
        return self


class StatNeighbour(_Row):
    grouping: str = Field(pattern=r"^(2021|2025)$")
    la_code: str = Field(pattern=r"^\d{3}$")
    la_name: str
    rank: int = Field(ge=1, le=10)
    neighbour_code: str = Field(pattern=r"^\d{3}$")
    closeness: str = ""
    source_file: str
    source_line: int
