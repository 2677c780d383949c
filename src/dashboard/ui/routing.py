"""Every page body runs through the router in app.py; the links between pages and the addresses they keep."""

from __future__ import annotations

import functools

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from .. import access
from ..formatting import plain


def routed(body):
    """Streamlit treats a top-level pages/ folder as old-style multipage until a run calls st.navigation. If the
    first request after a restart is a deep link such as /about, it runs pages/about.py on its own: no router,
    no sidebar, no page config. Switch that mode off and rerun the same page through app.py. (Writes in the
    app happen in button callbacks, which run before this and are never lost to the rerun.)"""

    @functools.wraps(body)
    def run(*args, **kwargs):
        if PagesManager.uses_pages_directory:
            PagesManager.uses_pages_directory = False
            st.rerun()
        return body(*args, **kwargs)

    return run


# ---------------------------------------------------------------- links between pages


def serving() -> bool:
    """Whether a page is being served. A process that runs app.py bare (a paper-chart worker started by spawn)
    gets Page objects without their paths or titles, and must pass through without touching them."""
    return get_script_run_ctx() is not None


def nav_links(sections: dict[str, list], params: dict[str, str]) -> None:
    """The sidebar's page list as links that carry the view (month, vintage) in their own address. Streamlit's
    own list drops the address's parameters on a page change, so the page wrote them back: three browser-history
    entries a link. A link that already carries them is one entry, and its address opens the same view in a new
    tab. Hidden pages (the overview's twin, refusals) answer typed addresses only."""
    if not serving():
        return
    st.markdown("## Pages")
    for title, pages in sections.items():
        shown = [p for p in pages if p.visibility != "hidden"]
        if not shown:
            continue
        st.caption(title)
        for page in shown:
            st.page_link(page, label=page.title, icon=page.icon or None, query_params=params or None)


def drop_stray_ref(page) -> None:
    """`ref` belongs to the indicator page's address; anywhere else it is left over (Back onto the entry that
    opening an indicator passed through), so take it out."""
    if serving() and "ref" in st.query_params and page.url_path != "indicator":
        del st.query_params["ref"]


def an(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def refusal(title: str, url_path: str, what: str, for_whom: str, identity: access.Identity) -> st.Page:
    """A page the reader's role does not offer, answering its address with why rather than another page."""

    def body() -> None:
        st.title("Not open to your role")
        if identity.signed_in:
            why = f"you are signed in as {an(access.ROLE_WORD[identity.role])} ({identity.who})"
        else:
            why = "this session has not unlocked the admin (on Load figures and commentary)"
        st.warning(f"{what} is for {for_whom}; {plain(why)}.", icon="🔒")
        st.page_link("pages/overview.py", label="Go to the overview", icon=":material/dashboard:", query_params=None)

    return st.Page(body, title=title, url_path=url_path, visibility="hidden")
