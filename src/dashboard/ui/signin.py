"""Who is asking: Streamlit's OpenID Connect sign-in (st.login / st.user) when `[auth]` is configured in
secrets.toml, otherwise the embedded demo, where anyone reads and the shared admin secret unlocks writes.

Every write calls `authorise` inside its button callback, so the role is checked on the server at the moment
of writing, from the sign-in cookie and the roles file as they are then; a form drawn earlier grants nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable

import streamlit as st

from ..auth import access
from ..auth.backoff import Backoff
from ..writes import audit
from . import data, routing
from .page_registry import PAGES, url_paths

SECRET_ENV = "DASHBOARD_ADMIN_SECRET"
SECRET_KEY = "admin_secret"  # in .streamlit/secrets.toml; only the demo (no [auth]) uses it


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: the embedded demo
        return False


def _claims() -> dict | None:
    """The signed-in user's ID-token claims, or None when nobody is signed in."""
    if not st.user.is_logged_in:
        return None
    return dict(st.user.to_dict())


def _known_areas() -> set[str]:
    return set(data.table("areas")["area"])


def current() -> access.Identity | None:
    """Who is making this request, worked out afresh. None: sign-in is configured and nobody is signed in.
    Raises access.RolesError if the roles file cannot be used (nobody gets a role from a broken file)."""
    if not auth_configured():
        return access.DEMO_ADMIN if demo_unlocked() else access.DEMO_VIEWER
    return later()()


def later() -> Callable[[], access.Identity | None]:
    """Who is making this request, worked out when called: the claims and the deployment's areas and councils are
    taken now, in the script, and the roles read at the call (a download made on click, off the script's thread)."""
    claims = _claims()
    if claims is None:
        return lambda: None
    known_areas, known_councils = _known_areas(), set(data.table("authorities")["authority"])
    return lambda: access.resolve(access.load_roles(known_areas=known_areas, known_councils=known_councils), claims)


def authorise(
    action: str, area: str | None = None, what: str = "", councils: list[str] | tuple[str, ...] = ()
) -> access.Identity:
    """At the moment of a write: the identity if it may (for every council the write touches), else the refusal is
    audited and access.Refused raised."""
    try:
        identity = current()
    except access.RolesError as exc:
        identity = None
        what = f"{what} (roles file unusable: {exc})"
    allowed = access.permits(identity, action, area)
    # Named only when the role is held, just not for this council (a Tameside publisher loading Bury's figures).
    refused_for = (
        next((c for c in councils if not access.permits(identity, action, area, c)), None) if allowed else None
    )
    if allowed and refused_for is None:
        return identity
    audit.record(
        data.db_path(),
        f"refused: {action}",
        identity.who if identity else "nobody signed in",
        f"{what}{' for ' + area if area else ''}{' for council ' + refused_for if refused_for else ''}",
    )
    raise access.Refused(identity, action, area, council=refused_for)


def may(action: str, area: str | None = None, council: str | None = None) -> bool:
    """For drawing: whether to offer a control. Never a substitute for `authorise` in the write itself."""
    try:
        return access.permits(current(), action, area, council)
    except access.RolesError:
        return False


# ---------------------------------------------------------------- the gate before any page


def gate() -> access.Identity:
    """Sign-in page, no-access page, or the identity to serve. Nothing below this runs for a stranger."""
    if not auth_configured():
        return current()
    try:
        identity = current()
    except access.RolesError as exc:
        st.error(
            f"Access is switched off because the roles cannot be read: {exc}. The performance team's "
            "admin must correct it.",
            icon="⚠",
        )
        st.stop()
    if identity is None:
        _only_page(_sign_in_page, "Sign in")
    if identity.role is None:
        if not st.session_state.get("_no_role_logged"):
            st.session_state["_no_role_logged"] = True
            audit.record(data.db_path(), "sign-in without a role", identity.who, "shown the ask-for-access page")
        _only_page(lambda: _no_access_page(identity), "Ask for access")
    return identity


def _only_page(body, title: str) -> None:
    """Run one page as the whole app, then stop. Registering it with st.navigation matters: without a call to
    st.navigation Streamlit falls back to listing the pages/ folder, and would offer every page by name."""
    # Every page's address leads here too, so a deep link opens the sign-in page rather than "Page not found".
    paths = sorted(row.url_path for row in PAGES)
    pages = [st.Page(body, title=title, url_path="welcome", default=True)]
    pages += [st.Page(body, title=title, url_path=path) for path in paths]
    page = st.navigation(pages, position="hidden")
    if routing.serving():  # the address the sign-in was asked from, to return to
        st.session_state["_asked_path"] = page.url_path
    page.run()
    st.stop()


def _sign_in_page() -> None:
    st.title("Children's Services performance")
    st.markdown("This dashboard holds unpublished performance figures. Sign in with your council account to see it.")
    st.button("Sign in", type="primary", on_click=_sign_in)


def _sign_in() -> None:
    remember_return(st.session_state.get("_asked_path") or "home", st.query_params.to_dict())
    st.login()


# ---------------------------------------------------------------- back to the address asked for, after sign-in

# Streamlit's sign-in callback always returns to "/", in a new session, so the page and view asked for are kept
# here for a few minutes, keyed by the browser, as plain allow-listed strings (never pickled or evaluated). The
# one thing the browser carries across the provider's pages that the app can read is Streamlit's XSRF cookie:
# its token stays the same while its mask changes, so the key is a hash of the unmasked token.
RETURN_SECONDS = 600
RETURN_LIMIT = 5000  # pending sign-ins kept at once; the oldest go first
# Every parameter a page reads from its address: view=breakdown is the overview's drill link, present and slide a
# presenter link sent ahead of a meeting, columns an area's column set.
RETURN_PARAMS = ("ref", "month", "vintage", "view", "council", "present", "slide", "columns")
_VALUE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_returns: dict[str, tuple[float, str, tuple[tuple[str, str], ...]]] = {}
_returns_lock = threading.Lock()


def _browser_key() -> str | None:
    try:
        cookie = st.context.cookies.get("_streamlit_xsrf")
    except Exception:  # no request context (AppTest)
        return None
    parts = (cookie or "").strip("\"'").split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except ValueError:
        return None
    if len(mask) != 4 or not masked:
        return None
    token = bytes(b ^ mask[i % 4] for i, b in enumerate(masked))
    return hashlib.sha256(b"dashboard-return:" + token).hexdigest()


def _page_paths() -> set[str]:
    return url_paths()


def remember_return(path: str, params: dict[str, str]) -> bool:
    """Keep the address a stranger asked for, if it is one of the app's pages, with only the view's parameters
    and only values shaped like them (the page they open checks each against what exists)."""
    key = _browser_key()
    if key is None or path not in _page_paths():
        return False
    kept = tuple((k, str(params[k])) for k in RETURN_PARAMS if k in params and _VALUE.fullmatch(str(params[k])))
    now = time.time()
    with _returns_lock:
        for stale in [k for k, (at, _, _) in _returns.items() if now - at > RETURN_SECONDS]:
            del _returns[stale]
        while len(_returns) >= RETURN_LIMIT:
            del _returns[next(iter(_returns))]
        _returns[key] = (now, path, kept)
    return True


def _take_return() -> tuple[str, dict[str, str]] | None:
    key = _browser_key()
    if key is None:
        return None
    with _returns_lock:
        kept = _returns.pop(key, None)
    if kept is None or time.time() - kept[0] > RETURN_SECONDS:
        return None
    return kept[1], dict(kept[2])


def return_after_sign_in(page, sections: dict[str, list]) -> None:
    """On a session's first signed-in run: if the sign-in started from a deep link and the provider has just
    brought the reader back to the start page, open the page and view they asked for (`sections`: the router's
    pages, so only a page this reader is offered, or told about, can be opened)."""
    if not auth_configured() or not routing.serving() or st.session_state.get("_return_checked"):
        return
    st.session_state["_return_checked"] = True
    back = _take_return()
    if back is None or page.url_path != "" or len(st.query_params):
        return  # nothing asked for, or the reader is already somewhere else
    path, params = back
    target = {p.url_path or "home": p for pages in sections.values() for p in pages}.get(path)
    if target is not None and (path != "home" or params):
        st.switch_page(target, query_params=params)


def _no_access_page(identity: access.Identity) -> None:
    st.title("Children's Services performance")
    st.warning(
        f"You are signed in as {identity.who}, but you have no access to this dashboard yet. Ask your "
        "performance team for access: they add you to the roles file.",
        icon="🔒",
    )
    st.button("Sign out", on_click=st.logout)


def account_box(identity: access.Identity) -> None:
    """In the sidebar: who the server thinks you are, and the way out."""
    if not identity.signed_in:
        return
    st.caption(f"Signed in as {identity.describe(data.area_names())}")
    st.button("Sign out", on_click=st.logout, key="sign_out")


# ---------------------------------------------------------------- failed sign-in, from Streamlit's own callback


class _FailedSignIn(logging.Handler):
    """Streamlit's OAuth callback logs a provider error or failed token exchange and redirects to the start
    page; the app never sees it, so the audit trail listens to that logger."""

    def __init__(self, db_path) -> None:
        super().__init__(level=logging.WARNING)
        self.db_path = db_path

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "authentication" in message.lower() or "token exchange" in message.lower() or "callback" in message.lower():
            audit.record(self.db_path, "sign-in failed", "unknown", message)


def listen_for_failed_sign_in() -> None:
    logger = logging.getLogger("streamlit.web.server.starlette.starlette_auth_routes")
    if not any(isinstance(h, _FailedSignIn) for h in logger.handlers):
        logger.addHandler(_FailedSignIn(data.db_path()))


# ---------------------------------------------------------------- the demo's shared admin secret


def configured_secret() -> str | None:
    """The admin secret from the environment or .streamlit/secrets.toml; None when neither is set."""
    env = os.environ.get(SECRET_ENV, "").strip()
    if env:
        return env
    try:
        value = st.secrets.get(SECRET_KEY)
    except Exception:  # no secrets file at all is the normal case for a viewer deployment
        return None
    return str(value).strip() or None if value else None


def demo_unlocked() -> bool:
    secret = configured_secret()
    return secret is not None and st.session_state.get("_admin_ok") == secret


UNLOCK_BACKOFF = Backoff()  # shared by every session of this server


def _unlock_keys() -> tuple[str, ...]:
    session = st.session_state.setdefault("_unlock_id", secrets.token_hex(8))
    try:
        address = st.context.ip_address or "unknown"
    except Exception:  # no request context (AppTest)
        address = "unknown"
    return (f"session:{session}", f"address:{address}")


def _try_unlock(secret: str) -> None:
    given = st.session_state.get("admin_secret_input", "")
    st.session_state["admin_secret_input"] = ""
    keys = _unlock_keys()
    wait = UNLOCK_BACKOFF.wait(*keys)
    if wait > 0:
        st.session_state["_admin_refused"] = f"Too many wrong secrets: try again in {wait:.0f} seconds."
        return
    if hmac.compare_digest(given.encode(), secret.encode()):
        UNLOCK_BACKOFF.succeeded(*keys)
        st.session_state["_admin_ok"] = secret
    else:
        wait = UNLOCK_BACKOFF.failed(*keys)
        audit.record(data.db_path(), "unlock failed", f"address {keys[1].split(':', 1)[1]}", "wrong admin secret")
        st.session_state["_admin_refused"] = "That is not the admin secret." + (
            f" Wait {wait:.0f} seconds before the next try." if wait else ""
        )


def demo_unlock_form() -> bool:
    """The demo's unlock: True once this session has entered the configured secret."""
    secret = configured_secret()
    if secret is None:
        st.info(
            f"Loading figures and editing commentary is switched off. To switch it on, set the environment "
            f"variable `{SECRET_ENV}` or `{SECRET_KEY}` in `.streamlit/secrets.toml`, restart, and enter the "
            "secret here. Viewers without it can only read. (A council deployment uses sign-in and roles "
            "instead: README, Deploying for a council.)",
            icon="🔒",
        )
        return False
    if demo_unlocked():
        st.caption("Admin unlocked for this session.")
        return True
    with st.form("unlock"):
        st.text_input("Admin secret", type="password", key="admin_secret_input")
        st.form_submit_button("Unlock", on_click=_try_unlock, args=(secret,))
    refused = st.session_state.pop("_admin_refused", None)
    if refused:
        st.error(refused)
    return False
