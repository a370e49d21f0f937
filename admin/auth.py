"""Log-in, log-out, roles and login throttling (Flask-Login, hashed passwords, CSRF on the form)."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hotline.store.calllog import utcnow
from hotline.store.models import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
ROLES = ("admin", "viewer")


class SessionUser(UserMixin):
    def __init__(self, user: User) -> None:
        self.id = str(user.id)
        self.username = user.username
        self.role = user.role

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
def load_user(user_id: str):
    if not user_id.isdigit():
        return None
    with _log().session() as s:
        u = s.get(User, int(user_id))
        return SessionUser(u) if u else None


def admin_required(view):
    """Viewers may read; only admins may reach admin-only pages."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=256)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        name = form.username.data.strip()
        now = utcnow()
        with _log().session() as s:
            user = s.scalar(select(User).where(User.username == name))
            if user is not None and user.locked_until and user.locked_until > now:
                flash("登录失败次数过多，账号已暂时锁定，请稍后再试。", "error")
                return render_template("login.html", form=form), 429
            if user is None or not check_password_hash(user.password_hash, form.password.data):
                if user is not None:
                    user.failed_logins += 1
                    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
                        user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
                        user.failed_logins = 0
                flash("用户名或密码不正确。", "error")
                return render_template("login.html", form=form), 401
            user.failed_logins = 0
            user.locked_until = None
            session_user = SessionUser(user)
        login_user(session_user)
        nxt = request.args.get("next", "")
        # only local paths: never an open redirect
        if not nxt.startswith("/") or nxt.startswith("//"):
            nxt = url_for("calls.list_calls")
        return redirect(nxt)
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


class NewUserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("初始密码（至少 10 位）", validators=[DataRequired(), Length(min=10, max=256)])
    role = StringField("角色（admin 或 viewer）", validators=[DataRequired(), Length(max=16)])


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():
    """Admin only: the accounts of the site, and adding one."""
    form = NewUserForm()
    status = 200
    if form.validate_on_submit():
        try:
            create_user(_log(), form.username.data.strip(), form.password.data, form.role.data.strip())
            flash(f"已创建用户 {form.username.data.strip()}。", "ok")
            return redirect(url_for("auth.users"))
        except ValueError as e:
            flash(f"无法创建用户：{e}", "error")
            status = 400
    elif request.method == "POST":
        status = 400
    with _log().session() as s:
        rows = list(s.scalars(select(User).order_by(User.username)))
    return render_template("users.html", users=rows, form=form), status


# ------------------------------------------------------------------ user management (CLI)
def create_user(calllog, username: str, password: str, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 64 or not username.isprintable():
        raise ValueError("user name: 1-64 printable characters")
    if len(password) < 10:
        raise ValueError("password: at least 10 characters")
    with calllog.session() as s:
        if s.scalar(select(User).where(User.username == username)):
            raise ValueError(f"user {username!r} exists already")
        s.add(User(username=username, password_hash=generate_password_hash(password), role=role, created_at=utcnow()))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(calllog, username: str) -> str:
    """A new API token for the user (shown once; only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    with calllog.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise ValueError(f"no user {username!r}")
        user.api_token_hash = hash_token(token)
    return token
