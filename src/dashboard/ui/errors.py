"""The error boundary around every page: a fault in a page shows one sentence with a short reference, and the
full trace goes to the server log under that reference, so a viewer (or the panel's projector) never sees a
traceback and whoever runs the server can still find out what happened."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import streamlit as st
from streamlit.logger import get_logger
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from .data import StoreUnavailable

_log = get_logger("dashboard.errors")  # Streamlit's handler: the trace lands in the server's own log


def message(reference: str) -> str:
    return (
        f"This part of the dashboard could not be shown because of a fault on the server (reference {reference}); "
        "try again, and if it happens again give the reference to the dashboard's administrator."
    )


def boundary(run: Callable[[], object], where: str = "") -> None:
    """Run a page. st.rerun, st.switch_page and st.stop pass through untouched (they are how pages navigate)."""
    try:
        run()
    except (ScriptControlException, StoreUnavailable):
        raise  # StoreUnavailable is already one sentence (what, which file, what to do): app.py shows it
    except Exception:
        reference = secrets.token_hex(3)
        _log.exception("page %s failed, reference %s", where or "?", reference)
        st.error(message(reference), icon="⚠")
