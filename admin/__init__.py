"""The call-log admin: a Flask application over the call store (application factory + blueprints)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFProtect

from hotline.store import CallLog

csrf = CSRFProtect()


def create_app(db_url: str | None = None, **overrides: Any) -> Flask:
    from hotline.config import Config

    cfg = Config()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=cfg.admin_secret_key or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # HTTPS in production; a plain-HTTP laptop setup sets HOTLINE_ADMIN_INSECURE_COOKIES=1
        SESSION_COOKIE_SECURE=not cfg.admin_insecure_cookies,
        REMEMBER_COOKIE_SECURE=not cfg.admin_insecure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=64 * 1024,
        HOTLINE_DB_URL=db_url or cfg.db_url,
        HOTLINE_RECORDING_ROOTS=cfg.recording_root_list,
        LOGIN_MAX_FAILURES=5,
        LOGIN_LOCK_MINUTES=10,
    )
    app.config.update(overrides)
    app.extensions["calllog"] = CallLog(app.config["HOTLINE_DB_URL"])
    app.extensions["calllog"].optimize()  # fresh planner statistics: the list queries pick the right index
    csrf.init_app(app)

    from hotline.admin import api, auth, calls, dashboard, profiles_view

    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(calls.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(profiles_view.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # token-authenticated, no cookies

    @app.errorhandler(400)
    def bad_request(e):
        return render_template("error.html", code=400, message=getattr(e, "description", "请求有误")), 400

    @app.errorhandler(403)
    def forbidden(e):
        return render_template("error.html", code=403, message="您的账号没有权限访问此页面。"), 403

    @app.errorhandler(404)
    def not_found(e):
        return render_template("error.html", code=404, message="没有找到这个页面或这通电话。"), 404

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'",
        )
        return resp

    return app


def calllog(app_or_none=None) -> CallLog:
    from flask import current_app

    return (app_or_none or current_app).extensions["calllog"]
