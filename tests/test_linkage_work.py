"""督办 reminders, 回访 scheduling and results (AMI scripted), hotspots, and the CLI."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.linkage.followup import FollowupCaller, in_calling_hours, next_calling_time, record_attempt
from hotline.linkage.hotspots import hotspots
from hotline.linkage.models import Order, OutboxMessage, utcnow
from hotline.linkage.orders import OrderBook
from hotline.linkage.supervision import supervise
from hotline.profile import FollowupPolicy
from tests.linkage_sides import store

CN = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def log(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_PLATFORM", "110")
    return store(f"sqlite:///{tmp_path / 'w.db'}")


def _order(log, **kw) -> str:
    with log.session() as s:
        o = log.orders.create(
            s,
            origin="110",
            target="12345",
            request_text="路灯坏了",
            by="110/ivr",
            caller_number=kw.pop("caller_number", "13800138000"),
            **kw,
        )
        return o.id


def _resolve(log, oid):
    other = OrderBook("12345")
    with log.session() as s:
        o = s.get(Order, oid)
        other.act(s, o, "accept", "a")
        other.act(s, o, "resolve", "a", note="已修复")


# ------------------------------------------------------------------------------------- 督办
def test_an_order_not_accepted_in_time_is_reminded_once_per_period(log):
    oid = _order(log)
    with log.session() as s:
        created = s.get(Order, oid).created_at
    assert supervise(log, log.orders, now=created + timedelta(minutes=59)) == []
    late = created + timedelta(minutes=61)
    assert len(supervise(log, log.orders, now=late)) == 1
    assert supervise(log, log.orders, now=late + timedelta(hours=1)) == []  # not again within 24 h
    assert len(supervise(log, log.orders, now=late + timedelta(hours=25))) == 1
    with log.session() as s:
        o = s.get(Order, oid)
        types = [m.type for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert o.escalations == 2 and o.history[-1]["action"] == "overdue" and o.history[-1]["data"]["deadline"] == "accept"
    assert types == ["order.created", "order.overdue", "order.overdue"]


def test_only_the_originating_side_supervises(log):
    oid = _order(log)
    with log.session() as s:
        created = s.get(Order, oid).created_at
    assert supervise(log, OrderBook("12345"), now=created + timedelta(hours=2)) == []


# ------------------------------------------------------------------------------------- 回访
POLICY = FollowupPolicy(hours=("09:00-12:00", "14:00-20:00"), attempts=2, retry_minutes=30)


def test_calling_hours_never_at_night():
    at = lambda h, m=0: datetime(2026, 11, 24, h, m, tzinfo=CN)  # noqa: E731
    assert in_calling_hours(at(9), POLICY, "Asia/Shanghai") and not in_calling_hours(
        at(12, 30), POLICY, "Asia/Shanghai"
    )
    assert not in_calling_hours(at(23), POLICY, "Asia/Shanghai")
    assert next_calling_time(at(12, 30), POLICY, "Asia/Shanghai") == at(14)
    assert next_calling_time(at(22), POLICY, "Asia/Shanghai") == at(9) + timedelta(days=1)
    assert next_calling_time(at(10), POLICY, "Asia/Shanghai") == at(10)


def test_answered_with_a_rating_closes_a_satisfied_order(log):
    oid = _order(log)
    _resolve(log, oid)
    o = record_attempt(log, log.orders, oid, "answered", 1)
    assert (o.status, o.rating, o.followup_result) == ("closed", 1, "answered")
    oid2 = _order(log)
    _resolve(log, oid2)
    o = record_attempt(log, log.orders, oid2, "answered", 3)
    assert (o.status, o.rating) == ("followed_up", 3)  # 不满意: left for a supervisor


def test_no_answer_is_retried_then_recorded(log):
    oid = _order(log)
    _resolve(log, oid)
    o = record_attempt(log, log.orders, oid, "no_answer")
    assert o.status == "resolved" and o.followup_attempts == 1 and o.followup_next_at > utcnow()
    o = record_attempt(log, log.orders, oid, "busy")  # the national default allows 3 calls
    assert o.status == "resolved" and o.followup_attempts == 2
    o = record_attempt(log, log.orders, oid, "no_answer")
    assert (o.status, o.followup_result, o.followup_attempts) == ("followed_up", "no_answer", 3)


class ScriptedAmi:
    """Answers Originate as Asterisk would, then (when answered) raises the dialplan's UserEvent."""

    def __init__(self, caller: FollowupCaller | None = None, reason: str = "4", key: str = "2") -> None:
        self.sent: list[dict] = []
        self.caller, self.reason, self.key = caller, reason, key
        self.authenticated = True

    async def send_action(self, action: dict):
        self.sent.append(action)
        await asyncio.sleep(0.01)
        ok = self.reason == "4"
        order = next(v.split("=", 1)[1] for v in action["Variable"] if v.startswith("HL_ORDER="))
        if ok:
            asyncio.get_running_loop().call_later(
                0.05,
                lambda: asyncio.ensure_future(
                    self.caller.on_user_event(
                        None, {"UserEvent": "HotlineFollowup", "Order": order, "Status": "rated", "Rating": self.key}
                    )
                ),
            )
        return [
            {"Response": "Success", "Message": "Originate successfully queued"},
            {"Event": "OriginateResponse", "Response": "Success" if ok else "Failure", "Reason": self.reason},
        ]


def _run_followup(log, ami_reason, key="2", dial="PJSIP/{number}@caller"):
    caller = FollowupCaller(log, log.orders, None, dial)
    caller.ami = ScriptedAmi(caller, ami_reason, key)

    async def go():
        n = await caller.tick()
        for _ in range(500):  # up to 10 s on a loaded machine; it stops as soon as the call is done
            await asyncio.sleep(0.02)
            if not caller._busy:
                break
        return n

    return caller, asyncio.run(go())


def _in_hours(monkeypatch):
    monkeypatch.setattr("hotline.linkage.followup.next_calling_time", lambda now, policy, tz: now)


def test_the_caller_is_called_back_and_the_key_is_the_rating(log, monkeypatch):
    _in_hours(monkeypatch)
    oid = _order(log)
    _resolve(log, oid)
    caller, started = _run_followup(log, "4", key="2")
    assert started == 1
    action = caller.ami.sent[0]
    assert action["Channel"] == "PJSIP/13800138000@caller" and action["Context"] == "hotline-followup"
    assert f"HL_ORDER={oid}" in action["Variable"]
    with log.session() as s:
        o = s.get(Order, oid)
        assert (o.rating, o.followup_result, o.status) == (2, "answered", "closed")
        types = [m.type for m in s.scalars(select(OutboxMessage).where(OutboxMessage.order_id == oid))]
    assert types.count("order.updated") == 4  # accepted, resolved (written here by the test), followed_up, closed


def test_busy_is_an_attempt_and_nothing_rings_twice_at_once(log, monkeypatch):
    _in_hours(monkeypatch)
    oid = _order(log)
    _resolve(log, oid)
    _run_followup(log, "5")
    with log.session() as s:
        o = s.get(Order, oid)
        assert (o.status, o.followup_result, o.followup_attempts) == ("resolved", "busy", 1)
    # the retry waits retry_minutes: a tick now starts nothing
    _, started = _run_followup(log, "4")
    assert started == 0


def test_outside_calling_hours_nothing_is_dialed(log, monkeypatch):
    oid = _order(log)
    _resolve(log, oid)
    monkeypatch.setattr("hotline.linkage.followup.next_calling_time", lambda now, policy, tz: now + timedelta(hours=9))
    caller, started = _run_followup(log, "4")
    assert started == 0 and caller.ami.sent == []
    with log.session() as s:
        assert s.get(Order, oid).followup_next_at > utcnow() + timedelta(hours=8)


def test_a_number_that_cannot_be_called_ends_the_followup(log, monkeypatch):
    _in_hours(monkeypatch)
    oid = _order(log, caller_number="caller")
    _resolve(log, oid)
    caller, started = _run_followup(log, "4")
    assert started == 0 and caller.ami.sent == []
    with log.session() as s:
        assert s.get(Order, oid).followup_result == "failed"


# ----------------------------------------------------------------------------------- hotspots
def test_hotspots_rank_repeated_matters_by_count_and_growth(log):
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    texts = (
        [("人民路的路灯坏了，晚上一片漆黑", d) for d in (0.2, 0.5, 1, 1.5, 2)]  # recent and growing
        + [("幸福小区的垃圾好几天没人清理了", d) for d in (5, 5.5, 6)]  # older
        + [("我想咨询一下社保卡怎么补办", 3), ("楼上漏水把天花板泡坏了", 4)]
    )
    for i, (t, days_ago) in enumerate(texts):
        uid = f"c{i}"
        log.open_call(uid, "12345", "138", "national")
        log.update(uid, transcript=t, started_at=(now - timedelta(days=days_ago)).replace(tzinfo=None))
    table = hotspots(log, days=7, now=now)
    top = table["hotspots"]
    assert table["items"] == 10 and len(top) == 2
    assert top[0]["rank"] == 1 and "路灯" in top[0]["description"] and top[0]["count"] == 5
    assert top[0]["growth"] > 0 and top[1]["growth"] < 0 and top[0]["heat"] > top[1]["heat"]
    assert "人民路" in top[0]["place_people"] and top[0]["time_range"].endswith("2026/11/24")


# ---------------------------------------------------------------------------------------- CLI
@pytest.mark.slow  # the CLI as processes
def test_cli_orders_lifecycle(tmp_path, hotline_cli):
    env = {"HOTLINE_DB_URL": f"sqlite:///{tmp_path / 'cli.db'}", "HOTLINE_PLATFORM": "12345"}
    log = store(env["HOTLINE_DB_URL"])
    with log.session() as s:
        num = OrderBook("110").create(s, origin="110", target="12345", request_text="路灯坏了", by="110/ivr").number
    r = hotline_cli("orders", "list", "--json", env=env)
    assert r.returncode == 0 and json.loads(r.stdout)["orders"][0]["number"] == num
    assert hotline_cli("orders", "resolve", num, "--note", "x", env=env).returncode == 2  # not accepted yet
    for args in (("accept", num), ("feedback", num, "--note", "已派人"), ("resolve", num, "--note", "已修复")):
        r = hotline_cli("orders", *args, "--user", "alice", "--json", env=env)
        assert r.returncode == 0, r.stderr
    d = json.loads(hotline_cli("orders", "show", num, "--json", env=env).stdout)
    assert d["status"] == "resolved" and d["result"] == "已修复"
    assert [e["by"] for e in d["history"]] == ["110/ivr", "12345/alice", "12345/alice", "12345/alice"]
    r = hotline_cli("orders", "return", num, env=env)
    assert r.returncode == 2 and b"not allowed" in r.stderr
    st = json.loads(hotline_cli("linkage", "status", "--json", env=env).stdout)
    assert st["pending"]["110"]["count"] == 3  # told to 110 once a peer is configured
    assert hotline_cli("linkage", "secret", env=env).stdout.startswith(b"whsec_")
    r = hotline_cli("hotspots", "--json", env=env)
    assert r.returncode == 0 and "hotspots" in json.loads(r.stdout)
    once = json.loads(hotline_cli("linkage", "relay", "--once", "--json", env=env).stdout)
    # kept until a peer is configured: 3 for 110, and the created one the test wrote as 110 would
    assert once == {"sent": 0, "failed": 0, "waiting": 0, "no_peer": 4}
    bad = tmp_path / "peers.yaml"
    bad.write_text("peers: [{platform: '110', url: 'http://x', secret: 'not-a-secret'}]")
    r = hotline_cli("linkage", "relay", "--once", env={**env, "HOTLINE_LINKAGE_PEERS": str(bad)})
    assert r.returncode == 2 and b"secret" in r.stderr
