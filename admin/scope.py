"""Which platform's data the current user (or API token) may see: one helper for calls and orders.

    from hotline.admin.scope import current_platform_scope, apply_platform_scope
    stmt = apply_platform_scope(select(Order), Order.platform)

A scoped user (scope "110" or "12345") sees only that platform's rows; others see both. A row outside
the scope is answered as not found (404), so its existence is not revealed.
"""

from __future__ import annotations

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import Select


def current_platform_scope() -> str | None:
    """ "110" or "12345" for a scoped user or token, None for both platforms (or outside a request)."""
    if not has_request_context():
        return None
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user.scope or None
    if current_user and current_user.is_authenticated:
        return current_user.scope or None
    return None


def apply_platform_scope(stmt: Select, column) -> Select:
    """Restrict a query to the current scope; `column` is the platform column of the rows."""
    scope = current_platform_scope()
    return stmt if scope is None else stmt.where(column == scope)


def in_scope(platform: str | None) -> bool:
    scope = current_platform_scope()
    return scope is None or platform == scope
