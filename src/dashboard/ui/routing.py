"""Every page body runs through the router in app.py."""

from __future__ import annotations

import functools

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


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
