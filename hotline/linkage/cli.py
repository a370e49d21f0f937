"""`hotline orders …`, `hotline linkage relay|status|secret` and `hotline hotspots` (registered by hotline/cli.py)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

ACTIONS = ("accept", "return", "feedback", "resolve", "extend", "close", "note")


def add_parsers(sub) -> None:
    o = sub.add_parser("orders", help="work orders between 12345 and 110: list | show | create | accept | …")
    osub = o.add_subparsers(dest="orders_cmd", required=True)
    ls = osub.add_parser("list", help="orders, newest first")
    ls.add_argument("--status", default="", help="a status, or open")
    ls.add_argument("--due", default="", choices=["", "overdue", "near"])
    ls.add_argument("--platform", default="", choices=["", "12345", "110"])
    ls.add_argument("--q", default="", help="text in the request, number, caller or place")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    sh = osub.add_parser("show", help="one order with its history (by id or number)")
    sh.add_argument("ref")
    sh.add_argument("--json", action="store_true")
    cr = osub.add_parser("create", help="an order typed by an agent")
    cr.add_argument("--target", required=True, choices=["12345", "110"])
    cr.add_argument("--text", required=True, help="诉求内容")
    cr.add_argument("--caller-number", default="")
    cr.add_argument("--caller-name", default=None)
    cr.add_argument("--location", default=None)
    cr.add_argument("--category", default=None)
    cr.add_argument("--profile", default=None, help="whose deadlines (default: the site's, $HOTLINE_PROFILE)")
    cr.add_argument("--user", default=None)
    cr.add_argument("--json", action="store_true")
    for a in ACTIONS:
        p = osub.add_parser(a, help=f"{a} an order")
        p.add_argument("ref")
        p.add_argument("--note", default="", help="feedback, the result, the reason for returning")
        p.add_argument("--user", default=None, help="who does it (default: the login name)")
        if a == "extend":
            p.add_argument("--days", type=float, required=True, help="reply within this many working days in all")
        p.add_argument("--json", action="store_true")
    o.set_defaults(func=cmd_orders)

    lk = sub.add_parser("linkage", help="delivery to the peers: relay [--once] | status | secret")
    lk.add_argument("op", choices=["relay", "status", "secret"])
    lk.add_argument("--once", action="store_true", help="relay: one pass (due deliveries and 督办), then exit")
    lk.add_argument("--json", action="store_true")
    lk.set_defaults(func=cmd_linkage)

    hs = sub.add_parser("hotspots", help="高频诉求、民意热点: recent calls and orders grouped into ranked topics")
    hs.add_argument("--days", type=float, default=7, help="the window (default: the last 7 days)")
    hs.add_argument("--top", type=int, default=20)
    hs.add_argument("--json", action="store_true")
    hs.set_defaults(func=cmd_hotspots)


def _calllog():
    from hotline.config import settings
    from hotline.store import CallLog, migrate

    url = settings().db_url
    migrate(url)
    return CallLog(url)


def _find(s, ref: str):
    from sqlalchemy import select

    from hotline.cli import CommandError
    from hotline.linkage.models import Order

    o = s.get(Order, ref) or s.scalar(select(Order).where(Order.number == ref))
    if o is None:
        raise CommandError(f"no order {ref!r}")
    return o


def _print(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _line(d: dict) -> str:
    due = f" due {d['due_at'][:16]}" if d.get("due_at") else ""
    flag = " OVERDUE" if d["overdue"] else ""
    return (
        f"{d['number']}  {d['origin_platform']}->{d['target_platform']}  {d['status']:<11}{flag}{due}  "
        f"{(d.get('category_name') or '-')}: {d['request_text'][:40]}"
    )


def cmd_orders(args: argparse.Namespace) -> int:
    from hotline.cli import CommandError
    from hotline.linkage.documents import order_doc
    from hotline.linkage.lifecycle import LifecycleError
    from hotline.linkage.queries import BadOrderFilter, OrderFilter

    log = _calllog()
    book = log.orders
    user = getattr(args, "user", None) or getpass.getuser()
    if args.orders_cmd == "list":
        try:
            f = OrderFilter.from_args(
                {"status": args.status, "due": args.due, "platform": args.platform, "q": args.q},
                tz=book.tz,
            )
        except BadOrderFilter as e:
            raise CommandError(f"{e.field}: {e}") from None
        f.per_page = max(1, args.limit)
        with log.session() as s:
            total, rows = f.page_of(s)
            docs = [order_doc(o) for o in rows]
        if args.json:
            _print({"total": total, "orders": docs})
        else:
            for d in docs:
                print(_line(d))
            print(f"({total} in all)")
        return 0
    if args.orders_cmd == "show":
        with log.session() as s:
            d = order_doc(_find(s, args.ref))
        if args.json:
            _print(d)
        else:
            print(_line(d))
            for k in ("caller_name", "caller_number", "event_time", "location", "region_code", "result", "rating"):
                print(f"  {k}: {d.get(k) if d.get(k) is not None else '-'}")
            for e in d["history"]:
                act = e.get("action") or ""
                print(f"  {e['at'][:19]}  {e['by']:<18} {act:<12} {e['status']:<11} {e.get('note') or ''}")
        return 0
    try:
        with log.session() as s:
            if args.orders_cmd == "create":
                o = book.create(
                    s,
                    origin=book.platform,
                    target=args.target,
                    request_text=args.text,
                    by=f"{book.platform}/{user}",
                    caller_number=args.caller_number,
                    caller_name=args.caller_name,
                    location=args.location,
                    category=args.category,
                    profile=args.profile,
                )
            else:
                o = _find(s, args.ref)
                data = {"reply_working_days": args.days} if args.orders_cmd == "extend" else None
                book.act(s, o, args.orders_cmd, user, note=args.note, data=data)
            d = order_doc(o)
    except LifecycleError as e:
        raise CommandError(str(e)) from None
    if args.json:
        _print(d)
    else:
        print(_line(d))
    return 0


def cmd_linkage(args: argparse.Namespace) -> int:
    from hotline.cli import CommandError
    from hotline.config import settings
    from hotline.linkage.peers import PeersError
    from hotline.linkage.relay import pending_summary
    from hotline.linkage.signing import new_secret

    if args.op == "secret":
        print(new_secret())
        return 0
    cfg = settings()
    log = _calllog()
    if args.op == "status":
        st = pending_summary(log)
        if args.json:
            _print(st)
        else:
            print(f"delivered: {st['delivered']}")
            for peer, p in st["pending"].items():
                print(f"pending to {peer}: {p['count']} (oldest {p['oldest']}, attempts up to {p['max_attempts']})")
            if st["first_error"]:
                print(f"first error: {st['first_error']}")
        return 0
    import logging
    import signal
    import threading

    from hotline.agi.server import setup_logging
    from hotline.linkage.supervision import supervise
    from hotline.linkage.worker import make_relay

    setup_logging(cfg.log_level)
    try:
        relay = make_relay(log, cfg)
    except PeersError as e:
        raise CommandError(str(e)) from None
    if not relay.peers:
        logging.getLogger("hotline.linkage").warning("no peers configured (HOTLINE_LINKAGE_PEERS): nothing is sent")
    if args.once:
        supervise(log, log.orders)
        st = relay.run_once()
        relay.close()
        if args.json:
            _print({"sent": st.sent, "failed": st.failed, "waiting": st.waiting, "no_peer": st.no_peer})
        else:
            print(f"sent {st.sent}, failed {st.failed}, waiting {st.waiting}, no peer {st.no_peer}")
        return 0
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    t = threading.Thread(target=relay.run, args=(stop, cfg.relay_interval_s), name="relay")
    t.start()
    while not stop.wait(cfg.supervise_interval_s):
        try:
            supervise(log, log.orders)
        except Exception:
            logging.getLogger("hotline.linkage").exception("supervision pass failed")
    t.join()
    relay.close()
    return 0


def cmd_hotspots(args: argparse.Namespace) -> int:
    from hotline.linkage.hotspots import hotspots

    log = _calllog()
    table = hotspots(log, days=args.days, top=args.top, tz=log.orders.tz)
    if args.json:
        _print(table)
        return 0
    print(f"热点问题 {table['window']['from'][:10]} — {table['window']['to'][:10]} ({table['items']} calls/orders)")
    for h in table["hotspots"]:
        print(f"{h['rank']:>3}  {h['heat']:>7.1f}  {h['topic'][:30]:<30}  {h['time_range']}  {h['place_people'][:20]}")
        print(f"       {h['description'][:80]}")
    return 0
