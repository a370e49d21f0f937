"""The call-log admin: a Flask application over the call store (application factory + blueprints)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import BaseConverter, ValidationError

from hotline.store import CallLog

csrf = CSRFProtect()
MAX_DB_ID = 2**31 - 1  # INTEGER on PostgreSQL; larger ids are not ours


class DbIdConverter(BaseConverter):
    """<dbid:x>: a row id, 1..2^31-1, checked before it reaches the database (else 404, never 500)."""

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        n = int(value)
        if not 1 <= n <= MAX_DB_ID:
            raise ValidationError()
        return n

    def to_url(self, value: int) -> str:
        return str(int(value))


def create_app(db_url: str | None = None, **overrides: Any) -> Flask:
    from hotline.config import Config

    cfg = Config()
    app = Flask(__name__)
    app.url_map.converters["dbid"] = DbIdConverter
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
        HOTLINE_EXPORT_DIR=str(cfg.state_dir / "exports"),
        HOTLINE_TIMEZONE=cfg.timezone,
    )
    app.config.update(overrides)
    from zoneinfo import ZoneInfo

    app.extensions["hotline_zone"] = ZoneInfo(app.config["HOTLINE_TIMEZONE"])
    if cfg.admin_trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = cfg.admin_trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    log = CallLog(app.config["HOTLINE_DB_URL"])
    app.extensions["calllog"] = log
    log.optimize()  # fresh planner statistics: the list queries pick the right index
    from hotline.admin.throttle import Throttle

    app.extensions["login_throttle"] = Throttle(log.engine)
    app.extensions["login_throttle"].sweep()
    csrf.init_app(app)

    from hotline.admin import (
        api,
        audit_view,
        auth,
        calls,
        dashboard,
        exports,
        localtime,
        profiles_view,
        reviews,
        users,
    )

    auth.init_app(app)
    for bp in (
        auth.bp,
        users.bp,
        calls.bp,
        exports.bp,
        reviews.bp,
        dashboard.bp,
        profiles_view.bp,
        audit_view.bp,
        api.bp,
    ):
        app.register_blueprint(bp)
    csrf.exempt(api.bp)  # token-authenticated, no cookies
    from hotline.linkage import api as linkage_api  # work orders between the platforms: signed, no cookies

    app.register_blueprint(linkage_api.bp)
    csrf.exempt(linkage_api.bp)
    from hotline.admin import hotspots, orders

    app.register_blueprint(orders.bp)
    app.register_blueprint(hotspots.bp)

    app.jinja_env.filters["localtime"] = localtime.fmt
    app.jinja_env.globals["zone_label"] = localtime.zone_label

    @app.context_processor
    def _labels():
        from hotline.admin import labels

        return {"labels": labels}

    def _error(code: int, message: str):
        if request.path.startswith("/api/"):
            return jsonify(error=message), code
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(400)
    def bad_request(e):
        return _error(400, getattr(e, "description", None) or "请求有误")

    @app.errorhandler(403)
    def forbidden(e):
        return _error(403, "您的账号没有权限访问此页面。")

    @app.errorhandler(404)
    def not_found(e):
        return _error(404, "没有找到这个页面或这通电话。")

    @app.errorhandler(405)
    def not_allowed(e):
        return _error(405, "不支持这种请求方式。")

    @app.errorhandler(413)
    def too_large(e):
        return _error(413, "提交的内容过大。")

    @app.errorhandler(500)
    def server_error(e):
        return _error(500, "服务器内部错误，请稍后再试。")

    @app.route("/favicon.ico")
    def favicon():
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'",
        )
        if request.path.startswith("/api/") or request.endpoint in ("calls.detail", "calls.recording"):
            resp.headers.setdefault("Cache-Control", "no-store")  # personal data stays off shared caches
        return resp

    return app


def calllog(app_or_none=None) -> CallLog:
    from flask import current_app

    return (app_or_none or current_app).extensions["calllog"]
