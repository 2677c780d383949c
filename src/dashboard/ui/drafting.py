"""The area page's drafted commentary: the month told from the figures, beside what was published, for the
head of service to edit and publish. Publishing is the same commentary write as the admin page's
(admin.publish_commentary: the area's permission re-checked in the callback, journaled as a new vintage);
a draft never replaces published commentary by itself."""

from __future__ import annotations

import streamlit as st

from ..auth import access
from ..words.periods import long_label
from ..writes import commentary
from . import admin, components, data, signin
from .context import Context


def section(ctx: Context, area: str) -> None:
    result = st.session_state.pop(f"_draft_result_{area}", None)  # shown even if the role has since gone
    if result:
        (st.success if result[0] == "ok" else st.error)(result[1])
    drafted = data.draft(ctx.month, ctx.vintage, area)
    with st.expander(f"Draft commentary from the figures, {long_label(ctx.month)} (not published)"):
        st.caption(
            "Written from this month's figures only: off-target indicators in triage order, the largest "
            "movers, SPC signals, comparators and revisions since the last pack. The same figures always give "
            "the same words. The refs each sentence draws on are listed at the end."
        )
        components.markdown_text(drafted.markdown())
        if ctx.vintage != "latest":
            st.caption("Viewing an earlier vintage: drafts can be published only from the latest figures.")
            return
        if not signin.may(access.COMMENTARY, area, data.authority()):
            st.caption(
                "Publishing it as this area's commentary needs this area's editor role"
                + ("" if signin.auth_configured() else ": unlock *Load figures and commentary* first")
                + "."
            )
            return
        key = f"draft_{area}_{ctx.month:%Y-%m}"
        with st.form(f"form_{key}"):
            st.text_area(
                "Edit before publishing (Markdown)",
                value=drafted.markdown(),
                height=260,
                max_chars=commentary.MAX_CHARS,
                key=key,
            )
            st.form_submit_button(
                "Publish as this area's commentary", type="primary", on_click=_publish, args=(area, ctx.month, key)
            )


def _publish(area: str, month, key: str) -> None:
    admin.publish_commentary(
        area,
        month,
        st.session_state.get(key, ""),
        "",  # the signed-in user is the author
        f"_draft_result_{area}",
        f"it is now this area's commentary for {long_label(month)}.",
        verb="Published",
        drafted=True,
    )
