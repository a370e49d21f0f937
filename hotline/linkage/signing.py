"""Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature) with the peer's whsec_ secret.

The `standardwebhooks` package signs and verifies (HMAC-SHA256 over "id.timestamp.body", ±5 minutes);
this module only adds what a receiver needs around it: which peer signed, and a clear reason to log.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class SignatureError(Exception):
    """A delivery whose signature, timestamp or headers do not verify (401)."""


def new_secret() -> str:
    """A fresh whsec_ secret (24 random bytes, base64), for a peers file."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def check_secret(secret: str) -> None:
    if not secret.startswith("whsec_"):
        raise ValueError("a peer's secret starts with whsec_")
    try:
        raw = base64.b64decode(secret[6:], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a peer's secret is whsec_ and base64") from None
    if len(raw) < 16:
        raise ValueError("a peer's secret needs at least 16 bytes of key")


def sign(secret: str, msg_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    at = at or datetime.now(UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
        "content-type": "application/json",
    }


def verify(body: bytes, headers: Mapping[str, str], peers: Iterable[tuple[str, str]]) -> str:
    """The platform of the peer whose secret signed this delivery; SignatureError if none did."""
    hdrs = {k.lower(): v for k, v in headers.items()}
    if not (hdrs.get("webhook-id") and hdrs.get("webhook-timestamp") and hdrs.get("webhook-signature")):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SignatureError("body is not UTF-8") from None
    reason = "no peer's secret matches the signature"
    for platform, secret in peers:
        try:
            Webhook(secret).verify(text, hdrs, json_parse=False)
            return platform
        except WebhookVerificationError as e:
            msg = str(e)
            if "timestamp" in msg.lower() or "Invalid Signature Headers" in msg:
                raise SignatureError(f"stale or invalid timestamp: {msg}") from None
        except (ValueError, binascii.Error, TypeError):  # a malformed signature header ("v1" without a comma)
            reason = "malformed webhook-signature"
    raise SignatureError(reason)
