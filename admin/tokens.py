"""API tokens: several per user, each with a name, an expiry, its last use, and revocation.
The token is shown once; only its SHA-256 is stored (a token is random, so a slow hash adds nothing)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from hotline.store.models import ApiToken, User
from hotline.store.types import utcnow

DEFAULT_DAYS = 90
MAX_DAYS = 366
LAST_USE_EVERY_S = 60  # last use is written at most once a minute: reads stay reads


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(calllog, username: str, name: str = "", days: int = DEFAULT_DAYS, created_by: str = "") -> str:
    """A new token for the user (shown once). Raises ValueError for an unknown or disabled user."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"有效期应为 1 至 {MAX_DAYS} 天")
    token = "hl_" + secrets.token_urlsafe(32)
    now = utcnow()
    with calllog.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise ValueError(f"没有用户 {username!r}")
        if user.disabled:
            raise ValueError(f"用户 {username!r} 已停用")
        s.add(
            ApiToken(
                user_id=user.id,
                name=name[:64],
                token_hash=hash_token(token),
                prefix=token[:10],
                created_at=now,
                created_by=created_by[:64],
                expires_at=now + timedelta(days=days),
            )
        )
    return token


def check_token(calllog, token: str, ip: str = "") -> tuple[User, ApiToken] | None:
    """The user and token for a bearer token that is known, unrevoked, unexpired, of an enabled user."""
    now = utcnow()
    with calllog.session() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        user = s.get(User, row.user_id)
        if user is None or user.disabled:
            return None
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= LAST_USE_EVERY_S:
            row.last_used_at = now
            row.last_used_ip = ip[:64]
        s.flush()
        s.expunge_all()
        return user, row


def revoke(calllog, token_id: int) -> ApiToken | None:
    with calllog.session() as s:
        row = s.get(ApiToken, token_id)
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        s.flush()
        s.expunge(row)
        return row


def status(row: ApiToken, now: datetime | None = None) -> str:
    now = now or utcnow()
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= now else "active"
