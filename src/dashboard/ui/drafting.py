"""The area page's drafted commentary: the month told from the figures, beside what was published, for the
head of service to edit and publish. Publishing is a write like any other (admin unlocked, re-checked in the
callback, journaled as a new vintage); a draft never replaces published commentary by itself."""

from __future__ import annotations

import streamlit as st

from .. import loader
from ..periods import long_label
from . import components, data
from .context import Context
from .trust import APP_USER, allowed, attempt_write


def section(ctx: Context, area: str) -> None:
    drafted = data.draft(ctx.month, ctx.vintage, area)
    with st.expander(f"Draft commentary from the figures, {long_label(ctx.month)} (not published)"):
        st.caption("Written from this month's figures only: off-target indicators in triage order, the largest "
                   "movers, SPC signals, comparators and revisions since the last pack. The same figures always give "
                   "the same words. The refs each sentence draws on are listed at the end.")
        components.markdown_text(drafted.markdown())
        if ctx.vintage != "latest":
            st.caption("Viewing an earlier vintage: drafts can be published only from the latest figures.")
            return
        if not allowed():
            st.caption("To edit and publish it as this area's commentary, unlock *Load figures (admin)* first.")
            return
        key = f"draft_{area}_{ctx.month:%Y-%m}"
        with st.form(f"form_{key}"):
            st.text_area("Edit before publishing (Markdown)", value=drafted.markdown(), height=260,
                         max_chars=loader.MAX_COMMENTARY_CHARS, key=key)
            st.form_submit_button("Publish as this area's commentary", type="primary", on_click=_publish,
                                  args=(area, ctx.month, key))
    result = st.session_state.pop(f"_draft_result_{area}", None)
    if result:
        (st.success if result[0] == "ok" else st.error)(result[1])


def _publish(area: str, month, key: str) -> None:
    if not allowed():  # checked again at the moment of writing, not only when the form was drawn
        st.session_state[f"_draft_result_{area}"] = ("error", "Admin is locked: unlock on Load figures (admin).")
        return
    vintage, refused = attempt_write(lambda: loader.publish_commentary(
        data.db_path(), area, month, st.session_state.get(key, ""), author="drafted from the figures, edited",
        user=APP_USER))
    if refused:
        st.session_state[f"_draft_result_{area}"] = ("error", f"Not published: {refused}")
        return
    st.session_state[f"_draft_result_{area}"] = ("ok", f"Published as vintage {vintage}: it is now this area's "
                                                       f"commentary for {long_label(month)}.")
