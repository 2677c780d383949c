"""Every page of the app, one row each: the router (app.py), the page files in the top-level pages/ folder, the
sign-in gate, the tests and the benchmarks all read this list. A new page is its module in dashboard.ui, one row
here and its two-line file pages/<url_path>.py. No streamlit here: the benchmarks read it without starting one."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

HOME = "home"  # the default page's address ("/" serves it); the overview also answers /overview


@dataclass(frozen=True)
class PageRow:
    key: str  # the page's one name in code and tests
    title: str
    url_path: str  # its address; its file is pages/<url_path>.py
    section: str  # the sidebar's heading it is listed under
    body: str  # "module:function" in dashboard.ui that draws it
    args: tuple = ()
    icon: str = ""
    offered_to: str = ""  # "": every reader; "writers" or "admins": routing.offered decides, others get a refusal
    refusal: tuple[str, str] = ("", "")  # (what the page does, who it is for): said to a role it is not offered to

    @property
    def file(self) -> str:
        return f"pages/{self.url_path}.py"

    def draw(self) -> None:
        module, function = self.body.split(":")
        getattr(importlib.import_module(f"dashboard.ui.{module}"), function)(*self.args)


def _area(key: str, title: str, url_path: str) -> PageRow:
    return PageRow(key, title, url_path, "Service areas", "area:area", (key,))


PAGES: tuple[PageRow, ...] = (
    PageRow("overview", "Overview", "overview", "Dashboard", "overview:overview", icon=":material/dashboard:"),
    _area("front_door", "Front Door", "front-door"),
    _area("early_help", "Early Help", "early-help"),
    _area("cin_cp", "Child in Need & Protection", "child-in-need"),
    _area("cared_for", "Cared For", "cared-for"),
    _area("safeguarding", "Safeguarding", "safeguarding"),
    _area("workforce", "Workforce", "workforce"),
    PageRow(
        "improvement_plan",
        "Improvement plan",
        "improvement-plan",
        "More",
        "plan_view:improvement_plan",
        icon=":material/flag:",
    ),
    PageRow("weekly", "Weekly (Brilliant at the Basics)", "weekly", "More", "weekly:weekly"),
    PageRow("indicator", "Indicator detail", "indicator", "More", "indicator:indicator"),
    PageRow("revisions", "Revisions", "revisions", "Data", "revisions:revisions", icon=":material/history:"),
    PageRow(
        "data_quality",
        "Data quality",
        "data-quality",
        "Data",
        "data_quality:data_quality",
        icon=":material/fact_check:",
    ),
    PageRow(
        "printed",
        "Printed vs calculated RAG",
        "printed-vs-calculated",
        "Data",
        "printed_ratings:printed_vs_calculated",
        icon=":material/compare:",
    ),
    PageRow(
        "computed",
        "Computed vs loaded",
        "computed-vs-loaded",
        "Data",
        "computed:computed_vs_loaded",
        icon=":material/calculate:",
    ),
    PageRow(
        "load",
        "Load figures and commentary",
        "load",
        "Data",
        "admin:load_page",
        icon=":material/upload:",
        offered_to="writers",
        refusal=("Loading figures and commentary", "publishers, area editors and admins"),
    ),
    PageRow(
        "audit",
        "Audit trail",
        "audit",
        "Data",
        "admin:audit_trail",
        icon=":material/policy:",
        offered_to="admins",
        refusal=("The audit trail", "admins"),
    ),
    PageRow("about", "About the data", "about", "Data", "about:about"),
)

BY_KEY = {row.key: row for row in PAGES}
BY_URL = {row.url_path: row for row in PAGES}
PAGE_PATHS = {row.key: row.file for row in PAGES}  # key -> file, as st.switch_page and AppTest take it


def sections() -> dict[str, list[PageRow]]:
    """The rows under their sidebar headings, in the list's order."""
    out: dict[str, list[PageRow]] = {}
    for row in PAGES:
        out.setdefault(row.section, []).append(row)
    return out


def url_paths() -> set[str]:
    """Every address a page answers, the default's included."""
    return {row.url_path for row in PAGES} | {HOME}
