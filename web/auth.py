"""Sign in and out of the admin pages with the admin password (setting or set-password)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from tracker import auth as credentials
from web.db import get_store, settings
from web.security import safe_next, sign_in, sign_out

bp = Blueprint("auth", __name__)


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    store = get_store()
    configured = credentials.password_configured(store, settings())
    target = safe_next(request.values.get("next"))
    failed = False
    if request.method == "POST" and configured:
        password = request.form.get("password", "")
        if credentials.check_password(store, settings(), password):
            sign_in()
            flash("Signed in.", "ok")
            return redirect(target)
        failed = True
    status = 401 if failed else 200
    return (
        render_template("auth/signin.html", configured=configured, failed=failed, next=target),
        status,
    )


@bp.post("/signout")
def signout() -> Any:
    sign_out()
    flash("Signed out.", "ok")
    return redirect(url_for("pages.stories"))
