"""`hotline asterisk up | down | status`: a real Asterisk 22 with the project's configuration.

The host's own Asterisk when it has one; otherwise Debian sid's package in a chroot that
scripts/provision-asterisk.sh builds once and caches. `up` renders asterisk-config/ and dialplan/
into the config folder, installs the prompts, and starts Asterisk or reloads it (idempotent).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from hotline.config import REPO, Config

SOUNDS_IN_ASTERISK = "/usr/share/asterisk/sounds/zh/hotline"


class AsteriskError(Exception):
    pass


def _cmd(cfg: Config, *args: str) -> list[str]:
    conf = f"{cfg.etc_in_asterisk}/asterisk.conf"
    if cfg.chrooted:
        return ["chroot", str(cfg.asterisk_root), "/usr/sbin/asterisk", "-C", conf, *args]
    return [shutil.which("asterisk") or "/usr/sbin/asterisk", "-C", conf, *args]


def rx(cfg: Config, command: str, timeout: float = 15) -> subprocess.CompletedProcess:
    """Run one Asterisk CLI command against the running instance."""
    return subprocess.run(_cmd(cfg, "-rx", command), capture_output=True, text=True, timeout=timeout)


def is_running(cfg: Config) -> bool:
    if not (cfg.etc_dir / "asterisk.conf").exists():
        return False
    try:
        r = rx(cfg, "core show version", timeout=5)
    except subprocess.TimeoutExpired:
        return False
    return r.returncode == 0 and "Asterisk" in r.stdout


def provision(cfg: Config) -> None:
    """Make sure an Asterisk binary exists (build the sid chroot once if the host has none)."""
    if not cfg.chrooted:
        if not (shutil.which("asterisk") or Path("/usr/sbin/asterisk").exists()):
            raise AsteriskError("HOTLINE_ASTERISK_ROOT=/ but the host has no asterisk binary")
        return
    if (cfg.asterisk_root / ".hotline-asterisk-ok").exists():
        return
    if os.geteuid() != 0:
        raise AsteriskError("building the Asterisk chroot needs root (debootstrap, chroot)")
    script = REPO / "scripts" / "provision-asterisk.sh"
    r = subprocess.run(["bash", str(script), str(cfg.asterisk_root)])
    if r.returncode != 0:
        raise AsteriskError(f"provisioning the Asterisk chroot failed (exit {r.returncode}); see the log above")


def render(cfg: Config) -> None:
    """asterisk-config/ and dialplan/ -> the config folder, with @NAMES@ filled in."""
    values = {
        "@ETC@": cfg.etc_in_asterisk,
        "@RUN@": cfg.run_in_asterisk,
        "@LOG@": cfg.log_in_asterisk,
        "@STATE@": cfg.state_in_asterisk,
        "@SIP_PORT@": str(cfg.sip_port),
        "@SIM_PORT@": str(cfg.sim_port),
        "@AMI_PORT@": str(cfg.ami_port),
        "@AGI_PORT@": str(cfg.agi_port),
    }
    etc = cfg.etc_dir
    (etc / "dialplan").mkdir(parents=True, exist_ok=True)

    def fill(text: str) -> str:
        for k, v in values.items():
            text = text.replace(k, v)
        return text

    for src in sorted((REPO / "asterisk-config").glob("*.conf")):
        (etc / src.name).write_text(fill(src.read_text(encoding="utf-8")), encoding="utf-8")
    for src in sorted((REPO / "dialplan").glob("*.conf")):
        (etc / "dialplan" / src.name).write_text(fill(src.read_text(encoding="utf-8")), encoding="utf-8")
    secret = cfg.ami_password()
    f = etc / "manager_secret.conf"
    f.write_text(
        "; written by `hotline asterisk up`; not part of the repository\n"
        f"[hotline]\nsecret = {secret}\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/255.255.255.255\n"
        "read = system,call,agent,user,dtmf,reporting,originate\nwrite = system,call,agent,user,originate\n",
        encoding="utf-8",
    )
    f.chmod(0o600)
    stock = cfg.host_path("/etc/asterisk/indications.conf")
    if stock.exists():
        shutil.copy2(stock, etc / "indications.conf")
    for d in (
        cfg.run_in_asterisk,
        cfg.log_in_asterisk,
        f"{cfg.log_in_asterisk}/cdr-csv",
        f"{cfg.state_in_asterisk}/recordings",
        f"{cfg.state_in_asterisk}/neighbours",
        SOUNDS_IN_ASTERISK,
        "/var/spool/asterisk/monitor",
    ):
        cfg.host_path(d).mkdir(parents=True, exist_ok=True)
    sounds = cfg.host_path(SOUNDS_IN_ASTERISK)
    for wav in (REPO / "sounds" / "zh" / "hotline").glob("*.wav"):
        dst = sounds / wav.name
        if not dst.exists() or dst.stat().st_mtime < wav.stat().st_mtime:
            shutil.copy2(wav, dst)


def start(cfg: Config, timeout: float = 30) -> None:
    log_dir = cfg.host_path(cfg.log_in_asterisk)
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / "console.log").open("ab") as out:
        subprocess.Popen(
            _cmd(cfg, "-f"), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.time() + timeout
    while time.time() < deadline:
        if is_running(cfg):
            r = rx(cfg, "core waitfullybooted", timeout=timeout)
            if r.returncode == 0:
                return
        time.sleep(0.2)
    raise AsteriskError(f"Asterisk did not start within {timeout:.0f} s; see {log_dir / 'console.log'}")


def up(cfg: Config) -> str:
    provision(cfg)
    render(cfg)
    if is_running(cfg):
        for c in (
            "module reload res_pjsip.so",
            "dialplan reload",
            "manager reload",
            "module reload app_confbridge.so",
            "module reload features",
        ):
            rx(cfg, c)
        return "reloaded"
    start(cfg)
    return "started"


def down(cfg: Config, timeout: float = 20) -> bool:
    if not is_running(cfg):
        return False
    rx(cfg, "core stop now")
    deadline = time.time() + timeout
    while time.time() < deadline and is_running(cfg):
        time.sleep(0.2)
    return True


def status(cfg: Config) -> dict:
    running = is_running(cfg)
    out = {
        "running": running,
        "root": str(cfg.asterisk_root),
        "config": str(cfg.etc_dir),
        "sip": f"127.0.0.1:{cfg.sip_port}",
        "ami": f"127.0.0.1:{cfg.ami_port}",
        "fastagi": f"127.0.0.1:{cfg.agi_port}",
    }
    if running:
        out["version"] = rx(cfg, "core show version").stdout.strip()
        out["uptime"] = rx(cfg, "core show uptime seconds").stdout.strip().replace("\n", "; ")
        out["channels"] = rx(cfg, "core show channels count").stdout.strip().replace("\n", "; ")
    return out
