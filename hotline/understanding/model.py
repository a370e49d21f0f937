"""The learned layer at run time: load the artifact `hotline train` built, check it, predict.

The artifact is a folder (default ``understanding_model/`` in the checkout, ``HOTLINE_UNDERSTANDING_MODEL``
elsewhere) of two files written byte-for-byte reproducibly:

- ``model.json``: format, feature version, data version (sha256 of the training files), library
  versions, training figures, thresholds, the vocabulary with its idf, each head's classes,
  intercepts and column range, and ``sha256`` (of this file without that field, plus the weights);
- ``weights.npy``: one float32 matrix, a row per feature, a column per class of every head.

Two linear heads, ``emergency`` (happening now; Platt-calibrated) and ``owner`` (110 / 12345 / a
guided or emergency number / none / clarify / agent), and ``category`` prototypes (the profile's
category ids, by cosine similarity).
A prediction is a sparse dot product: well under a millisecond. scikit-learn is needed only to train.

The service never fails for the model: a missing, corrupt or stale artifact (trained on other data or
by another feature version) logs one loud line and the router decides by its rules alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hotline.understanding.features import FEATURES_VERSION, Vectorizer, rule_tokens, text_tokens

if TYPE_CHECKING:
    from hotline.router.decide import Decision, Findings, Router

log = logging.getLogger("hotline.understanding")

FORMAT = 2
MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.npy"


class ModelError(Exception):
    """The artifact is missing, unreadable, corrupt or stale; the message says which and why."""


@dataclass
class Prediction:
    p_emergency: float
    owner: str
    owner_p: float
    owners: dict[str, float]  # the top owners with their probabilities
    category: str | None
    category_p: float
    version: str
    thresholds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "p_emergency": round(self.p_emergency, 4),
            "owner": self.owner,
            "owner_p": round(self.owner_p, 4),
            "owners": {k: round(v, 4) for k, v in self.owners.items()},
            "category": self.category,
            "category_p": round(self.category_p, 4),
            "thresholds": self.thresholds,
        }


def artifact_sha256(meta: dict[str, Any], weights_bytes: bytes) -> str:
    body = {k: v for k, v in meta.items() if k != "sha256"}
    h = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
    h.update(weights_bytes)
    return h.hexdigest()


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


class _Centroids:
    """Category prototypes stored sparse (feature, class, weight), scored by cosine similarity."""

    def __init__(self, head: dict[str, Any], n_features: int) -> None:
        self.classes: list[str] = head["classes"]
        feat = np.asarray(head["feature"], dtype=np.int64)
        self.cls = np.asarray(head["class"], dtype=np.int64)
        self.w = np.asarray(head["weight"], dtype=np.float64)
        self.indptr = np.searchsorted(feat, np.arange(n_features + 1))
        self.temperature = float(head["temperature"])

    def probabilities(self, idx: np.ndarray, val: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(self.classes))
        if len(idx):
            starts, ends = self.indptr[idx], self.indptr[idx + 1]
            lens = ends - starts
            if lens.sum():
                pos = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
                np.add.at(scores, self.cls[pos], np.repeat(val, lens) * self.w[pos])
        return _softmax(scores / self.temperature)


class UnderstandingModel:
    def __init__(self, meta: dict[str, Any], weights: np.ndarray) -> None:
        self.meta = meta
        self.sha256: str = meta["sha256"]
        self.version = self.sha256[:12]
        self.data_version: str = meta["data_version"]
        self.thresholds: dict[str, float] = dict(meta["thresholds"])
        self.vectorizer = Vectorizer(meta["vocabulary"], np.asarray(meta["idf"]))
        self.weights = weights
        self.heads = meta["heads"]
        n = len(self.vectorizer.vocabulary)
        if weights.ndim != 2 or weights.shape[0] != n or len(self.vectorizer.idf) != n:
            raise ValueError(f"weights {weights.shape} do not fit a vocabulary of {n}")
        for head in ("emergency", "owner"):
            lo, hi = self.heads[head]["columns"]
            if not (0 <= lo < hi <= weights.shape[1]) or len(self.heads[head]["intercept"]) != hi - lo:
                raise ValueError(f"head {head!r} does not fit the weights")
        lo, hi = self.heads["owner"]["columns"]
        if len(self.heads["owner"]["classes"]) != hi - lo:
            raise ValueError("owner classes do not match its columns")
        for key in ("emergency", "hint", "owner"):
            float(self.thresholds[key])
        self._centroids = (
            _Centroids(meta["heads"]["category"], len(self.vectorizer.vocabulary))
            if ("category" in meta["heads"])
            else None
        )

    # ----------------------------------------------------------------------------- load
    @classmethod
    def load(cls, folder: str | Path) -> UnderstandingModel:
        folder = Path(folder)
        try:
            meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
            raw = (folder / WEIGHTS_FILE).read_bytes()
        except FileNotFoundError as e:
            raise ModelError(f"no model at {folder} ({Path(e.filename).name} missing): run `hotline train`") from None
        except (OSError, ValueError) as e:
            raise ModelError(f"{folder}: unreadable model: {e}") from None
        if meta.get("format") != FORMAT:
            raise ModelError(f"{folder}: model format {meta.get('format')!r}, this code reads {FORMAT}: retrain")
        if artifact_sha256(meta, raw) != meta.get("sha256"):
            raise ModelError(f"{folder}: sha256 mismatch: the artifact is corrupt or was edited: retrain")
        import io

        try:
            weights = np.load(io.BytesIO(raw), allow_pickle=False)
            return cls(meta, weights)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise ModelError(f"{folder}: malformed model ({type(e).__name__}: {e}): retrain") from None

    def staleness(self, data_version: str | None) -> str | None:
        """Why this model must not serve (None: it may)."""
        if self.meta.get("features_version") != FEATURES_VERSION:
            return f"built with features v{self.meta.get('features_version')}, the code reads v{FEATURES_VERSION}"
        if data_version is not None and data_version != self.data_version:
            return (
                f"trained on data {self.data_version[:12]}, the training files are now {data_version[:12]}"
                " (run `hotline train`)"
            )
        return None

    # -------------------------------------------------------------------------- predict
    def _scores(self, idx: np.ndarray, val: np.ndarray, head: str) -> np.ndarray:
        h = self.heads[head]
        lo, hi = h["columns"]
        z = np.asarray(h["intercept"], dtype=np.float64).copy()
        if len(idx):
            z += val @ self.weights[idx, lo:hi].astype(np.float64)
        return z

    def predict_tokens(self, tokens: list[str], allowed_categories: set[str] | None = None) -> Prediction:
        idx, val = self.vectorizer.row(tokens)
        em = self.heads["emergency"]
        z = float(self._scores(idx, val, "emergency")[0])
        a, b = em["calibration"]
        p_em = 1.0 / (1.0 + math.exp(-(a * z + b)))

        owners = self.heads["owner"]["classes"]
        po = _softmax(self._scores(idx, val, "owner"))
        order = np.argsort(-po, kind="stable")
        owner = owners[order[0]]
        top = {owners[i]: float(po[i]) for i in order[:3]}

        category, cat_p = None, 0.0
        if self._centroids is not None:
            cats = self._centroids.classes
            pc = self._centroids.probabilities(idx, val)
            if allowed_categories is not None:
                pc = np.where([c in allowed_categories for c in cats], pc, 0.0)
                s = pc.sum()
                pc = pc / s if s > 0 else pc
            j = int(np.argmax(pc))
            if pc[j] > 0:
                category, cat_p = cats[j], float(pc[j])
        return Prediction(p_em, owner, float(po[order[0]]), top, category, cat_p, self.version, self.thresholds)

    def predict(self, found: Findings, decision: Decision, router: Router) -> Prediction:
        tokens = text_tokens(found.text) + rule_tokens(found, decision, router)
        return self.predict_tokens(tokens, router.category_ids)


# ---------------------------------------------------------------------------- the service
def current_data_version() -> str | None:
    from hotline.understanding.data import data_version, training_files

    files = training_files()
    return data_version(files) if files else None


def load_checked(folder: str | Path) -> UnderstandingModel:
    """Load and refuse a stale model (ModelError says why)."""
    model = UnderstandingModel.load(folder)
    why = model.staleness(current_data_version())
    if why:
        raise ModelError(f"{folder}: stale model: {why}")
    return model


@lru_cache(maxsize=1)
def service_model() -> UnderstandingModel | None:
    """The model the service decides with, or None (rules only) with one loud log line saying why."""
    from hotline.config import settings

    folder = settings().understanding_model_dir
    if folder is None:
        log.warning("understanding model off (HOTLINE_UNDERSTANDING_MODEL=off): the rules decide alone")
        return None
    try:
        model = load_checked(folder)
    except ModelError as e:
        log.error("UNDERSTANDING MODEL NOT USED, the rules decide alone: %s", e)
        return None
    log.info("understanding model %s loaded from %s (data %s)", model.version, folder, model.data_version[:12])
    return model
