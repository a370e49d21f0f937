"""Work orders between the platforms (工单 / 警单): the closed loop 推送 → 受理 → 反馈 → 督办 → 回访 → 评价 → 办结.

models.py      the order, outbox and inbox tables
lifecycle.py   statuses, who may do what, the history fold both sides compute alike
deadlines.py   working days (China's official calendar) and each status's due time
fields.py      the work-order fields a caller's words give: name, place, time of the event
orders.py      OrderBook: create (from a call or by hand), act, merge a peer's copy, list
documents.py   the order as the linkage API sends it, and validation of what peers send
signing.py     Standard Webhooks signatures; peers.py the peers file
relay.py       the outbox relay: signed deliveries, backoff, in order per order
supervision.py 督办: overdue / near due, reminders to the peer, escalation count
followup.py    回访: the call back over AMI, its result and the caller's rating
hotspots.py    高频诉求、民意热点: recent calls and orders grouped into ranked topics
api.py         the /api/linkage/v1 blueprint (openapi.yaml describes it)
"""
