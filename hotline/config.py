"""The settings object: every runtime setting of the hotline, and the only reader of the environment.

Each field is one `HOTLINE_*` environment variable (a systemd unit or the README's commands set them);
`hotline settings` prints them, and the README's settings table is checked against this class by a test.
Add a setting here (with its description), never `os.environ` elsewhere.
"""

from __future__ import annotations

import os
import secrets
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO = Path(__file__).resolve().parent.parent  # the checkout: asterisk-config/, dialplan/, sounds/
DEFAULT_CHROOT = Path("/var/cache/hotline/asterisk-sid")


def _default_asterisk_root() -> Path:
    system = shutil.which("asterisk") or Path("/usr/sbin/asterisk").exists()
    return Path("/") if system else DEFAULT_CHROOT


class Config(BaseSettings):
    """Settings of one installation. `Config()` reads them from the environment."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", frozen=True, extra="ignore", populate_by_name=True)

    # --- where things are
    asterisk_root: Path = Field(
        default_factory=_default_asterisk_root,
        description='"/" for an Asterisk installed on the host; else the Debian sid chroot the project builds '
        "(default /var/cache/hotline/asterisk-sid when the host has none)",
    )
    instance: str = Field(
        "hotline",
        description="name of this installation's Asterisk folders (the tests use hotline-test, so they never "
        "touch a running system)",
    )
    database_url: str = Field(
        "",
        validation_alias="HOTLINE_DB_URL",
        description="SQLAlchemy URL of the call log: sqlite:///… or postgresql+psycopg://… "
        "(default: SQLite in the state folder)",
    )
    journal_dir: Path | None = Field(
        None,
        description="where call records wait when the database is unreachable (default: <state>/journal)",
    )
    profile: str = Field("national", description="the site's linkage profile")
    profile_dir: Path | None = Field(None, description="an operator's own profiles, looked up before the shipped ones")
    models: Path = Field(REPO / "asr_models" / "store", description="installed speech models")
    asterisk_local_dir: Path | None = Field(
        None,
        description="a site's own Asterisk files (pjsip_local.conf with its carrier and neighbour trunks, "
        "extensions_local.conf) copied over the rendered configuration by `hotline asterisk up`",
    )

    # --- ports (loopback)
    sip_port: int = Field(5060, description="SIP (callers, agent seats, trunks)")
    sim_port: int = Field(5062, description="SIP of the simulated neighbours (only with `hotline asterisk up --sim`)")
    ami_port: int = Field(5038, description="Asterisk Manager Interface")
    agi_port: int = Field(4573, description="FastAGI (`hotline serve`)")
    audiosocket_port: int = Field(4574, description="AudioSocket: the caller's live audio")
    ami_secret: str = Field(
        "", repr=False, description="AMI secret; default: generated once into <state>/ami_secret (mode 0600)"
    )

    # --- speech
    asr: Literal["auto", "whisper", "vosk", "none"] = Field(
        "auto",
        description="recognizer engine. auto: a Chinese Vosk model when one is installed, else Whisper, else "
        "none (DTMF drives the call)",
    )
    asr_model: str = Field("", description="the engine's model, a name from `hotline models list`")
    asr_bias: Literal["hotwords", "prompt", "none"] = Field(
        "hotwords",
        description="Whisper decoding biased toward the profile's vocabulary: hotwords (its core phrases as "
        "faster-whisper hotwords) | prompt (in an initial-prompt sentence) | none; benchmarks/bench_asr.py "
        "measures each",
    )
    asr_workers: int = Field(0, description="decodes that run at once (0: one per core)")
    asr_threads: int = Field(1, description="threads per decode")
    asr_bias: Literal["hotwords", "prompt", "none"] = Field(
        "hotwords",
        description="Whisper decoding biased toward the profile's vocabulary. hotwords: its core phrases in "
        "Whisper's previous-text context (faster-whisper's hotwords); prompt: the phrases in an initial-prompt "
        "sentence; none. benchmarks/bench_asr.py measures each",
    )
    whisper_beam: int = Field(5, description="Whisper beam size (1 is greedy: faster, less accurate)")
    whisper_short_context: bool = Field(True, description="encode a window just longer than the speech, not 30 s")
    vosk_bias: bool = Field(False, description="Vosk decodes only the profile's phrases (keyword spotting)")

    # --- understanding
    understanding_model: str = Field(
        "",
        description="folder of the learned layer `hotline train` builds (default understanding_model/ in the "
        "checkout); off: the rules decide alone. Missing or stale: a loud log line, the rules decide alone",
    )

    # --- listening
    capture: Literal["audiosocket", "record"] = Field(
        "audiosocket",
        description="audiosocket: live audio, end of speech after a 1.2 s pause, barge-in; record: RECORD FILE "
        "with a 2 s silence endpoint",
    )
    early_end: Literal["none", "rules-emergency", "emergency"] = Field(
        "none",
        description="which words end an answer after endpoint_ms instead of pause_ms: none; rules-emergency: a "
        "danger phrase of the profile; emergency: any emergency, the model's too (benchmarks/bench_live_replay.py)",
    )
    endpoint_ms: int = Field(600, description="trailing silence that ends an answer early_end allows to end early")
    pause_ms: int = Field(
        1200, description="trailing silence that ends an answer (callers pause mid-sentence, and a danger may follow)"
    )
    no_speech_s: float = Field(6.0, description="seconds after the question with no speech before acting")
    max_utterance_s: float = Field(20.0, description="longest utterance listened to")
    hold_on_ms: int = Field(
        1000,
        description="after the pause that ended an answer, silence before a caller whose answer is still being "
        "recognised hears 'hold-on' (0: never; a caller cut off at max_utterance_s hears it after 0.5 s)",
    )
    barge_in: bool = Field(True, description="the caller may speak over the question")
    speculate_ms: int = Field(240, description="pause after which recognition starts before the endpoint (0: off)")

    # --- the service
    log_level: str = Field("INFO", description="log level of `hotline serve` (JSON lines on stderr)")
    debug: bool = Field(False, description="CLI: show tracebacks of internal errors")
    reconcile_s: float = Field(30.0, description="how often calls left open are completed from the CDR")

    # --- the admin
    admin_secret_key: str = Field(
        "", repr=False, description="Flask session key (default: random at each start, so sessions end with it)"
    )
    admin_insecure_cookies: bool = Field(False, description="session cookies over plain HTTP (a test box only)")
    recording_roots: str = Field(
        "", description="extra folders the admin may play recordings from (os.pathsep-separated)"
    )
    admin_trusted_proxies: int = Field(
        0,
        description="how many reverse proxies in front of the admin set X-Forwarded-For (0: the peer address is "
        "the client's, as with waitress alone)",
    )
    timezone: str = Field(
        "Asia/Shanghai",
        description="the site's time zone (IANA name): the admin shows, filters and counts days in it; calling "
        "hours, working days and order numbers follow it; the database keeps UTC",
    )

    # --- work orders between the platforms (hotline/linkage)
    platform: Literal["12345", "110"] = Field("12345", description="this installation's own platform")
    linkage_peers: str = Field(
        "",
        description="YAML file of the peers orders are exchanged with: peers: [{platform, url, secret}] "
        "(none: deliveries wait in the outbox until a peer is configured)",
    )
    linkage_url: str = Field(
        "http://127.0.0.1:8080/api/linkage/v1",
        description="this installation's /api/linkage/v1 as peers reach it (named in the OpenAPI document)",
    )
    relay_schedule: str = Field(
        "0,5,300,1800,7200,18000,36000,50400,72000,86400",
        description="seconds between delivery attempts (Standard Webhooks; the last one repeats: never dropped)",
    )
    relay_interval_s: float = Field(1.0, description="how often the relay looks for due deliveries")
    relay_concurrency: int = Field(4, description="orders delivered at once (each order's deliveries in order)")
    relay_timeout_s: float = Field(10.0, description="HTTP timeout of one delivery")
    supervise_interval_s: float = Field(30.0, description="how often deadlines are checked for 督办 reminders")
    followup_dial: str = Field(
        "PJSIP/{number}@carrier",
        description="dial string of the 回访 call back to the caller; {number} is the caller's number",
    )
    followup_interval_s: float = Field(15.0, description="how often resolved orders are looked at for 回访")

    @property
    def relay_delays(self) -> tuple[float, ...]:
        return tuple(float(x) for x in self.relay_schedule.split(",") if x.strip())

    # ------------------------------------------------------------------ derived
    # folders as Asterisk sees them (inside the chroot when there is one)
    @property
    def state_in_asterisk(self) -> str:
        return f"/var/lib/{self.instance}"

    @property
    def etc_in_asterisk(self) -> str:
        return f"/etc/{self.instance}-asterisk"

    @property
    def run_in_asterisk(self) -> str:
        return f"/var/run/{self.instance}-asterisk"

    @property
    def log_in_asterisk(self) -> str:
        return f"/var/log/{self.instance}-asterisk"

    @property
    def chrooted(self) -> bool:
        return self.asterisk_root != Path("/")

    def host_path(self, path_in_asterisk: str) -> Path:
        """A path as Asterisk sees it -> the same file seen from the host."""
        return self.asterisk_root / path_in_asterisk.lstrip("/")

    @property
    def state_dir(self) -> Path:
        return self.host_path(self.state_in_asterisk)

    @property
    def etc_dir(self) -> Path:
        return self.host_path(self.etc_in_asterisk)

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone (zoneinfo: the offsets and their history come from the tz database)."""
        return ZoneInfo(self.timezone)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'hotline.db'}"

    @property
    def understanding_model_dir(self) -> Path | None:
        """Folder of the learned layer; None when switched off."""
        v = self.understanding_model
        if v.lower() == "off":
            return None
        return Path(v) if v else REPO / "understanding_model"

    @property
    def journal_path(self) -> Path:
        return self.journal_dir or self.state_dir / "journal"

    @property
    def recording_root_list(self) -> list[str]:
        return [str(self.state_dir)] + [p for p in self.recording_roots.split(os.pathsep) if p]

    def ami_password(self) -> str:
        """The AMI secret: the setting, or one generated once into the state folder, owner-only."""
        if self.ami_secret:
            return self.ami_secret
        f = self.state_dir / "ami_secret"
        if not f.exists():
            f.parent.mkdir(parents=True, exist_ok=True)
            try:  # created 0600 before a byte is written: never readable by others, even briefly
                fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return f.read_text().strip()  # another process won the race
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(24))
        return f.read_text().strip()


@lru_cache(maxsize=8)
def _settings_for(_environment: tuple[tuple[str, str], ...]) -> Config:
    return Config()


def settings() -> Config:
    """The settings of the current environment, built once per distinct HOTLINE_* environment.

    Building a Config costs ~2 ms (pydantic-settings); code on a call's path asks here instead.
    """
    return _settings_for(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("HOTLINE_"))))


def settings_table() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) of every setting, for the README and `hotline settings`."""
    rows = []
    for name, f in Config.model_fields.items():
        env = f.validation_alias if isinstance(f.validation_alias, str) else f"HOTLINE_{name.upper()}"
        if f.default_factory is not None:
            default = "(derived)"
        elif f.default in (None, ""):
            default = "—"
        else:
            default = str(f.default).replace(str(REPO) + "/", "")
        rows.append((env, default, f.description or ""))
    return rows
