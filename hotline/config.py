"""Runtime settings, all from the environment (a systemd unit or the README's commands set them).

HOTLINE_ASTERISK_ROOT   "/" for an Asterisk installed on the host; else the sid chroot the project
                        builds (default /var/cache/hotline/asterisk-sid when the host has none)
HOTLINE_DB_URL          SQLAlchemy URL of the call log (default: SQLite in the state folder)
HOTLINE_PROFILE         linkage profile of the site (default national)
HOTLINE_ASR             recognizer engine: auto | whisper | vosk | none. auto (default): a Chinese
                        Vosk model when one is installed, else Whisper, else none (DTMF drives the call)
HOTLINE_ASR_MODEL       the model of that engine, a name from `hotline models list` (default: the
                        engine's first installed model)
HOTLINE_AMI_SECRET      AMI secret; default: generated once into <state>/ami_secret (never committed)
HOTLINE_INSTANCE        name of this Asterisk instance's folders (default hotline; the tests use
                        hotline-test, so they never touch a running system)
HOTLINE_SIP_PORT, HOTLINE_SIM_PORT, HOTLINE_AMI_PORT, HOTLINE_AGI_PORT, HOTLINE_AUDIOSOCKET_PORT
HOTLINE_CAPTURE         audiosocket (default: live audio, end of speech in ~0.6 s, barge-in) |
                        record (RECORD FILE with a 2 s silence endpoint)
HOTLINE_ENDPOINT_MS     trailing silence that ends the caller's utterance once it is understood (default 600)
HOTLINE_PAUSE_MS        trailing silence that ends it when it is not (yet) understood (default 1200)
HOTLINE_NO_SPEECH_S     seconds after the question with no speech before re-asking (default 6)
HOTLINE_MAX_UTTERANCE_S longest utterance listened to (default 20)
HOTLINE_BARGE_IN        1 (default): the caller may speak over the question; 0: not
HOTLINE_VOSK_BIAS       1: Vosk decodes only the profile's phrases (keyword spotting); default 0
HOTLINE_ASR_WORKERS     decodes that run at once (default: one per core)
HOTLINE_ASR_THREADS     threads per decode (default 1)
HOTLINE_WHISPER_BEAM    Whisper beam size (default 5; 1 is greedy: faster, less accurate)
HOTLINE_WHISPER_SHORT_CONTEXT  1 (default): encode a window just longer than the speech; 0: 30 s
HOTLINE_SPECULATE_MS    pause after which recognition starts before the endpoint (default 240; 0: off)
HOTLINE_UNDERSTANDING_MODEL  folder of the learned layer `hotline train` builds (default
                        understanding_model/ in the checkout); "off": the rules decide alone. A missing
                        or stale model is logged loudly and the rules decide alone.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent  # the checkout: asterisk-config/, dialplan/, sounds/
DEFAULT_CHROOT = Path("/var/cache/hotline/asterisk-sid")


def _system_asterisk() -> bool:
    return bool(shutil.which("asterisk") or Path("/usr/sbin/asterisk").exists())


@dataclass(frozen=True)
class Config:
    asterisk_root: Path = field(
        default_factory=lambda: Path(
            os.environ.get("HOTLINE_ASTERISK_ROOT") or ("/" if _system_asterisk() else str(DEFAULT_CHROOT))
        )
    )
    sip_port: int = field(default_factory=lambda: int(os.environ.get("HOTLINE_SIP_PORT", "5060")))
    sim_port: int = field(default_factory=lambda: int(os.environ.get("HOTLINE_SIM_PORT", "5062")))
    ami_port: int = field(default_factory=lambda: int(os.environ.get("HOTLINE_AMI_PORT", "5038")))
    agi_port: int = field(default_factory=lambda: int(os.environ.get("HOTLINE_AGI_PORT", "4573")))
    audiosocket_port: int = field(default_factory=lambda: int(os.environ.get("HOTLINE_AUDIOSOCKET_PORT", "4574")))
    capture: str = field(default_factory=lambda: os.environ.get("HOTLINE_CAPTURE", "audiosocket"))
    profile: str = field(default_factory=lambda: os.environ.get("HOTLINE_PROFILE", "national"))
    asr: str = field(default_factory=lambda: os.environ.get("HOTLINE_ASR", "auto"))
    asr_model: str = field(default_factory=lambda: os.environ.get("HOTLINE_ASR_MODEL", ""))
    db_url_env: str = field(default_factory=lambda: os.environ.get("HOTLINE_DB_URL", ""))
    instance: str = field(default_factory=lambda: os.environ.get("HOTLINE_INSTANCE", "hotline"))
    understanding_model_env: str = field(default_factory=lambda: os.environ.get("HOTLINE_UNDERSTANDING_MODEL", ""))

    @property
    def understanding_model(self) -> Path | None:
        """Folder of the learned layer; None when switched off."""
        v = self.understanding_model_env
        if v.lower() == "off":
            return None
        return Path(v) if v else REPO / "understanding_model"

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
    def db_url(self) -> str:
        return self.db_url_env or f"sqlite:///{self.state_dir / 'hotline.db'}"

    def ami_secret(self) -> str:
        env = os.environ.get("HOTLINE_AMI_SECRET")
        if env:
            return env
        f = self.state_dir / "ami_secret"
        if not f.exists():
            f.parent.mkdir(parents=True, exist_ok=True)
            f.touch(mode=0o600)
            f.write_text(secrets.token_urlsafe(24))
        return f.read_text().strip()
