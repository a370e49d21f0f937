"""The order as the linkage API carries it, and validation of what peers send.

Names follow the issue's work-order fields; Open311 GeoReport v2 names are given alongside (`open311`)
and NENA EIDO's ideas where they fit: a `tracking_id` shared by every party, and `parts` that each say
which platform owns them and when they last changed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotline.linkage.lifecycle import OPEN, STATUSES
from hotline.linkage.models import Order, utcnow

EVENT_TYPES = ("order.created", "order.updated", "order.overdue")
Platform = Literal["12345", "110"]
Status = Literal[STATUSES]  # type: ignore[valid-type]


def _iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


def order_doc(o: Order, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    history = list(o.history or [])
    last_note = next((e.get("note") for e in reversed(history) if e.get("note")), None)

    def part_time(actions: tuple[str, ...]) -> str | None:
        ats = [e["at"] for e in history if e.get("action") in actions]
        return max(ats) if ats else None

    return {
        "id": o.id,
        "tracking_id": f"urn:hotline:order:{o.id}",
        "number": o.number,
        "origin_platform": o.origin_platform,
        "target_platform": o.target_platform,
        "owning_platform": o.target_platform if o.status in OPEN else o.origin_platform,
        "caller_number": o.caller_number,
        "caller_name": o.caller_name,
        "event_time": _iso(o.event_time),
        "event_time_text": o.event_time_text,
        "location": o.location,
        "region_code": o.region_code,
        "request_text": o.request_text,
        "category": o.category,
        "category_name": o.category_name,
        "emergency": bool(o.emergency),
        "decision": o.decision,
        "source_call_id": o.source_call_id,
        "recording": o.recording,
        "profile": o.profile,
        "status": o.status,
        "due_at": _iso(o.due_at),
        "overdue": bool(o.due_at and o.status in OPEN and o.due_at < now),
        "created_at": _iso(o.created_at),
        "updated_at": _iso(o.updated_at),
        "accepted_at": _iso(o.accepted_at),
        "resolved_at": _iso(o.resolved_at),
        "closed_at": _iso(o.closed_at),
        "result": o.result,
        "return_reason": o.return_reason,
        "rating": o.rating,
        "followup": {"result": o.followup_result, "attempts": o.followup_attempts},
        "escalations": o.escalations,
        "deadlines": o.deadlines,
        "version": o.version,
        "history": history,
        "parts": {
            "request": {
                "owner": o.origin_platform,
                "updated_at": part_time(("created", "edited")) or _iso(o.created_at),
            },
            "handling": {
                "owner": o.target_platform,
                "updated_at": part_time(("accepted", "returned", "feedback", "extended", "resolved")),
            },
            "followup": {"owner": o.origin_platform, "updated_at": part_time(("followup", "followed_up", "closed"))},
        },
        "open311": {
            "service_request_id": o.number,
            "service_code": o.category,
            "service_name": o.category_name,
            "description": o.request_text,
            "address_string": o.location,
            "phone": o.caller_number,
            "agency_responsible": o.target_platform,
            "status": "closed" if o.status in ("closed", "returned") else "open",
            "status_notes": last_note,
            "requested_datetime": _iso(o.created_at),
            "updated_datetime": _iso(o.updated_at),
            "expected_datetime": _iso(o.due_at),
        },
    }


# ------------------------------------------------------------------------------ what peers send
class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")  # fields this version does not know are ignored


class HistoryEntryIn(_In):
    id: str = Field(min_length=1, max_length=64)
    at: AwareDatetime
    by: str = Field(min_length=1, max_length=128)  # platform/user, e.g. 110/dispatcher-7
    status: Status
    action: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=4000)
    seq: int = Field(default=0, ge=0)
    data: dict[str, Any] = Field(default_factory=dict)


class OrderIn(_In):
    id: str
    number: str | None = Field(default=None, max_length=32, pattern=r"^[0-9A-Za-z-]+$")
    origin_platform: Platform
    target_platform: Platform
    caller_number: str = Field(default="", max_length=64)
    caller_name: str | None = Field(default=None, max_length=64)
    event_time: AwareDatetime | None = None
    event_time_text: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=500)
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    request_text: str = Field(max_length=20000)
    category: str | None = Field(default=None, max_length=64)
    category_name: str | None = Field(default=None, max_length=128)
    emergency: bool = False
    decision: dict[str, Any] | None = None
    source_call_id: str | None = Field(default=None, max_length=64)
    recording: str | None = Field(default=None, max_length=512)
    profile: str = Field(default="national", max_length=32)
    created_at: AwareDatetime
    deadlines: dict[str, float] | None = None
    history: list[HistoryEntryIn] = Field(min_length=1, max_length=1000)

    @field_validator("id")
    @classmethod
    def _uuid(cls, v: str) -> str:
        try:
            return str(uuid.UUID(v))
        except ValueError:
            raise ValueError("must be a UUID") from None


class EventIn(_In):
    type: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    timestamp: AwareDatetime | None = None
    data: OrderIn


class InvalidDocument(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_event(raw: Any) -> EventIn:
    """A delivery's body, validated; the first error names its field (data.history[0].at)."""
    try:
        return EventIn.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        field = ""
        for part in err["loc"]:
            field += f"[{part}]" if isinstance(part, int) else ("." if field else "") + str(part)
        raise InvalidDocument(field or "(body)", err["msg"]) from None
