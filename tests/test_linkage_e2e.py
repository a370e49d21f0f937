"""End to end, two installations on one machine with the real Asterisk:

110 (the test Asterisk + `hotline serve` with its relay, 督办 and 回访; its own database; `hotline admin`
serving its /api/linkage/v1) and 12345 (its own database, `hotline admin` on its own port, its own
`hotline linkage relay`). A caller tells 110 about a broken street light; the call is transferred and
its order appears at 12345; 12345 accepts, gives feedback and resolves with the CLI; 110 shows the same
history; 110 calls the caller back over SIP (a SIPp phone) and the key pressed is the rating on both
sides. An order nobody accepts in time is overdue on both sides.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests
import yaml

from hotline.admin.auth import create_user, issue_token
from hotline.linkage.signing import new_secret
from hotline.sim.sipcall import PROMPTS, place_call, wav_seconds
from tests.linkage_sides import Proc, free_port, store, wait_for, write_peers

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]
HERE = Path(__file__).resolve().parent
CALLER = "13800138000"
RATING_KEY = "2"  # 基本满意


def _profiles(d: Path) -> None:
    d.mkdir(exist_ok=True)
    (d / "e2e.yaml").write_text(
        "id: e2e\nname: 端到端测试\nextends: national\n"
        "followup: {hours: ['00:00-24:00'], attempts: 2, retry_minutes: 0.2, ring_seconds: 20}\n",
        encoding="utf-8",
    )
    (d / "e2e_fast.yaml").write_text(  # an order that must be accepted within 3 seconds
        "id: e2e_fast\nname: 端到端测试（短时限）\nextends: national\n"
        "deadlines: {accept_minutes: 0.05, remind_every_hours: 1}\n"
        "followup: {hours: ['00:00-24:00']}\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def linked(pbx, service, test_env, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("linkage")
    secret = new_secret()
    port110, port12345, uas = free_port(), free_port(), free_port()
    _profiles(tmp / "profiles")
    common = {
        "HOTLINE_PROFILE": "e2e",
        "HOTLINE_PROFILE_DIR": str(tmp / "profiles"),
        "HOTLINE_RELAY_SCHEDULE": "0,1,2,3",
        "HOTLINE_RELAY_INTERVAL_S": "0.2",
        "HOTLINE_SUPERVISE_INTERVAL_S": "1",
        "HOTLINE_FOLLOWUP_INTERVAL_S": "1",
        "HOTLINE_ADMIN_INSECURE_COOKIES": "1",
    }
    env110 = {
        **common,
        "HOTLINE_PLATFORM": "110",
        "HOTLINE_DB_URL": test_env["HOTLINE_DB_URL"],
        "HOTLINE_LINKAGE_PEERS": write_peers(
            tmp / "peers110.yaml", "12345", f"http://127.0.0.1:{port12345}/api/linkage/v1", secret
        ),
        "HOTLINE_FOLLOWUP_DIAL": f"PJSIP/caller/sip:{{number}}@127.0.0.1:{uas}",
    }
    env12345 = {
        **common,
        "HOTLINE_PLATFORM": "12345",
        "HOTLINE_DB_URL": f"sqlite:///{tmp / '12345.db'}",
        "HOTLINE_LINKAGE_PEERS": write_peers(
            tmp / "peers12345.yaml", "110", f"http://127.0.0.1:{port110}/api/linkage/v1", secret
        ),
    }
    log12345 = store(env12345["HOTLINE_DB_URL"])
    create_user(log12345, "api", "api-password-123", "admin")
    token = issue_token(log12345, "api")
    procs = [
        (Proc(["admin", "--port", str(port110)], env110, tmp / "admin110.log"), port110),
        (Proc(["admin", "--port", str(port12345)], env12345, tmp / "admin12345.log"), port12345),
        (Proc(["linkage", "relay"], env12345, tmp / "relay12345.log"), None),
    ]
    for p, port in procs:
        p.start(port)
    service.stop()
    service.start(**env110)  # the 110 installation's `hotline serve`: calls, relay, 督办, 回访
    yield {
        "env110": env110,
        "env12345": env12345,
        "api12345": f"http://127.0.0.1:{port12345}/api/linkage/v1",
        "token": token,
        "uas": uas,
        "tmp": tmp,
    }
    service.stop()
    service.start()
    for p, _ in procs:
        p.stop()


def _cli(hotline_cli, env, *args) -> dict:
    r = hotline_cli(*args, "--json", env=env)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


def _api(linked, path):
    r = requests.get(linked["api12345"] + path, headers={"Authorization": f"Bearer {linked['token']}"}, timeout=10)
    return r


def _check_openapi(resp):
    from importlib import resources

    from openapi_core import OpenAPI
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    spec = yaml.safe_load(resources.files("hotline.linkage").joinpath("openapi.yaml").read_text(encoding="utf-8"))
    OpenAPI.from_dict(spec).validate_response(RequestsOpenAPIRequest(resp.request), RequestsOpenAPIResponse(resp))


def _start_phone(linked, key: str) -> subprocess.Popen:
    """The caller's phone for the 回访 call (SIPp UAS): answers, listens, presses `key`."""
    lead = (
        1.0 + wav_seconds(PROMPTS / "followup-intro-110.wav") + 6 * 0.6 + wav_seconds(PROMPTS / "followup-resolved.wav")
    )
    scen = (HERE / "sipp" / "followup-callee.xml").read_text()
    scen = scen.replace("@RING_MS@", "1500").replace("@KEY_AT_MS@", str(int((lead + 1.5) * 1000)))
    path = linked["tmp"] / "callee.xml"
    path.write_text(scen.replace("@KEY@", key))
    return subprocess.Popen(
        ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(linked["uas"]), "-mi", "127.0.0.1",
         "-mp", str(free_port()), "-m", "1", "-nostdin", "-timeout", "150s", "-timeout_error"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=linked["tmp"],
    )  # fmt: skip


def test_spoken_call_to_110_becomes_an_order_at_12345_and_comes_back_rated(linked, pbx, hotline_cli):
    env110, env12345 = linked["env110"], linked["env12345"]
    call = place_call(HERE / "data" / "caller-streetlight.wav", platform="110", config=pbx, ref=CALLER, hold_s=6)
    assert call["action"] == "transfer" and call["outcome"] == "reached:12345", call
    assert "路灯" in call["transcript"]

    # the order, created at 110 with the decision, appears at 12345 with the call's fields
    def at_12345():
        r = _api(linked, "/orders?origin=110&per_page=200")
        return next((o for o in r.json()["orders"] if o["source_call_id"] == call["call_id"]), None)

    listed = wait_for(at_12345, 30, what="the order at 12345")
    r = _api(linked, f"/orders/{listed['id']}")
    _check_openapi(r)
    order = r.json()
    assert (order["origin_platform"], order["target_platform"], order["status"]) == ("110", "12345", "received")
    assert order["caller_number"] == CALLER
    assert order["caller_name"] == "王建国"
    assert "人民路" in order["location"] and "解放路" in order["location"]
    assert order["event_time_text"] == "昨天晚上" and order["event_time"]
    assert "路灯" in order["request_text"] and order["category"] == "public_facilities" and not order["emergency"]
    assert order["decision"]["action"] == "transfer" and order["decision"]["matched"]
    assert order["recording"] and order["due_at"] and order["created_at"] and order["number"].startswith("110-")
    assert order["history"][0]["by"] == "110/ivr"
    num = order["number"]

    # 12345 accepts, gives feedback and resolves (its agents' CLI); 110 sees each step
    phone = _start_phone(linked, RATING_KEY)
    try:
        _cli(hotline_cli, env12345, "orders", "accept", num, "--user", "zhang", "--note", "已受理")
        _cli(hotline_cli, env12345, "orders", "feedback", num, "--user", "zhang", "--note", "已派维修人员")
        _cli(hotline_cli, env12345, "orders", "resolve", num, "--user", "zhang", "--note", "路灯已修复")
        # 110 gets the result, calls the caller back; the caller presses 2
        rated = wait_for(
            lambda: (d := _cli(hotline_cli, env110, "orders", "show", num)) and d["rating"] is not None and d,
            90,
            1,
            "the follow-up rating at 110",
        )
        out, _ = phone.communicate(timeout=60)
    finally:
        if phone.poll() is None:
            phone.kill()
    assert phone.returncode == 0, out.decode(errors="replace")[-2000:]
    assert rated["rating"] == 2 and rated["followup"]["result"] == "answered"
    assert rated["result"] == "路灯已修复"

    # both sides: the same timeline (entry for entry) and the same rating and status
    def same_everywhere():
        a = _cli(hotline_cli, env110, "orders", "show", num)
        b = _api(linked, f"/orders/{num}").json()
        ids = lambda d: [e["id"] for e in d["history"]]  # noqa: E731
        return (a, b) if ids(a) == ids(b) and a["status"] == b["status"] == "closed" else None

    a, b = wait_for(same_everywhere, 30, what="the same history on both sides")
    assert b["rating"] == 2 and b["followup"]["result"] == "answered"
    steps = [(e["action"], e["by"]) for e in b["history"]]
    assert steps == [
        ("created", "110/ivr"),
        ("accepted", "12345/zhang"),
        ("feedback", "12345/zhang"),
        ("resolved", "12345/zhang"),
        ("followed_up", "110/followup"),
        ("closed", "110/followup"),
    ]
    assert a["history"] == b["history"]


def test_an_order_not_accepted_in_time_is_overdue_on_both_sides(linked, hotline_cli):
    env110 = linked["env110"]
    created = _cli(
        hotline_cli, env110, "orders", "create", "--target", "12345", "--text", "幸福小区门口的井盖丢了",
        "--caller-number", CALLER, "--profile", "e2e_fast", "--user", "li",
    )  # fmt: skip
    num = created["number"]

    def overdue_at_12345():
        r = _api(linked, f"/orders/{num}")
        return r.status_code == 200 and r.json()["overdue"] and r.json()["escalations"] >= 1 and r

    r = wait_for(overdue_at_12345, 30, what="the order overdue at 12345")
    _check_openapi(r)
    b = r.json()
    assert b["status"] == "received" and any(
        e["action"] == "overdue" and e["by"] == "110/supervision" for e in b["history"]
    )
    a = _cli(hotline_cli, env110, "orders", "show", num)
    assert a["overdue"] and a["escalations"] >= 1
    listed = _cli(hotline_cli, linked["env12345"], "orders", "list", "--due", "overdue")
    assert num in [o["number"] for o in listed["orders"]]
