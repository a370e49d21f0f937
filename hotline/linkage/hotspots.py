"""高频诉求、民意热点: recent calls and orders grouped into topics, ranked by count and growth.

Each call (and each order, counted once with the call it came from) becomes one item: its words,
category and place. Items are grouped by text similarity — TF-IDF over character n-grams (Chinese
needs no word segmentation for this), with the category and the place as extra features so that the
same matter at the same place comes together — and average-linkage agglomerative clustering
(scikit-learn) with a cosine distance threshold. A topic needs at least two items.

The table follows the TeddyCup 2020 task-2 hotspot table: rank, topic, heat index, time range,
place / people, description. Heat = count × (1 + growth), growth = how much more the topic was
raised in the second half of the window than in the first (clipped to −0.5 … 2).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from hotline.linkage import fields as extract
from hotline.linkage.models import Order
from hotline.store.models import Call

MAX_ITEMS = 3000  # the most recent ones: the distance matrix is n² floats
DISTANCE = 0.72  # cosine distance under which items are one matter (set by reading the groups on TeddyCup's messages)
_PEOPLE = re.compile(
    r"(老人|老年人|孩子|儿童|学生|小学生|业主|居民|村民|商户|司机|农民工|工人|租户|患者|残疾人|外卖员|快递员)"
)


@dataclass
class Item:
    ref: str  # order:<number> or call:<uniqueid>
    text: str
    category: str
    category_name: str
    place: str
    at: datetime


def collect(calllog, since: datetime, until: datetime) -> list[Item]:
    items: list[Item] = []
    with calllog.session() as s:
        orders = list(
            s.scalars(
                select(Order).where(Order.created_at >= since, Order.created_at < until).order_by(Order.created_at)
            )
        )
        from_orders = {o.source_call_id for o in orders if o.source_call_id}
        for o in orders:
            if o.request_text.strip():
                items.append(
                    Item(
                        f"order:{o.number}",
                        o.request_text,
                        o.category or "",
                        o.category_name or o.category or "",
                        o.location or "",
                        o.created_at,
                    )
                )
        naive_since, naive_until = since.replace(tzinfo=None), until.replace(tzinfo=None)  # the call log is naive UTC
        calls = s.execute(
            select(Call.uniqueid, Call.transcript, Call.category, Call.route, Call.started_at)
            .where(Call.started_at >= naive_since, Call.started_at < naive_until, Call.transcript != "")
            .order_by(Call.started_at.desc())
            .limit(MAX_ITEMS)
        ).all()
    for uid, text, cat, route, started in calls:
        if uid in from_orders:
            continue
        items.append(
            Item(
                f"call:{uid}",
                text,
                cat or "",
                (route or {}).get("category_name") or cat or "",
                extract.location(text) or "",
                started.replace(tzinfo=UTC),
            )
        )
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:MAX_ITEMS]


def cluster(items: list[Item], distance: float = DISTANCE) -> list[list[int]]:
    """Groups of item indexes (each group one matter), largest first; singletons included."""
    if len(items) < 2:
        return [[i] for i in range(len(items))]
    from scipy.sparse import hstack
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_distances
    from sklearn.preprocessing import normalize

    texts = [re.sub(r"[\s\W_]+", " ", i.text) for i in items]
    words = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, min_df=1).fit_transform(texts)
    tags = [f"c_{i.category or 'none'} " + (f"p_{i.place}" if i.place else "") for i in items]
    meta = TfidfVectorizer(analyzer=lambda t: t.split(), use_idf=False, norm="l2").fit_transform(tags)
    x = normalize(hstack([words, 0.6 * meta]).tocsr())
    dist = cosine_distances(x)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=distance
    ).fit_predict(dist)
    groups: dict[int, list[int]] = {}
    for idx, lab in enumerate(labels):
        groups.setdefault(int(lab), []).append(idx)
    return sorted(groups.values(), key=len, reverse=True)


def hotspots(
    calllog,
    days: float = 7,
    top: int = 20,
    now: datetime | None = None,
    tz: str = "Asia/Shanghai",
    min_count: int = 2,
) -> dict:
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    items = collect(calllog, since, now)
    mid = since + (now - since) / 2
    zone = ZoneInfo(tz)
    rows = []
    for group in cluster(items):
        if len(group) < min_count:
            continue
        its = [items[i] for i in group]
        first = sum(1 for i in its if i.at < mid)
        second = len(its) - first
        growth = float(np.clip((second - first) / max(first, 1), -0.5, 2.0))
        heat = len(its) * (1 + growth)
        cats = Counter(i.category_name for i in its if i.category_name)
        places = Counter(i.place for i in its if i.place)
        people = Counter(m for i in its for m in _PEOPLE.findall(i.text))
        cat = cats.most_common(1)[0][0] if cats else "未分类"
        place = places.most_common(1)[0][0] if places else ""
        start, end = min(i.at for i in its).astimezone(zone), max(i.at for i in its).astimezone(zone)
        # the description: the item most like the others (the medoid)
        rep = _medoid(its)
        rows.append(
            {
                "topic": f"{cat}·{place}" if place else cat,
                "heat": round(heat, 1),
                "count": len(its),
                "growth": round(growth, 2),
                "time_range": f"{start:%Y/%m/%d} 至 {end:%Y/%m/%d}",
                "place_people": "、".join(
                    [p for p, _ in places.most_common(2)] + [p for p, _ in people.most_common(2)]
                ),
                "description": rep.text[:200],
                "category": Counter(i.category for i in its).most_common(1)[0][0],
                "refs": [i.ref for i in its[:20]],
            }
        )
    rows.sort(key=lambda r: (-r["heat"], -r["count"], r["topic"]))
    for rank, r in enumerate(rows[:top], 1):
        r["rank"] = rank
    return {
        "window": {"from": since.astimezone(zone).isoformat(), "to": now.astimezone(zone).isoformat(), "days": days},
        "items": len(items),
        "hotspots": rows[:top],
    }


def _medoid(its: list[Item]) -> Item:
    if len(its) <= 2:
        return its[0]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    x = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)).fit_transform([i.text for i in its])
    return its[int(np.argmax(cosine_similarity(x).sum(axis=1)))]
