"""Sign in and out of the admin pages with the admin password (setting or set-password).

Five failed sign-ins from one address in 15 minutes, and that address must wait (HTTP 429 with
Retry-After) before its next try is even checked.
"""

from __future__ import annotations

import math
from contextlib import suppress
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from tracker import auth as credentials
from tracker.store import StoreError
from web.db import get_store, settings
from web.security import safe_next, sign_in, sign_out

bp = Blueprint("auth", __name__)


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    store = get_store()
    configured = credentials.password_configured(store, settings())
    target = safe_next(request.values.get("next"))
    failed, wait = False, 0
    if request.method == "POST" and configured:
        client = credentials.client_key(request.remote_addr)
        try:
            wait = credentials.reserve_signin(store, client)
        except StoreError as exc:  # a read-only or locked database must not keep the admin out
            current_app.logger.warning("sign-in attempt not counted: %s", exc)
        if not wait:
            if credentials.check_password(store, settings(), request.form.get("password", "")):
                with suppress(StoreError):
                    credentials.signin_succeeded(store, client)
                sign_in()
                flash("Signed in.", "ok")
                return redirect(target)
            failed = True
            current_app.logger.warning("sign-in failed from %s", request.remote_addr)
    page = render_template(
        "auth/signin.html",
        configured=configured,
        failed=failed,
        wait_minutes=math.ceil(wait / 60),
        next=target,
    )
    if wait:  # too many failures from this address: the password is not even tried
        current_app.logger.warning("sign-in refused from %s for %d s", request.remote_addr, wait)
        return page, 429, {"Retry-After": str(wait)}
    return page, 401 if failed else 200


@bp.post("/signout")
def signout() -> Any:
    sign_out()
    flash("Signed out.", "ok")
    return redirect(url_for("pages.stories"))
