"""Router: sign-in gate, shared sidebar (month, vintage, filters), then the chosen page."""

import streamlit as st

from dashboard import access
from dashboard.store import StoreUnavailable
from dashboard.ui import data, errors, overview, presenter, routing, signin
from dashboard.ui.components import PAGE_PATHS, page_style
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
    P = PAGE_PATHS
    data_pages = [
        st.Page(P["revisions"], title="Revisions", icon=":material/history:", url_path="revisions"),
        st.Page(P["data_quality"], title="Data quality", icon=":material/fact_check:", url_path="data-quality"),
        st.Page(
            P["printed"], title="Printed vs calculated RAG", icon=":material/compare:", url_path="printed-vs-calculated"
        ),
        st.Page(P["computed"], title="Computed vs loaded", icon=":material/calculate:", url_path="computed-vs-loaded"),
    ]
    # Pages are offered by role; every write still re-checks the role in its own callback. A page the role does
    # not offer still answers its address, saying why.
    if not identity.signed_in or access.permits(identity, access.PUBLISH) or identity.areas or identity.role == "admin":
        data_pages.append(
            st.Page(P["load"], title="Load figures and commentary", icon=":material/upload:", url_path="load")
        )
    else:
        data_pages.append(
            routing.refusal(
                "Load figures and commentary",
                "load",
                "Loading figures and commentary",
                "publishers, area editors and admins",
                identity,
            )
        )
    if access.permits(identity, access.MANAGE):
        data_pages.append(st.Page(P["audit"], title="Audit trail", icon=":material/policy:", url_path="audit"))
    else:
        data_pages.append(routing.refusal("Audit trail", "audit", "The audit trail", "admins", identity))
    data_pages.append(st.Page(P["about"], title="About the data", url_path="about"))
    pages = {
        # The default page is served at "/"; the hidden twin answers a typed or shared /overview link.
        "Dashboard": [
            st.Page(P["overview"], title="Overview", icon=":material/dashboard:", default=True, url_path="home"),
            st.Page(overview.overview, title="Overview", url_path="overview", visibility="hidden"),
        ],
        "Service areas": [
            st.Page(P["front_door"], title="Front Door", url_path="front-door"),
            st.Page(P["early_help"], title="Early Help", url_path="early-help"),
            st.Page(P["cin_cp"], title="Child in Need & Protection", url_path="child-in-need"),
            st.Page(P["cared_for"], title="Cared For", url_path="cared-for"),
            st.Page(P["safeguarding"], title="Safeguarding", url_path="safeguarding"),
            st.Page(P["workforce"], title="Workforce", url_path="workforce"),
        ],
        "More": [
            st.Page(P["plan"], title="Improvement plan", icon=":material/flag:", url_path="improvement-plan"),
            st.Page(P["weekly"], title="Weekly (Brilliant at the Basics)", url_path="weekly"),
            st.Page(P["indicator"], title="Indicator detail", url_path="indicator"),
        ],
        "Data": data_pages,
    }
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
        errors.boundary(page.run, page.url_path)
        data.warm_views()  # after the page: the first view is never kept waiting for the warm-up
except StoreUnavailable as exc:  # a missing or damaged database: say so in one sentence, not a traceback
    st.error(str(exc), icon="⚠")
