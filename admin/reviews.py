"""Reviewers teach the router: a reviewer marks a call's decision right or wrong and, when wrong, gives
the right destination, emergency flag and category. `hotline corpus export-reviews` writes those
corrections as labeled rows in the training format (the corpus labeling's kind / targets)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from typing import IO, Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from hotline.admin import audit, calllog, labels, roles
from hotline.admin.scope import apply_platform_scope
from hotline.profile import PLATFORMS
from hotline.store.models import Call, CallReview
from hotline.store.types import utcnow

bp = Blueprint("reviews", __name__)
EXPORT_COLUMNS = (
    "id",
    "profile",
    "platform",
    "kind",
    "targets",
    "emergency",
    "category",
    "tags",
    "source",
    "text",
    "reviewer",
    "reviewed_at",
)
_EMERGENCY_NUMBERS = ("119", "120", "122", "12395")


def decision_label(action: str | None, target: str | None) -> tuple[str, str]:
    """The corpus labeling's (kind, targets) of what the router decided."""
    if action in ("clarify", None):
        return "clarify", "recv"
    if action == "agent":
        return "agent", "recv"
    if action == "guide":
        return "guide", target or "recv"
    if target in PLATFORMS:
        return "platform", target
    if target in _EMERGENCY_NUMBERS:
        return "number", f"{target},110"
    return "guide", target or "recv"


def _destinations() -> list[SelectChoice]:
    return [SelectChoice(f"{d['kind']}|{d['targets']}", d["label"]) for d in labels.REVIEW_DESTINATIONS]


class ReviewForm(FlaskForm):
    verdict = RadioField(
        "分流决定", choices=[SelectChoice("correct", "正确"), SelectChoice("wrong", "错误")], default="wrong"
    )
    destination = SelectField("正确去向", choices=_destinations)
    emergency = BooleanField("紧急（有人身、财产危险正在发生）")
    category = SelectField("正确分类", choices=[], validators=[Optional()])
    note = TextAreaField("说明", validators=[Optional(), Length(max=500)])

    @classmethod
    def for_call(cls, call: Call, formdata=None, latest: CallReview | None = None) -> ReviewForm:
        """Filled from the latest review of the call, else from the router's decision."""
        if latest is not None:
            kind, targets, emergency, category = latest.kind, latest.targets, latest.emergency, latest.category
        else:
            kind, targets = decision_label(call.action, call.target)
            emergency, category = bool(call.emergency), call.category
        form = cls(
            formdata=formdata,
            verdict=latest.verdict if latest is not None else "wrong",
            destination=f"{kind}|{targets}",
            emergency=emergency,
            category=category or "",
        )
        form.category.choices = [
            SelectChoice("", "（不指定）"),
            *(SelectChoice(c, n) for c, n in labels.category_choices(call.profile)),
        ]
        return form


@bp.route("/calls/<dbid:call_id>/review", methods=["POST"])
@roles.permission_required("review")
def review(call_id: int):
    with calllog().session() as s:
        call = s.scalar(apply_platform_scope(select(Call).where(Call.id == call_id), Call.platform))
        if call is None:
            abort(404)
        form = ReviewForm.for_call(call, formdata=request.form)
        if not form.validate_on_submit():
            abort(400, description="复核表单有误：" + "；".join(m for v in form.errors.values() for m in v))
        if form.verdict.data == "correct":
            kind, targets = decision_label(call.action, call.target)
            emergency, category = bool(call.emergency), call.category
        else:
            kind, _, targets = form.destination.data.partition("|")
            emergency, category = bool(form.emergency.data), form.category.data or None
        row = CallReview(
            call_id=call.id,
            reviewer_id=int(current_user.id),
            reviewer=current_user.username,
            reviewed_at=utcnow(),
            verdict=form.verdict.data,
            kind=kind,
            targets=targets,
            emergency=emergency,
            category=category,
            note=(form.note.data or "").strip(),
        )
        s.add(row)
        uid = call.uniqueid
    audit.record(
        "review",
        "call",
        uid,
        {"verdict": row.verdict, "kind": kind, "targets": targets, "emergency": emergency, "category": category},
    )
    flash("已保存复核结果。" if row.verdict == "correct" else "已记录纠正，将用于训练分流模型。", "ok")
    return redirect(url_for("calls.detail", call_id=call_id, **request.args))


# ------------------------------------------------------------------------------- export
def review_rows(calllog, since_utc=None, include_confirmed: bool = False, zone=None) -> Iterable[dict[str, Any]]:
    """The latest review of each reviewed call (corrections; confirmations too if asked), oldest first."""
    with calllog.session() as s:
        stmt = select(CallReview, Call).join(Call, Call.id == CallReview.call_id).order_by(CallReview.id)
        if since_utc is not None:
            stmt = stmt.where(CallReview.reviewed_at >= since_utc)
        latest: dict[int, tuple[CallReview, Call]] = {}
        for rv, call in s.execute(stmt):
            latest[call.id] = (rv, call)  # a later review of the same call replaces the earlier
    for rv, call in sorted(latest.values(), key=lambda p: p[0].id):
        if rv.verdict != "wrong" and not include_confirmed:
            continue
        text = " ".join((call.transcript or "").split())  # one line: no tabs or newlines
        if not text:
            continue
        at = rv.reviewed_at.astimezone(zone) if zone else rv.reviewed_at
        yield {
            "id": f"rv{rv.id}",
            "profile": call.profile or "national",
            "platform": call.platform,
            "kind": rv.kind,
            "targets": rv.targets,
            "emergency": "1" if rv.emergency else "0",
            "category": rv.category or "",
            "tags": "review,asr" if rv.verdict == "wrong" else "review,asr,confirmed",
            "source": f"review:{rv.reviewer}",
            "text": text,
            "reviewer": rv.reviewer,
            "reviewed_at": at.isoformat(timespec="seconds"),
        }


def export_reviews(calllog, out: IO[str], since: date | None = None, zone=None, include_confirmed=False) -> int:
    """Write the TSV (header + rows) to `out`; returns the number of rows."""
    from datetime import UTC, datetime, time

    since_utc = datetime.combine(since, time(0), zone or UTC).astimezone(UTC) if since else None
    w = csv.DictWriter(
        out, fieldnames=EXPORT_COLUMNS, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\"
    )
    w.writeheader()
    n = 0
    for row in review_rows(calllog, since_utc, include_confirmed, zone):
        w.writerow(row)
        n += 1
    return n
