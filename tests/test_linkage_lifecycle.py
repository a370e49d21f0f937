"""Work orders, fast: working days, field extraction, the lifecycle fold, creation at decision time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.linkage import fields
from hotline.linkage.deadlines import add_working_days, is_working_day
from hotline.linkage.lifecycle import LifecycleError, entry, fold, merge_history
from hotline.linkage.models import Order, OutboxMessage
from hotline.linkage.orders import OrderBook, order_target
from hotline.profile import load_profile
from hotline.router import route_call
from tests.linkage_sides import store

CN = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a Tuesday


# ------------------------------------------------------------------------------ working days
def test_working_days_follow_the_official_calendar():
    # Mid-Autumn Festival (Fri 2026-09-25), National Day week, and Saturday 2026-10-10 an adjusted workday
    assert not is_working_day(datetime(2026, 9, 25).date())
    assert is_working_day(datetime(2026, 10, 10).date())
    due = add_working_days(datetime(2026, 9, 24, 10, tzinfo=CN), 5, "Asia/Shanghai")
    assert due.astimezone(CN) == datetime(2026, 10, 10, 0, 0, tzinfo=CN)  # the end of Friday 10-09
    due = add_working_days(datetime(2026, 10, 8, 10, tzinfo=CN), 2, "Asia/Shanghai")
    assert due.astimezone(CN) == datetime(2026, 10, 11, 0, 0, tzinfo=CN)  # Sat 10-10 counts


def test_a_year_the_calendar_does_not_know_counts_monday_to_friday(caplog):
    due = add_working_days(datetime(2031, 3, 7, 10, tzinfo=CN), 1, "Asia/Shanghai")  # a Friday
    assert due.astimezone(CN) == datetime(2031, 3, 11, 0, 0, tzinfo=CN)  # Monday's end


# ----------------------------------------------------------------------------------- fields
@pytest.mark.parametrize(
    ("text", "name", "place"),
    [
        ("你好，我叫王建国，从昨天晚上开始，人民路和解放路路口的路灯坏了。", "王建国", "人民路和解放路路口"),
        ("我是李明，我住在幸福小区3号楼，楼上漏水", "李明", "幸福小区3号楼"),
        ("我姓张，两个小时前在中山公园门口丢了钱包", "张（姓）", "中山公园门口"),
        ("我是这个小区的居民，垃圾没人清理", None, "小区"),
        ("我们这里的垃圾一直没人清理。", None, None),
        ("我家楼下有人在打架", None, "我家楼下"),
    ],
)
def test_name_and_place_as_said(text, name, place):
    assert fields.caller_name(text) == name
    assert fields.location(text) == place


@pytest.mark.parametrize(
    ("text", "local", "said"),
    [
        ("从昨天晚上开始路灯就不亮了", datetime(2026, 11, 23, 20, 0), "昨天晚上"),
        ("今天早上八点半井盖松动了", datetime(2026, 11, 24, 8, 30), "今天早上八点半"),
        ("下午3点有人吵架", datetime(2026, 11, 23, 15, 0), "下午3点"),  # 15:00 is still ahead at 10:00
        ("两个小时前丢了钱包", datetime(2026, 11, 24, 8, 0), "两个小时前"),
        ("刚才有人抢了我的手机", datetime(2026, 11, 24, 10, 0), "刚才"),
    ],
)
def test_event_time_resolved_against_the_call(text, local, said):
    et = fields.event_time(text, T0, "Asia/Shanghai")
    assert et.text == said
    assert et.at.astimezone(CN).replace(tzinfo=None) == local


def test_no_time_said_is_none():
    assert fields.event_time("垃圾一直没人清理", T0, "Asia/Shanghai") is None


def test_region_code_from_the_profile_and_the_district_named():
    tj = load_profile("tianjin")
    assert fields.region_code("和平区南京路", tj) == "120101"
    assert fields.region_code("人民路", tj) == "120000"
    assert fields.region_code("人民路", load_profile("national")) is None


# -------------------------------------------------------------------------------- lifecycle
DL = {"accept_minutes": 60, "return_working_days": 2, "reply_working_days": 5, "reply_max_working_days": 10}


def _h(action, status, minutes, by, seq, **data):
    return entry(action, status, T0 + timedelta(minutes=minutes), by, seq, data.pop("note", ""), data)


def test_fold_walks_the_lifecycle_and_its_deadlines():
    h = [_h("created", "received", 0, "110/ivr", 1)]
    st = fold(h, T0, DL, "Asia/Shanghai")
    assert st.status == "received" and st.due_at == T0 + timedelta(hours=1)
    h.append(_h("accepted", "accepted", 10, "12345/alice", 2))
    st = fold(h, T0, DL, "Asia/Shanghai")
    assert st.status == "accepted" and st.accepted_at == T0 + timedelta(minutes=10)
    # Tue 11-24 + 5 working days = Tue 12-01, due at its end
    assert st.due_at.astimezone(CN) == datetime(2026, 12, 2, 0, 0, tzinfo=CN)
    h.append(_h("extended", "accepted", 20, "12345/alice", 3, reply_working_days=10))
    assert fold(h, T0, DL, "Asia/Shanghai").due_at.astimezone(CN) == datetime(2026, 12, 9, 0, 0, tzinfo=CN)
    h.append(_h("resolved", "resolved", 30, "12345/alice", 4, note="已修复"))
    h.append(_h("followed_up", "followed_up", 40, "110/system", 5, result="answered", rating=1))
    st = fold(h, T0, DL, "Asia/Shanghai")
    assert (st.status, st.result, st.rating, st.followup_result, st.due_at) == (
        "followed_up",
        "已修复",
        1,
        "answered",
        None,
    )


def test_merge_is_order_independent_and_idempotent():
    a = [_h("created", "received", 0, "110/ivr", 1)]
    mine = [*a, _h("note", "received", 5, "110/bob", 2, note="催一下")]
    theirs = [*a, _h("accepted", "accepted", 4, "12345/alice", 2)]
    m1, new1 = merge_history(mine, theirs)
    m2, new2 = merge_history(theirs, mine)
    assert [e["id"] for e in m1] == [e["id"] for e in m2]
    assert len(new1) == 1 and len(new2) == 1
    again, none = merge_history(m1, theirs)
    assert again == m1 and none == []
    assert fold(m1, T0, DL, "Asia/Shanghai").status == "accepted"


def test_a_later_change_sorts_after_what_it_saw_even_with_a_slow_clock():
    created = _h("created", "received", 0, "110/ivr", 1)
    resolved = _h("resolved", "resolved", 30, "12345/a", 3, note="ok")
    # the origin's clock is 10 minutes behind, but it had seen seq 3
    followed = entry("followed_up", "followed_up", T0 + timedelta(minutes=25), "110/system", 4, "", {"rating": 2})
    st = fold([followed, resolved, created], T0, DL, "Asia/Shanghai")
    assert st.status == "followed_up" and st.rating == 2


def test_a_foreign_entry_with_only_a_status_moves_the_order():
    h = [_h("created", "received", 0, "110/ivr", 1)]
    foreign = {"id": "x-1", "at": (T0 + timedelta(minutes=3)).isoformat(), "by": "12345/ext", "status": "accepted"}
    merged, fresh = merge_history(h, [foreign])
    assert fresh[0]["seq"] == 2  # after what this side had
    assert fold(merged, T0, DL, "Asia/Shanghai").status == "accepted"


# ------------------------------------------------------------------------ creation and actions
@pytest.fixture
def log(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_PLATFORM", "110")
    return store(f"sqlite:///{tmp_path / 'orders.db'}")


def _call(log, uid, platform, text):
    log.open_call(uid, platform, "13800138000", "tianjin")
    log.update(uid, transcript=text, recording_path=f"/var/lib/x/{uid}.wav")
    d = route_call(text, platform=platform, profile="tianjin")
    fields = {"action": d.action, "target": d.target, "category": d.category, "route": d.to_dict()}
    # as the journal's writer applies a decision (hotline/store/journal.py)
    log.apply_decision(uid, fields, datetime.now(UTC).replace(tzinfo=None), {"action": d.action}, f"j-{uid}")
    return _order_of(log, uid)


def _order_of(log, uid):
    found = [e.detail["id"] for e in log.events(uid) if e.kind == "order"]
    assert len(found) <= 1
    return found[0] if found else None


def test_a_call_transferred_to_the_other_platform_makes_an_order_and_its_delivery(log):
    oid = _call(log, "c1", "110", "我叫王建国，昨天晚上开始，和平区人民路和解放路路口的路灯坏了")
    assert oid is not None
    with log.session() as s:
        o = s.get(Order, oid)
        out = list(s.scalars(select(OutboxMessage)))
        call = log.get("c1")
    assert (o.origin_platform, o.target_platform, o.status) == ("110", "12345", "received")
    assert o.number.startswith("110-") and o.number.endswith("-000001")
    assert (o.caller_number, o.caller_name, o.region_code) == ("13800138000", "王建国", "120101")
    assert o.location == "和平区人民路和解放路路口" and o.event_time_text == "昨天晚上"
    assert o.category == call.category == "tj_public_service" and o.category_name
    assert o.decision["action"] == "transfer" and o.decision["matched"]
    assert o.source_call_id == "c1" and o.recording == "/var/lib/x/c1.wav"
    assert o.history[0]["by"] == "110/ivr" and o.due_at == o.created_at + timedelta(hours=1)
    assert [(m.peer, m.type) for m in out] == [("12345", "order.created")]
    assert call.action == "transfer"
    kinds = [e.kind for e in log.events("c1")]
    assert "decision" in kinds and "order" in kinds


def test_a_call_kept_or_guided_makes_no_order(log):
    assert _call(log, "c2", "110", "有人在银行门口抢劫") is None  # 110 keeps it
    assert _call(log, "c3", "12345", "我想咨询一下社保卡怎么补办") is None
    with log.session() as s:
        assert s.scalar(select(Order)) is None and s.scalar(select(OutboxMessage)) is None


def test_order_target_rules():
    assert order_target({"action": "transfer", "target": "12345"}, "110") == "12345"
    assert order_target({"action": "conference", "target": "110"}, "12345") == "110"
    assert order_target({"action": "transfer", "target": "119"}, "12345") is None
    assert order_target({"action": "accept", "target": "12345", "work_order": None}, "12345") is None


def test_actions_are_checked_by_status_and_side(tmp_path):
    db = store(f"sqlite:///{tmp_path / 'x.db'}")
    origin, target = OrderBook("110"), OrderBook("12345")
    with db.session() as s:
        o = origin.create(s, origin="110", target="12345", request_text="路灯坏了", by="110/alice")
        with pytest.raises(LifecycleError, match="only the target"):
            origin.act(s, o, "accept", "alice")
        with pytest.raises(LifecycleError, match="not allowed while"):
            target.act(s, o, "resolve", "bob", note="done")
        with pytest.raises(LifecycleError, match="say why"):
            target.act(s, o, "return", "bob")
        target.act(s, o, "accept", "bob")
        target.act(s, o, "feedback", "bob", note="已派维修")
        with pytest.raises(LifecycleError, match="between 1 and 10"):
            target.act(s, o, "extend", "bob", data={"reply_working_days": 20})
        target.act(s, o, "resolve", "bob", note="已修复")
        assert o.status == "resolved" and o.result == "已修复"
        assert [e["action"] for e in o.history] == ["created", "accepted", "feedback", "resolved"]
        assert [e["seq"] for e in o.history] == [1, 2, 3, 4]
        n = len(list(s.scalars(select(OutboxMessage))))
    assert n == 4  # created + three changes, each told to the other side


def test_numbers_count_per_day_and_platform(tmp_path):
    db = store(f"sqlite:///{tmp_path / 'x.db'}")
    book = OrderBook("12345")
    with db.session() as s:
        a = book.create(s, origin="12345", target="110", request_text="a", by="x", now=T0)
        s.flush()
        b = book.create(s, origin="12345", target="110", request_text="b", by="x", now=T0)
        s.flush()
        c = book.create(s, origin="12345", target="110", request_text="c", by="x", now=T0 + timedelta(days=1))
    assert [a.number, b.number, c.number] == ["12345-20261124-000001", "12345-20261124-000002", "12345-20261125-000001"]


def test_the_decision_and_its_order_are_one_transaction(log, monkeypatch):
    def broken(self, s, call, decision, now=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(OrderBook, "create_from_call", broken)
    log.open_call("c9", "110", "13800138000", "national")
    d = route_call("人民路的路灯坏了", platform="110")
    with pytest.raises(RuntimeError):
        log.apply_decision("c9", {"action": d.action, "route": d.to_dict()}, datetime.now(UTC), {}, "j-c9")
    assert log.get("c9").action is None  # nothing half-written
    assert "decision" not in [e.kind for e in log.events("c9")]


def test_a_decision_replayed_by_the_journal_makes_no_second_order(log):
    oid = _call(log, "c10", "110", "人民路的路灯坏了")
    d = route_call("人民路的路灯坏了", platform="110", profile="tianjin")
    fields = {"action": d.action, "target": d.target, "route": d.to_dict()}
    assert log.apply_decision("c10", fields, datetime.now(UTC), {}, "j-c10")  # the same journal entry again
    with log.session() as s:
        assert [o.id for o in s.scalars(select(Order))] == [oid]


def test_a_push_item_of_a_city_scheme_makes_an_order(log):
    d = route_call("小区里的路灯坏了", platform="110", profile="ningguo")
    assert d.work_order == "push"
    assert order_target(d.to_dict(), "110") == "12345"


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("followup: {hours: ['20:00-08:00']}", "followup.hours"),
        ("followup: {attempts: 0}", "followup.attempts"),
        ("deadlines: {reply_working_days: 12, reply_max_working_days: 10}", "deadlines"),
        ("region: {code: '12', name: x}", "region.code"),
    ],
)
def test_profile_linkage_sections_are_validated(tmp_path, section, field):
    from hotline.profile import ProfileError, load_profile_path

    p = tmp_path / "bad.yaml"
    p.write_text(f"id: bad\nname: 坏\nextends: national\n{section}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=field.replace(".", r"\.")):
        load_profile_path(p)
