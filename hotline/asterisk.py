"""`hotline asterisk up | down | status`: a real Asterisk 22 with the project's configuration.

The host's own Asterisk when it has one; otherwise Debian sid's package in a chroot that
scripts/provision-asterisk.sh builds once and caches. `up` renders asterisk-config/ and dialplan/
into the config folder, installs the prompts, and starts Asterisk or reloads it (idempotent).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


SIM_DIR = REPO / "asterisk-sim"  # the simulated neighbours, agent phones and test callers (dev, tests, demo)


def render(cfg: Config, sim: bool = False) -> list[str]:
    """asterisk-config/ and dialplan/ -> the config folder, with @NAMES@ filled in; then the site's own files
    (HOTLINE_ASTERISK_LOCAL_DIR), or with `sim` the simulation overlay, copied over them.

    Returns warnings about a production render a site has not completed (trunks without a contact,
    agent seats without credentials)."""
    values = {
        "@ETC@": cfg.etc_in_asterisk,
        "@RUN@": cfg.run_in_asterisk,
        "@LOG@": cfg.log_in_asterisk,
        "@STATE@": cfg.state_in_asterisk,
        "@SOUNDS@": SOUNDS_IN_ASTERISK,
        "@SIP_PORT@": str(cfg.sip_port),
        "@SIM_PORT@": str(cfg.sim_port),
        "@AMI_PORT@": str(cfg.ami_port),
        "@AGI_PORT@": str(cfg.agi_port),
    }
    etc = cfg.etc_dir
    (etc / "dialplan").mkdir(parents=True, exist_ok=True)
    # a fresh render: nothing of an earlier one (a simulation overlay) may survive into this one
    for old in (*etc.glob("*.conf"), *(etc / "dialplan").glob("*.conf")):
        old.unlink()

    def fill(text: str) -> str:
        for k, v in values.items():
            text = text.replace(k, v)
        return text

    local = SIM_DIR if sim else cfg.asterisk_local_dir
    sources = [(src, etc / src.name) for src in sorted((REPO / "asterisk-config").glob("*.conf"))]
    sources += [(src, etc / "dialplan" / src.name) for src in sorted((REPO / "dialplan").glob("*.conf"))]
    if local is not None:
        if not local.is_dir():
            raise AsteriskError(f"HOTLINE_ASTERISK_LOCAL_DIR={local} is not a folder")
        sources += [(src, etc / src.name) for src in sorted(local.glob("*.conf"))]
    for src, dst in sources:
        dst.write_text(fill(src.read_text(encoding="utf-8")), encoding="utf-8")
        dst.chmod(0o640)  # the site's files hold credentials
    (etc / ".hotline-render").write_text("sim\n" if sim else "production\n")
    return [] if sim else _site_warnings(etc)


def _site_warnings(etc: Path) -> list[str]:
    """What a production render still lacks from the site."""
    import re

    warnings = []
    trunks = (etc / "pjsip_trunks.conf").read_text(encoding="utf-8")
    for name, body in re.findall(r"^\[(trunk-[\w-]+)\]\s*\ntype\s*=\s*aor\s*\n((?:(?!\[).*\n?)*)", trunks, re.M):
        if not re.search(r"^\s*contact\s*=", body, re.M):
            warnings.append(f"{name} has no contact: handovers there go to an agent (site pjsip_trunks.conf)")
    pjsip = "".join(f.read_text(encoding="utf-8") for f in etc.glob("pjsip*.conf"))
    for auth in sorted(set(re.findall(r"^auth\s*=\s*(\S+)", pjsip, re.M))):
        if not re.search(rf"^\[{re.escape(auth)}\]\s*\n\s*type\s*=\s*auth", pjsip, re.M):
            warnings.append(f"no [{auth}] type=auth section: that agent seat cannot register (site pjsip_local.conf)")
    return warnings


def rendered_mode(cfg: Config) -> str:
    """ "sim" or "production": how the running configuration was rendered."""
    f = cfg.etc_dir / ".hotline-render"
    return f.read_text().strip() if f.exists() else "production"


def install(cfg: Config) -> None:
    """The AMI secret, folders and prompts the rendered configuration needs."""
    etc = cfg.etc_dir
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
    # callers' voices, the call database and the CDR are personal data: owner only
    for private in (cfg.state_in_asterisk, f"{cfg.state_in_asterisk}/recordings", cfg.log_in_asterisk):
        cfg.host_path(private).chmod(0o700)
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


@contextmanager
def _setup_lock(cfg: Config) -> Iterator[None]:
    """One `up` at a time sets up an Asterisk root: instances side by side (the tests' two workers, a
    `make start` during the tests) share the chroot's build and its prompt folder."""
    lock = Path("/run/lock") if cfg.asterisk_root == Path("/") else cfg.asterisk_root.parent
    lock.mkdir(parents=True, exist_ok=True)
    with (lock / f"{cfg.asterisk_root.name or 'host'}-asterisk-setup.lock").open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def up(cfg: Config, sim: bool = False) -> tuple[str, list[str]]:
    """Render (production, or with `sim` the simulation overlay), install and start or reload Asterisk.

    Returns what was done ("started" | "reloaded") and the render's warnings."""
    with _setup_lock(cfg):
        provision(cfg)
        warnings = render(cfg, sim=sim)
        install(cfg)
    if is_running(cfg):
        for c in (
            "module reload res_pjsip.so",
            "dialplan reload",
            "manager reload",
            "module reload app_confbridge.so",
            "module reload features",
        ):
            rx(cfg, c)
        return "reloaded", warnings
    start(cfg)
    return "started", warnings


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
