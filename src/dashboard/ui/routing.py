"""Every page body runs through the router in app.py; the links between pages and the addresses they keep."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ..auth import access
from ..words.formatting import plain
from .page_registry import BY_KEY, BY_URL, HOME, PAGES, PageRow, sections

_router = threading.local()  # set while app.py runs the chosen page, in the script's own thread


@contextlib.contextmanager
def through_router():
    """Around app.py's run of the chosen page: the page files in pages/ draw only inside it."""
    _router.active = True
    try:
        yield
    finally:
        _router.active = False


def serve(page_file: str) -> None:
    """Draw the page a file in the top-level pages/ folder stands for (the file is named as its address).

    Streamlit runs a top-level pages/ folder as old-style pages until some run calls st.navigation, which by its
    documentation switches the app to the pages st.navigation names and ignores the folder from then on. So a
    deep link that is a fresh server's very first request runs a page file alone: no router, no sidebar, no page
    config. Then call st.navigation (the public switch) and rerun the same address through app.py. Writes happen
    in button callbacks, which run before this and are never lost to the rerun."""
    row = BY_URL[Path(page_file).stem]
    if getattr(_router, "active", False):
        row.draw()
        return
    st.navigation(_plain_pages(), position="hidden")
    st.rerun()


def _plain_pages() -> list:
    """Every page at its address, no role applied: enough for Streamlit to resolve the address asked for."""
    home = BY_KEY["overview"]
    return [st.Page(home.file, title=home.title, url_path=HOME, default=True)] + [
        st.Page(row.file, title=row.title, url_path=row.url_path) for row in PAGES
    ]


def offered(row: PageRow, identity: access.Identity) -> bool:
    """Whether the sidebar offers a page to this reader. Every write still re-checks the role in its callback;
    a page not offered still answers its address, saying why (refusal)."""
    if row.offered_to == "writers":
        return (
            not identity.signed_in
            or access.permits(identity, access.PUBLISH)
            or bool(identity.areas)
            or identity.role == "admin"
        )
    if row.offered_to == "admins":
        return access.permits(identity, access.MANAGE)
    return True


def router_pages(identity: access.Identity) -> dict[str, list]:
    """The app's pages under their sidebar headings, for st.navigation: each page the role is offered, else its
    refusal at the same address. The default page is served at "/"; a hidden twin answers /overview."""
    out: dict[str, list] = {}
    for section, rows in sections().items():
        pages = out.setdefault(section, [])
        for row in rows:
            if row.key == "overview":
                pages.append(st.Page(row.file, title=row.title, icon=row.icon or None, default=True, url_path=HOME))
                pages.append(st.Page(row.draw, title=row.title, url_path=row.url_path, visibility="hidden"))
            elif offered(row, identity):
                pages.append(st.Page(row.file, title=row.title, icon=row.icon or None, url_path=row.url_path))
            else:
                pages.append(refusal(row.title, row.url_path, *row.refusal, identity))
    return out


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
        st.page_link(
            BY_KEY["overview"].file, label="Go to the overview", icon=":material/dashboard:", query_params=None
        )

    return st.Page(body, title=title, url_path=url_path, visibility="hidden")
