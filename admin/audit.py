"""The audit trail: sign-ins, call views, recording plays, exports, reviews, user / role / token changes.
Who, what, when, from where; append-only (the database refuses updates and deletes)."""

from __future__ import annotations

import logging
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

from hotline.store.models import AuditEntry
from hotline.store.types import utcnow

log = logging.getLogger("hotline.admin.audit")


def client_ip() -> str:
    return (request.remote_addr or "")[:64] if has_request_context() else ""


def record(
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    detail: dict[str, Any] | None = None,
    *,
    user=None,
    username: str | None = None,
    via: str | None = None,
    calllog=None,
) -> None:
    """Append one entry, in its own transaction (it stays even if the request fails afterwards)."""
    from hotline.admin import calllog as app_calllog

    if user is None and has_request_context():
        user = g.get("api_user") or (current_user if current_user and current_user.is_authenticated else None)
    if via is None:
        via = (
            "api"
            if has_request_context() and g.get("api_user") is not None
            else ("web" if has_request_context() else "cli")
        )
    entry = AuditEntry(
        at=utcnow(),
        user_id=int(user.id) if user is not None else None,
        username=(username if username is not None else (user.username if user is not None else ""))[:64],
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        ip=client_ip(),
        via=via,
        detail=detail or None,
    )
    with (calllog or app_calllog()).session() as s:
        s.add(entry)
    log.info("audit %s %s:%s by %s", action, object_type, object_id, entry.username, extra={"ip": entry.ip})
