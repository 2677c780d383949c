"""Router: sign-in gate, shared sidebar (month, vintage, filters), then the chosen page."""

import streamlit as st

from dashboard.store import StoreUnavailable
from dashboard.ui import data, errors, presenter, routing, signin
from dashboard.ui.components import page_style
from dashboard.ui.context import sidebar

present = st.query_params.get("present") == "1"
st.set_page_config(
    page_title="Children's Services performance · Tameside",
    page_icon=":material/monitoring:",
    layout="wide",
    initial_sidebar_state="collapsed" if present else "auto",
)
signin.listen_for_failed_sign_in()

try:
    identity = signin.gate()  # a stranger sees the sign-in page, someone with no role the ask-for-access page
    pages = routing.router_pages(identity)  # every page from ui.page_registry, each offered by role or refused
    # Streamlit's own page list is hidden: the sidebar draws links that carry the view (routing.nav_links).
    page = st.navigation(pages, position="hidden")
    signin.return_after_sign_in(page, pages)
    routing.drop_stray_ref(page)
    if present:  # the projector view: no sidebar, no admin, one exception per screen
        errors.boundary(presenter.run, "presenter")  # a fault in a page: one sentence and a reference
    else:
        page_style()  # layout for wide and narrow windows (CSS), and the sidebar collapsed below 1000 px
        st.session_state["_context"] = sidebar(pages)
        with st.sidebar:
            signin.account_box(identity)
        with routing.through_router():
            errors.boundary(page.run, page.url_path)
        data.warm_views()  # after the page: the first view is never kept waiting for the warm-up
except StoreUnavailable as exc:  # a missing or damaged database: say so in one sentence, not a traceback
    st.error(str(exc), icon="⚠")
