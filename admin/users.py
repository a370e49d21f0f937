"""User management (admins only): create, change role and platform scope, disable / enable, reset the
password, and API tokens (issue with a name and expiry, see last use, revoke). Every change is audited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hotline.admin import audit, calllog, labels, roles, tokens
from hotline.admin.auth import check_password, create_user
from hotline.store.models import ApiToken, User
from hotline.store.types import utcnow

bp = Blueprint("users", __name__)
admin_only = roles.permission_required("manage_users")


def _role_choices():
    return [SelectChoice(r, labels.ROLE[r]) for r in roles.ROLES]


def _scope_choices():
    return [SelectChoice(s, labels.SCOPE[s]) for s in roles.SCOPES]


class NewUserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(message="请填写用户名"), Length(max=64)])
    password = PasswordField("初始密码（至少 10 位）", validators=[DataRequired(message="请填写密码")])
    role = SelectField("角色", choices=_role_choices, default="viewer")
    scope = SelectField("平台范围", choices=_scope_choices, default="")


class EditUserForm(FlaskForm):
    role = SelectField("角色", choices=_role_choices)
    scope = SelectField("平台范围", choices=_scope_choices)


class PasswordForm(FlaskForm):
    password = PasswordField("新密码（至少 10 位）", validators=[DataRequired(message="请填写新密码")])


class TokenForm(FlaskForm):
    name = StringField("用途", validators=[Optional(), Length(max=64)])
    days = IntegerField(
        "有效天数",
        default=tokens.DEFAULT_DAYS,
        validators=[NumberRange(min=1, max=tokens.MAX_DAYS, message=f"有效天数应为 1 至 {tokens.MAX_DAYS}")],
    )


class ActionForm(FlaskForm):
    """CSRF only: disable, enable, revoke."""


def _errors(form) -> str:
    return "；".join(m for msgs in form.errors.values() for m in msgs) or "表单有误"


def _active_admins(s, excluding: int | None = None) -> int:
    q = select(func.count(User.id)).where(User.role == "admin", User.disabled.is_(False))
    if excluding is not None:
        q = q.where(User.id != excluding)
    return s.scalar(q) or 0


@bp.route("/users", methods=["GET", "POST"])
@admin_only
def users():
    form = NewUserForm()
    status = 200
    if form.validate_on_submit():
        name = form.username.data.strip()
        try:
            create_user(calllog(), name, form.password.data, form.role.data, form.scope.data)
        except ValueError as e:
            flash(f"无法创建用户：{e}", "error")
            status = 400
        else:
            audit.record("user_create", "user", name, {"role": form.role.data, "scope": form.scope.data})
            flash(f"已创建用户 {name}。", "ok")
            return redirect(url_for("users.users"))
    elif request.method == "POST":
        flash(f"无法创建用户：{_errors(form)}", "error")
        status = 400
    with calllog().session() as s:
        rows = list(s.scalars(select(User).order_by(User.username)))
        active = dict(
            s.execute(
                select(ApiToken.user_id, func.count(ApiToken.id))
                .where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
                .group_by(ApiToken.user_id)
            ).all()
        )
    return render_template("users.html", users=rows, form=form, active_tokens=active), status


def _user_or_404(s, user_id: int) -> User:
    u = s.get(User, user_id)
    if u is None:
        abort(404)
    return u


@bp.route("/users/<dbid:user_id>", methods=["GET"])
@admin_only
def edit(user_id: int, new_token: str | None = None, status: int = 200):
    with calllog().session() as s:
        u = _user_or_404(s, user_id)
        toks = list(s.scalars(select(ApiToken).where(ApiToken.user_id == u.id).order_by(ApiToken.id.desc())))
    form = EditUserForm(role=u.role, scope=u.scope or "")
    return (
        render_template(
            "user_edit.html",
            u=u,
            form=form,
            pw_form=PasswordForm(),
            token_form=TokenForm(),
            action_form=ActionForm(),
            tokens=toks,
            token_status=tokens.status,
            new_token=new_token,
        ),
        status,
    )


@bp.route("/users/<dbid:user_id>/role", methods=["POST"])
@admin_only
def change_role(user_id: int):
    form = EditUserForm()
    if not form.validate_on_submit():
        flash(f"无法修改：{_errors(form)}", "error")
        return edit(user_id, status=400)
    with calllog().session() as s:
        u = _user_or_404(s, user_id)
        if u.role == "admin" and form.role.data != "admin" and not _active_admins(s, excluding=u.id):
            flash("至少要保留一名启用的管理员。", "error")
            return redirect(url_for("users.edit", user_id=user_id))
        before = {"role": u.role, "scope": u.scope or ""}
        u.role, u.scope = form.role.data, form.scope.data or None
        after = {"role": u.role, "scope": u.scope or ""}
        name = u.username
    if before != after:
        audit.record("user_update", "user", name, {"before": before, "after": after})
        flash(f"已修改 {name} 的角色和平台范围。", "ok")
    return redirect(url_for("users.edit", user_id=user_id))


@bp.route("/users/<dbid:user_id>/disable", methods=["POST"])
@admin_only
def disable(user_id: int):
    return _set_disabled(user_id, True)


@bp.route("/users/<dbid:user_id>/enable", methods=["POST"])
@admin_only
def enable(user_id: int):
    return _set_disabled(user_id, False)


def _set_disabled(user_id: int, disable: bool):
    if not ActionForm().validate_on_submit():
        abort(400, description="表单已过期，请刷新页面后重试。")
    with calllog().session() as s:
        u = _user_or_404(s, user_id)
        if disable and str(u.id) == current_user.id:
            flash("不能停用自己的账号。", "error")
            return redirect(url_for("users.edit", user_id=user_id))
        if disable and u.role == "admin" and not _active_admins(s, excluding=u.id):
            flash("至少要保留一名启用的管理员。", "error")
            return redirect(url_for("users.edit", user_id=user_id))
        u.disabled = disable
        u.session_version = (u.session_version or 0) + 1  # signs the user out everywhere
        name = u.username
    audit.record("user_disable" if disable else "user_enable", "user", name)
    flash(f"已{'停用' if disable else '启用'} {name}。", "ok")
    return redirect(url_for("users.edit", user_id=user_id))


@bp.route("/users/<dbid:user_id>/password", methods=["POST"])
@admin_only
def reset_password(user_id: int):
    form = PasswordForm()
    if not form.validate_on_submit():
        flash(f"无法重置：{_errors(form)}", "error")
        return edit(user_id, status=400)
    try:
        check_password(form.password.data)
    except ValueError as e:
        flash(f"无法重置：{e}", "error")
        return edit(user_id, status=400)
    with calllog().session() as s:
        u = _user_or_404(s, user_id)
        u.password_hash = generate_password_hash(form.password.data)
        u.session_version = (u.session_version or 0) + 1
        name = u.username
    audit.record("password_reset", "user", name)
    flash(f"已重置 {name} 的密码，其已登录的会话随之失效。", "ok")
    return redirect(url_for("users.edit", user_id=user_id))


@bp.route("/users/<dbid:user_id>/tokens", methods=["POST"])
@admin_only
def new_token(user_id: int):
    form = TokenForm()
    if not form.validate_on_submit():
        flash(f"无法签发：{_errors(form)}", "error")
        return edit(user_id, status=400)
    with calllog().session() as s:
        name = _user_or_404(s, user_id).username
    try:
        token = tokens.issue_token(
            calllog(), name, form.name.data or "", form.days.data, created_by=current_user.username
        )
    except ValueError as e:
        flash(f"无法签发：{e}", "error")
        return edit(user_id, status=400)
    audit.record("token_create", "token", token[:10], {"user": name, "days": form.days.data, "name": form.name.data})
    # shown on this response only: never stored, never redirected through the session
    return edit(user_id, new_token=token)


@bp.route("/users/<dbid:user_id>/tokens/<dbid:token_id>/revoke", methods=["POST"])
@admin_only
def revoke_token(user_id: int, token_id: int):
    if not ActionForm().validate_on_submit():
        abort(400, description="表单已过期，请刷新页面后重试。")
    with calllog().session() as s:
        row = s.get(ApiToken, token_id)
        if row is None or row.user_id != user_id:
            abort(404)
    row = tokens.revoke(calllog(), token_id)
    audit.record("token_revoke", "token", row.prefix or token_id, {"user_id": user_id})
    flash("令牌已吊销。", "ok")
    return redirect(url_for("users.edit", user_id=user_id))
