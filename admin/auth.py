"""Sign-in and sign-out (Flask-Login, hashed passwords, CSRF on the form, throttling in the database).

Every failed sign-in answers the same (401, one message) and takes the same time, whether the name
exists, is disabled or the password is wrong: the password is always hashed. Throttled attempts answer
429 for known and unknown names alike (hotline.admin.throttle).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hotline.admin import audit, roles
from hotline.admin.tokens import hash_token, issue_token  # noqa: F401 (moved to tokens.py; old imports work)
from hotline.store.models import User
from hotline.store.types import utcnow

bp = Blueprint("auth", __name__)
# kept for pages written before roles and tokens had their own modules (e.g. admin/orders.py)
admin_required = roles.permission_required("manage_users")
login_manager = LoginManager()
ROLES = roles.ROLES
MIN_PASSWORD = 10
# compared against when the name is unknown, so that answer takes as long as a wrong password
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


class SessionUser(UserMixin):
    """The signed-in user as the pages see it (also the API's token user)."""

    def __init__(self, user: User) -> None:
        self.id = str(user.id)
        self.username = user.username
        self.role = user.role
        self.scope = user.scope or ""
        self.session_version = user.session_version or 0

    def get_id(self) -> str:
        # the version ends every session of a user whose password was reset or who was disabled
        return f"{self.id}:{self.session_version}"

    def can(self, permission: str) -> bool:
        return roles.can(self.role, permission)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _log():
    from hotline.admin import calllog

    return calllog()


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_id: str):
    uid, _, version = session_id.partition(":")
    if not uid.isdigit() or not version.isdigit() or len(uid) > 12:
        return None
    with _log().session() as s:
        u = s.get(User, int(uid))
        if u is None or u.disabled or (u.session_version or 0) != int(version):
            return None
        return SessionUser(u)


def safe_next(target: str | None) -> str | None:
    """A same-site relative path to return to after signing in, or None.

    Parsed, not prefix-checked: no scheme, no host, no control characters or backslashes (browsers
    drop tabs and newlines, so "/\\t/evil.example" would become "//evil.example"), one leading slash.
    """
    if not target or len(target) > 2000 or _CONTROL.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=256)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), (400 if request.method == "POST" else 200)
    name = form.username.data.strip()
    ip = audit.client_ip()
    attempt = current_app.extensions["login_throttle"].acquire(ip, name)
    if attempt is None:
        audit.record("login_throttled", "user", "", {"name": name[:64]}, username="")
        flash("登录尝试过于频繁，请稍后再试。", "error")
        return render_template("login.html", form=form), 429
    with _log().session() as s:
        user = s.scalar(select(User).where(User.username == name))
        # always hash: an unknown name takes as long as a wrong password
        ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, form.password.data)
        ok = ok and user is not None and not user.disabled
        if ok:
            user.last_login_at = utcnow()
            session_user = SessionUser(user)
    if not ok:
        attempt.failed()
        audit.record("login_failed", "user", "", {"name": name[:64]}, username="")
        flash("用户名或密码不正确。", "error")
        return render_template("login.html", form=form), 401
    attempt.succeeded()
    login_user(session_user)
    audit.record("login", "user", session_user.id, user=session_user)
    return redirect(safe_next(request.args.get("next")) or url_for("calls.list_calls"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit.record("logout", "user", current_user.id)
    logout_user()
    return redirect(url_for("auth.login"))


# ------------------------------------------------------------------ accounts (used by the CLI and /users)
def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少 {MIN_PASSWORD} 位")
    if len(password) > 256:
        raise ValueError("密码最多 256 位")


def create_user(calllog, username: str, password: str, role: str, scope: str = "") -> None:
    """Raises ValueError with a message for the operator (in Chinese)."""
    if role not in ROLES:
        raise ValueError("角色应为 " + "、".join(ROLES))
    if scope not in roles.SCOPES:
        raise ValueError("平台范围应为 12345、110 或留空（全部）")
    if not username or len(username) > 64 or not username.isprintable() or username != username.strip():
        raise ValueError("用户名应为 1 至 64 个可见字符")
    check_password(password)
    with calllog.session() as s:
        if s.scalar(select(User).where(User.username == username)):
            raise ValueError(f"用户 {username!r} 已存在")
        s.add(
            User(
                username=username,
                password_hash=generate_password_hash(password),
                role=role,
                scope=scope or None,
                created_at=utcnow(),
            )
        )
