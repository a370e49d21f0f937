"""高频诉求、民意热点: the hotspot table over recent calls and orders (hotline.linkage.hotspots)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from hotline.admin import calllog
from hotline.linkage.hotspots import hotspots as compute

bp = Blueprint("hotspots", __name__)
WINDOWS = (1, 3, 7, 14, 30)


@bp.route("/hotspots")
@login_required
def hotspots():
    try:
        days = int(request.args.get("days", "7"))
    except ValueError:
        abort(400, description="时间范围无效")
    if days not in WINDOWS:
        abort(400, description="时间范围无效")
    table = compute(calllog(), days=days, top=30, tz=calllog().orders.tz)
    return render_template("hotspots.html", table=table, days=days, windows=WINDOWS)
