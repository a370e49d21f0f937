"""Read-only view of the linkage profiles: categories, owners, targets and phrases."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import login_required

from hotline.admin import labels
from hotline.profile import ProfileError, available_profiles, load_profile

bp = Blueprint("profiles", __name__)


@bp.route("/profiles")
@bp.route("/profiles/<name>")
@login_required
def profiles(name: str = "national"):
    names = available_profiles()
    if name not in names:
        abort(404)
    try:
        prof = load_profile(name)
    except ProfileError as e:
        abort(400, description=f"配置文件有误：{e}")
    return render_template("profiles.html", names=names, prof=prof, labels=labels)
