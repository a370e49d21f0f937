"""`hotline train`: build the learned layer from the labeled training files, reproducibly.

Same files, same code and libraries -> the same bytes, hence the same sha256: rows in file order,
fixed folds and seeds, single-threaded solvers, weights stored as float32, JSON with sorted keys.

Steps: read every training file (any format) -> one row per distinct (profile, text) -> run the
rules of that profile on it (their findings are features too) -> a vocabulary of the tokens seen at
least MIN_DF times -> two logistic regressions (emergency, owner) and category prototypes ->
out-of-fold probabilities (FOLDS folds; a line and its generated variants stay in one) for the Platt
calibration of the emergency head and for the thresholds -> the artifact.

Thresholds (see hotline/router/combine.py for how they are used), from the out-of-fold predictions of
the training rows together with the dev split's rows when it exists (never the test split):
- ``emergency``: the highest probability at which the rules OR the model catch at least
  ``EMERGENCY_RECALL`` of the emergencies, unless that raises false emergencies above ``MAX_FALSE``;
- ``hint``: the highest probability that still catches every emergency, within ``MAX_HINT_FALSE``;
- ``owner``: the lowest probability at which the model's owner is right ``OWNER_PRECISION`` of the time;
- ``emergency_narrative`` / ``owner_narrative``: the same, on the narrative rows alone (longer than a
  spoken request), never below the general ones; 1.01 (the model stays silent) without enough of them.
"""

from __future__ import annotations

import io
import json
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from hotline.understanding.data import Example, data_version, read_files, read_split
from hotline.understanding.features import FEATURES_VERSION, Vectorizer, rule_tokens, text_tokens
from hotline.understanding.model import FORMAT, MODEL_FILE, WEIGHTS_FILE, artifact_sha256

SEED = 20240601
FOLDS = 4
MIN_DF = 3
C_EMERGENCY = 16.0
C_OWNER = 8.0
CENTROID_TOP = 300
CENTROID_TEMPERATURE = 0.05  # softmax over cosine similarities / this
EMERGENCY_RECALL = 0.99
MAX_FALSE = 0.04
MAX_HINT_FALSE = 0.15
OWNER_PRECISION = 0.9
OWNER_FLOOR = 0.5
MIN_WEAK_ROWS = 30
MIN_CATEGORY_ROWS = 30
MIN_NARRATIVE_POS = 5
MIN_NARRATIVE_NEG = 30


_VARIANT = re.compile(r"-(p\d+|asr)$")  # generated variants: w0001-p1, w0001-asr


@dataclass
class Row:
    profile: str
    text: str
    tokens: list[str]
    emergency: int | None
    owner: str
    category: str
    targets: tuple[str, ...]
    rules_emergency: bool
    rules_weak: bool  # the rules found nothing or only weakly: where the model's owner may decide
    rules_category: str | None
    rules_owner: str | None
    narrative: bool  # longer than a spoken request (a written message, a long monologue)
    group: str = ""  # the line it comes from (a generated variant shares its original's)


def featurize(examples: Sequence[Example], dedupe: bool = True) -> list[Row]:
    """Run the rules (no model) on each example; its tokens and labels. dedupe: one row per text."""
    from hotline.profile import load_profile
    from hotline.router.decide import Router
    from hotline.understanding.features import category_owner

    routers: dict[str, Router] = {}
    rows: list[Row] = []
    seen: set[tuple[str, str]] = set()
    for ex in examples:
        key = (ex.profile, ex.text)
        if dedupe and key in seen:
            continue
        seen.add(key)
        r = routers.get(ex.profile) or routers.setdefault(ex.profile, Router(load_profile(ex.profile)))
        found = r.find(ex.text)
        d = r.decide(found, ex.platform, 1)
        cat = r.category(d.category) if d.category else None
        rows.append(
            Row(
                profile=ex.profile,
                text=ex.text,
                tokens=text_tokens(found.text) + rule_tokens(found, d, r),
                emergency=ex.emergency,
                owner=ex.owner,
                category=ex.category,
                targets=ex.targets,
                rules_emergency=d.emergency,
                rules_weak=d.rule in ("no-match", "low-confidence"),
                rules_category=d.category if cat is not None else None,
                rules_owner=category_owner(cat) if cat is not None else None,
                narrative=found.narrative,
                group=f"{ex.profile}:{_VARIANT.sub('', ex.id)}",
            )
        )
    return rows


def _category_label(r: Row) -> str:
    """The gold category, else the rules' own when they routed the row to its labeled owner (silver)."""
    if r.category:
        return r.category
    if r.rules_category and r.rules_owner == r.owner:
        return r.rules_category
    return ""


def category_centroids(x, labels: list[str]) -> dict[str, Any]:
    """One prototype per category: the mean of its rows' tf-idf vectors, its CENTROID_TOP heaviest
    features kept, unit length. Small (a few hundred numbers per category) and quick to build; the
    category only names the matter, the owner head decides where it goes."""
    classes = sorted(set(labels))
    feat, cls, weight = [], [], []
    lab = np.array(labels)
    for k, c in enumerate(classes):
        mean = np.asarray(x[lab == c].mean(axis=0)).ravel()
        top = np.argsort(-mean, kind="stable")[:CENTROID_TOP]
        top = np.sort(top[mean[top] > 0])
        w = mean[top] / np.linalg.norm(mean[top])
        feat += top.tolist()
        cls += [k] * len(top)
        weight += [float(np.float32(v)) for v in w]
    order = np.lexsort((np.array(cls), np.array(feat)))
    return {
        "classes": classes,
        "feature": [feat[i] for i in order],
        "class": [cls[i] for i in order],
        "weight": [weight[i] for i in order],
        "temperature": CENTROID_TEMPERATURE,
    }


def _lr(c: float, balanced: bool):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=c, class_weight="balanced" if balanced else None, max_iter=3000, solver="lbfgs", random_state=SEED
    )


def _oof(make, x, y, groups: Sequence[str], folds: int = FOLDS) -> np.ndarray:
    """Out-of-fold decision values (binary) or probabilities (multiclass), fixed folds. A line and
    the variants generated from it (w0001, w0001-p1, w0001-asr) stay in one fold: else the model
    would be scored on near-copies of what it trained on."""
    from sklearn.model_selection import StratifiedGroupKFold

    y = np.asarray(y)
    classes = sorted(set(y.tolist()))
    counts = {c: int((y == c).sum()) for c in classes}
    binary = len(classes) == 2 and set(classes) <= {0, 1}
    out = np.zeros(len(y)) if binary else np.zeros((len(y), len(classes)))
    strat = np.array([str(c) if counts[c] >= folds else "__rare__" for c in y.tolist()])
    skf = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for tr, te in skf.split(np.zeros(len(y)), strat, np.asarray(groups)):
        m = make().fit(x[tr], y[tr])
        if binary:
            out[te] = m.decision_function(x[te])
        else:
            p = m.predict_proba(x[te])
            for j, c in enumerate(m.classes_):
                out[te, classes.index(c)] = p[:, j]
    return out


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000).fit(z.reshape(-1, 1), y)
    return float(m.coef_[0, 0]), float(m.intercept_[0])


def _sigmoid(z: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(a * z + b)))


def tune_emergency(p: np.ndarray, y: np.ndarray, rules: np.ndarray) -> dict[str, Any]:
    """Thresholds for emergency and hint from probabilities p, labels y (0/1) and the rules' flags."""
    pos, neg = y == 1, y == 0
    cands = sorted({round(float(v), 4) for v in p} | {0.5}, reverse=True)

    def rates(t: float) -> tuple[float, float]:
        flag = rules | (p >= t)
        return float(flag[pos].mean()) if pos.any() else 1.0, float(flag[neg].mean()) if neg.any() else 0.0

    emergency = 0.5
    for t in cands:  # descending: the first t that reaches the recall goal, if false alarms allow it
        rec, fa = rates(t)
        if fa > MAX_FALSE:
            break
        emergency = t
        if rec >= EMERGENCY_RECALL:
            break
    hint = emergency
    for t in cands:
        if t > emergency:
            continue
        rec, fa = rates(t)
        if fa > MAX_HINT_FALSE:
            break
        hint = t
        if rec >= 1.0:
            break
    er, ef = rates(emergency)
    hr, hf = rates(hint)
    return {
        "emergency": emergency,
        "hint": hint,
        "at_emergency": {"recall": round(er, 4), "false": round(ef, 4)},
        "at_hint": {"recall": round(hr, 4), "false": round(hf, 4)},
    }


def tune_owner(prob: np.ndarray, classes: list[str], rows: list[Row]) -> float:
    """The lowest owner probability at which the model's owner is right OWNER_PRECISION of the time,
    on the rows where it is used (the rules found nothing or only weakly) when there are enough; never
    below OWNER_FLOOR (the owner must be likelier than all the others together)."""
    weak = [i for i, r in enumerate(rows) if r.rules_weak]
    if len(weak) >= MIN_WEAK_ROWS:
        prob, rows = prob[weak], [rows[i] for i in weak]
    best = prob.max(axis=1)
    pred = [classes[i] for i in prob.argmax(axis=1)]
    right = np.array([pr == r.owner for pr, r in zip(pred, rows, strict=True)])
    order = np.argsort(-best, kind="stable")
    threshold, hits = 0.9, 0
    for n, i in enumerate(order, 1):
        hits += right[i]
        if hits / n >= OWNER_PRECISION:
            threshold = float(best[i])
    return round(max(threshold, OWNER_FLOOR), 4)


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in ("scikit-learn", "numpy", "scipy"):
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "-"
    return out


def train(
    files: Sequence[str | Path], out: str | Path, tune_examples: Sequence[Example] = (), tune_name: str = ""
) -> dict[str, Any]:
    """Train on `files`, write the artifact into `out`; returns its metadata (sha256 included)."""
    from threadpoolctl import threadpool_limits

    files = [Path(f) for f in files]
    with threadpool_limits(1):
        meta, weights = _fit(files, list(tune_examples), tune_name)
    buf = io.BytesIO()
    np.save(buf, weights, allow_pickle=False)
    raw = buf.getvalue()
    meta["sha256"] = artifact_sha256(meta, raw)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / WEIGHTS_FILE).write_bytes(raw)
    text = json.dumps(meta, sort_keys=True, ensure_ascii=False, indent=0, separators=(",", ":"))
    (out / MODEL_FILE).write_text(text + "\n", encoding="utf-8")
    return meta


def _fit(files: list[Path], tune_examples: list[Example], tune_name: str) -> tuple[dict[str, Any], np.ndarray]:
    examples = read_files(files)
    rows = featurize(examples)
    vec = Vectorizer.fit([r.tokens for r in rows], MIN_DF)
    x = vec.matrix([r.tokens for r in rows])
    heads: dict[str, Any] = {}
    columns: list[np.ndarray] = []
    col = 0

    def add(name: str, model, classes: list, extra: dict[str, Any]) -> None:
        nonlocal col
        coef = np.asarray(model.coef_, dtype=np.float64)
        icpt = np.asarray(model.intercept_, dtype=np.float64)
        if len(classes) == 2 and coef.shape[0] == 1 and name != "emergency":
            coef, icpt = np.vstack([-coef, coef]) / 2, np.array([-icpt[0], icpt[0]]) / 2
        columns.append(coef.T)
        heads[name] = {
            "classes": classes,
            "intercept": [float(np.float32(v)) for v in icpt],
            "columns": [col, col + coef.shape[0]],
            **extra,
        }
        col += coef.shape[0]

    # emergency: rows labeled 1 / 0
    em_rows = [i for i, r in enumerate(rows) if r.emergency is not None]
    y_em = np.array([rows[i].emergency for i in em_rows])
    x_em = x[em_rows]
    z_oof = _oof(lambda: _lr(C_EMERGENCY, True), x_em, y_em, [rows[i].group for i in em_rows])
    a, b = _platt(z_oof, y_em)
    m_em = _lr(C_EMERGENCY, True).fit(x_em, y_em)
    add("emergency", m_em, [0, 1], {"calibration": [a, b]})
    p_oof = _sigmoid(z_oof, a, b)

    # owner: every row
    y_ow = np.array([r.owner for r in rows])
    owners = sorted(set(y_ow.tolist()))
    p_ow = _oof(lambda: _lr(C_OWNER, False), x, y_ow, [r.group for r in rows])
    m_ow = _lr(C_OWNER, False).fit(x, y_ow)
    add("owner", m_ow, [str(c) for c in m_ow.classes_], {})

    # category: gold labels, else the rules' own where they agree with the labeled owner
    cat_labels = [_category_label(r) for r in rows]
    cat_rows = [i for i, c in enumerate(cat_labels) if c]
    n_gold = sum(1 for r in rows if r.category)
    if len(cat_rows) >= MIN_CATEGORY_ROWS and len({cat_labels[i] for i in cat_rows}) >= 2:
        heads["category"] = {
            **category_centroids(x[cat_rows], [cat_labels[i] for i in cat_rows]),
            "rows": len(cat_rows),
            "gold": n_gold,
        }

    # thresholds: out-of-fold on the training rows, plus the dev rows scored by the final model
    p_t, y_t, rules_t = p_oof, y_em, np.array([rows[i].rules_emergency for i in em_rows])
    owner_prob, owner_rows = p_ow, rows
    tuned_on = [f"{FOLDS}-fold cross-validation on the training rows"]
    if tune_examples:
        trows = featurize(tune_examples, dedupe=False)
        tx = vec.matrix([r.tokens for r in trows])
        keep = [i for i, r in enumerate(trows) if r.emergency is not None]
        p_dev = _sigmoid(m_em.decision_function(tx[keep]), a, b)
        p_t = np.concatenate([p_t, p_dev])
        y_t = np.concatenate([y_t, [trows[i].emergency for i in keep]])
        rules_t = np.concatenate([rules_t, [trows[i].rules_emergency for i in keep]])
        pd = m_ow.predict_proba(tx)
        aligned = np.zeros((len(trows), len(owners)))
        for j, c in enumerate(m_ow.classes_):
            aligned[:, owners.index(c)] = pd[:, j]
        owner_prob = np.vstack([owner_prob, aligned])
        owner_rows = rows + trows
        tuned_on.append(f"{tune_name or 'tuning'} split ({len(trows)} rows, scored by the final model)")
    em_th = tune_emergency(p_t, y_t.astype(int), rules_t.astype(bool))
    owner_th = tune_owner(owner_prob, owners, owner_rows)
    # Narratives (written messages, long monologues) read unlike the short requests most rows are:
    # their own thresholds, tuned on their own rows, or the model stays silent on them (1.01).
    em_rows_all = [rows[i] for i in em_rows] + ([trows[i] for i in keep] if tune_examples else [])
    narr = np.array([r.narrative for r in em_rows_all])
    y_n = y_t.astype(int)[narr]
    narrative_th = {"emergency_narrative": 1.01, "owner_narrative": 1.01}
    if (y_n == 1).sum() >= MIN_NARRATIVE_POS and (y_n == 0).sum() >= MIN_NARRATIVE_NEG:
        n_th = tune_emergency(p_t[narr], y_n, rules_t.astype(bool)[narr])
        narrative_th["emergency_narrative"] = max(n_th["emergency"], em_th["emergency"])
    narr_rows = [i for i, r in enumerate(owner_rows) if r.narrative]
    if len(narr_rows) >= MIN_NARRATIVE_NEG:
        narrative_th["owner_narrative"] = max(
            owner_th, tune_owner(owner_prob[narr_rows], owners, [owner_rows[i] for i in narr_rows])
        )

    weights = np.hstack(columns).astype(np.float32)
    # out-of-fold figures of the model alone, for the record
    oof_em_recall = float(((p_oof >= em_th["emergency"]) & (y_em == 1)).sum() / max(1, (y_em == 1).sum()))
    oof_owner_acc = float(np.mean([owners[i] == r.owner for i, r in zip(p_ow.argmax(axis=1), rows, strict=True)]))
    meta = {
        "format": FORMAT,
        "features_version": FEATURES_VERSION,
        "data_version": data_version(files),
        "data_files": [f.name for f in sorted(files)],
        "libraries": library_versions(),
        "params": {
            "seed": SEED,
            "folds": FOLDS,
            "min_df": MIN_DF,
            "C": {"emergency": C_EMERGENCY, "owner": C_OWNER},
            "category_centroids": {"top": CENTROID_TOP, "temperature": CENTROID_TEMPERATURE},
            "goals": {
                "emergency_recall": EMERGENCY_RECALL,
                "max_false": MAX_FALSE,
                "max_hint_false": MAX_HINT_FALSE,
                "owner_precision": OWNER_PRECISION,
            },
        },
        "rows": {"examples": len(examples), "distinct": len(rows), "emergency_labeled": len(em_rows)},
        "thresholds": {
            "emergency": em_th["emergency"],
            "hint": em_th["hint"],
            "owner": owner_th,
            **narrative_th,
        },
        "tuning": {"on": tuned_on, **{k: v for k, v in em_th.items() if k.startswith("at_")}},
        "cv": {"model_alone_emergency_recall": round(oof_em_recall, 4), "owner_accuracy": round(oof_owner_acc, 4)},
        "vocabulary": vec.vocabulary,
        "idf": [float(np.float32(v)) for v in vec.idf],
        "heads": heads,
    }
    return meta, weights


def train_default(out: str | Path, tune_on_dev: bool = True) -> dict[str, Any]:
    """The project's model: the train split's files, thresholds tuned with the dev split if present."""
    from hotline.understanding.data import split_files

    files = [f for f in split_files("train") if f.is_file()]
    dev = read_split("dev") if tune_on_dev else []
    return train(files, out, dev, "dev")
