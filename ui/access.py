"""Sign-in and roles for the app: Streamlit's own st.login (OpenID Connect, settings in .streamlit/secrets.toml)
and the access file's roles (sla_core.access). Nothing of a page is drawn before this says who is here.
"""

from __future__ import annotations

import streamlit as st

from sla_core.access import AccessError, Actor, exposed, load_access, local_actor
from ui.state import StateKeys


def sign_in_configured() -> bool:
    """Whether the secrets hold an `[auth]` section (st.login's settings)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml anywhere: sign-in is off
        return False


def signed_in_actor() -> Actor:
    """Who uses this session. With sign-in configured, a visitor who is not signed in sees only the sign-in
    page, and an address the access file does not allow sees only the refusal: the run stops there."""
    if not sign_in_configured():
        return local_actor()
    if not st.user.get("is_logged_in", False):
        st.title("SLA Board")
        st.markdown("Sign in with your organisation's account to see the SLA review.")
        st.button("Sign in", key="sign_in", icon=":material/login:", on_click=st.login, type="primary")
        st.stop()
    email = str(st.user.get("email") or "")
    try:
        role = load_access().role_of(email)
    except AccessError as err:
        st.error(f"Sign-in is configured but the access file cannot be used: {err}", icon=":material/error:")
        st.stop()
    if role is None:
        st.title("SLA Board")
        st.error(f"{email or 'This account'} is not allowed to use this SLA Board. Ask its admin to add you to "
                 "the access file.", icon=":material/block:")
        st.button("Sign out", key="sign_out_refused", icon=":material/logout:", on_click=st.logout)
        st.stop()
    return Actor(who=email, role=role)


def current_actor() -> Actor:
    """The session's actor, as app.py found it (a page run on its own, as in a page test, finds it here)."""
    actor = st.session_state.get(StateKeys.ACTOR)
    if actor is None:
        actor = st.session_state[StateKeys.ACTOR] = signed_in_actor()
    return actor


def account_box(actor: Actor) -> None:
    """Who is signed in, with which role, and the way out; or the warning that the app is open to anyone."""
    if sign_in_configured():
        st.sidebar.caption(f"Signed in as **{actor.who}** ({actor.role})")
        st.sidebar.button("Sign out", key="sign_out", icon=":material/logout:", on_click=st.logout)
    elif exposed(st.get_option("server.address")):
        st.warning(
            "**Anyone who can reach this server can see and change everything**: it listens on other machines' "
            "network (server.address is not loopback) and no sign-in is configured. See the README's "
            "\"Serving a team\".", icon=":material/lock_open:")
