"""Roles and what each may do. A user also has an optional platform scope (hotline.admin.scope)."""

from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user, login_required

ROLES = ("admin", "reviewer", "agent", "viewer")
SCOPES = ("", "12345", "110")  # "" = both platforms

# viewers read calls, listen and export; reviewers also correct decisions; agents (话务员) work the orders
# exchanged with the other platform (accept, return, feed back, resolve); admins do all and run the site
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"view", "listen", "export"}),
    "reviewer": frozenset({"view", "listen", "export", "review"}),
    "agent": frozenset({"view", "listen", "export", "orders"}),
    "admin": frozenset({"view", "listen", "export", "review", "orders", "manage_users", "audit"}),
}


def can(role: str | None, permission: str) -> bool:
    return permission in PERMISSIONS.get(role or "", frozenset())


def permission_required(permission: str):
    """A page for signed-in users whose role grants `permission` (else 403)."""

    def deco(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return deco
