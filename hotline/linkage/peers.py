"""The peers file (HOTLINE_LINKAGE_PEERS): which platforms this installation exchanges orders with.

peers:
  - platform: "110"
    url: http://127.0.0.1:8081/api/linkage/v1   # the peer's linkage API base
    secret: whsec_...                            # shared by the two sides, never committed
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotline.linkage.signing import check_secret


class Peer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: str = Field(pattern=r"^[0-9A-Za-z_-]{2,16}$")
    url: str = Field(pattern=r"^https?://")
    secret: str

    @field_validator("secret")
    @classmethod
    def _secret(cls, v: str) -> str:
        check_secret(v)
        return v

    @property
    def events_url(self) -> str:
        return self.url.rstrip("/") + "/events"


class PeersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    peers: list[Peer] = Field(default_factory=list)


class PeersError(Exception):
    pass


def load_peers(path: str | Path | None) -> dict[str, Peer]:
    """Peers by platform ({} when no file is configured)."""
    if not path:
        return {}
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        peers = PeersFile.model_validate(raw).peers
    except OSError as e:
        raise PeersError(f"{p}: cannot read: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise PeersError(f"{p}: invalid YAML: {e}") from None
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise PeersError(f"{p}: {loc}: {err['msg']}") from None
    out: dict[str, Peer] = {}
    for peer in peers:
        if peer.platform in out:
            raise PeersError(f"{p}: platform {peer.platform} listed twice")
        out[peer.platform] = peer
    return out
