"""Sign-in and roles for the app: Streamlit's own st.login (OpenID Connect, settings in .streamlit/secrets.toml)
and the access file's roles (sla_core.access). Nothing of a page is drawn before this says who is here.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from sla_core.access import AccessError, Actor, exposed, load_access, local_actor
from ui.state import StateKeys


class SecretsUnreadable(RuntimeError):
    """A secrets file exists but cannot be parsed: sign-in may be meant, so nothing is shown (fail closed)."""


def sign_in_configured() -> bool:
    """Whether the secrets hold an `[auth]` section (st.login's settings). A secrets file that exists but does not
    parse raises SecretsUnreadable: a typo must not switch sign-in off and make every visitor an admin."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # Streamlit's "no secrets" error, raised for a missing file and for a broken one
        if any(Path(p).is_file() for p in st.get_option("secrets.files") or []):
            raise SecretsUnreadable from None
        return False


def _secrets_or_stop() -> bool:
    try:
        return sign_in_configured()
    except SecretsUnreadable:
        st.title("SLA Board")
        st.error("The secrets file (.streamlit/secrets.toml) cannot be read, so sign-in cannot be checked: nothing "
                 "is shown until its admin fixes the file (see .streamlit/secrets.toml.example).",
                 icon=":material/error:")
        st.stop()
        raise  # st.stop() does not return


def signed_in_actor() -> Actor:
    """Who uses this session. With sign-in configured, a visitor who is not signed in sees only the sign-in
    page, and an address the access file does not allow sees only the refusal: the run stops there."""
    if not _secrets_or_stop():
        return local_actor()
    if not st.user.get("is_logged_in", False):
        st.title("SLA Board")
        st.markdown("Sign in with your organisation's account to see the SLA review.")
        st.button("Sign in", key="sign_in", icon=":material/login:", on_click=st.login, type="primary")
        st.stop()
    email = str(st.user.get("email") or "")
    if st.user.get("email_verified") is False:  # the provider says the address is not the user's own
        email = ""
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
    if _secrets_or_stop():
        st.sidebar.caption(f"Signed in as **{actor.who}** ({actor.role})")
        st.sidebar.button("Sign out", key="sign_out", icon=":material/logout:", on_click=st.logout)
    elif exposed(st.get_option("server.address")):
        st.warning(
            "**Anyone who can reach this server can see and change everything**: it listens on other machines' "
            "network (server.address is not loopback) and no sign-in is configured. See the README's "
            "\"Serving a team\".", icon=":material/lock_open:")
