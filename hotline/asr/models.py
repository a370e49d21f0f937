"""asr_models/: the manifest of known speech models, and fetching, verifying and locating them."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import yaml

from hotline.config import REPO

MANIFEST = REPO / "asr_models" / "manifest.yaml"


class ModelError(Exception):
    pass


def store_dir() -> Path:
    from hotline.config import settings

    return settings().models


def manifest() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["models"]


def model(name: str) -> dict[str, Any]:
    m = manifest()
    if name not in m:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(m)}")
    return m[name]


def installed_path(name: str) -> Path | None:
    d = store_dir() / name
    return d if (d / ".installed").exists() else None


def default_vosk_model() -> str | None:
    for name in ("vosk-model-cn-0.22", "vosk-model-small-cn-0.22"):
        if installed_path(name):
            return name
    return None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(name: str) -> list[str]:
    """Problems with an installed model (empty list: all files present with the right hashes)."""
    d = installed_path(name)
    if d is None:
        return [f"{name}: not installed"]
    problems = []
    for rel, want in (model(name).get("files") or {}).items():
        f = d / rel
        if not f.is_file():
            problems.append(f"{name}: {rel} missing")
        elif want.get("size") and f.stat().st_size != want["size"]:
            problems.append(f"{name}: {rel} is {f.stat().st_size} bytes, expected {want['size']}")
        elif want.get("sha256") and sha256_file(f) != want["sha256"]:
            problems.append(f"{name}: {rel} sha256 mismatch")
    return problems


def _progress(done: int, total: int | None, label: str) -> None:
    if not sys.stderr.isatty() and done and total and done < total:
        return
    if total:
        bar = "#" * int(30 * done / total)
        sys.stderr.write(f"\r{label} [{bar:<30}] {done / 1e6:7.1f}/{total / 1e6:.1f} MB")
    else:
        sys.stderr.write(f"\r{label} {done / 1e6:7.1f} MB")
    sys.stderr.flush()


def _download(url: str, dest: Path, label: str) -> None:
    """Resumable download: a partial file continues with an HTTP Range request."""
    part = dest.with_suffix(dest.suffix + ".part")
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            total = r.length + have if r.length is not None else None
            mode = "ab" if r.status == 206 else "wb"
            done = have if mode == "ab" else 0
            with part.open(mode) as f:
                while chunk := r.read(1 << 16):
                    f.write(chunk)
                    done += len(chunk)
                    _progress(done, total, label)
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise ModelError(
            f"cannot reach {url.split('/')[2]} ({reason}); on a machine without access, "
            f"copy the archive to {dest} and run fetch again"
        ) from None
    sys.stderr.write("\n")
    part.rename(dest)


def _site_file(rel: str) -> Path:
    top = rel.split("/", 1)[0]
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"package {top} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).parent / rel


def fetch(name: str) -> Path:
    m = model(name)
    src = m["source"]
    dest = store_dir() / name
    if installed_path(name) and not verify(name):
        return dest
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=store_dir().parent if store_dir().exists() else None))
    try:
        if src["kind"] == "pypi":
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", *src["packages"]], check=True)
            for step in src["assemble"]:
                if "concat" in step:
                    with (tmp / step["to"]).open("wb") as out:
                        for rel in step["concat"]:
                            with _site_file(rel).open("rb") as f:
                                shutil.copyfileobj(f, out, 1 << 20)
                elif "copy" in step:
                    shutil.copy2(_site_file(step["copy"]), tmp / step["to"])
                elif "tree" in step:
                    shutil.copytree(_site_file(step["tree"]), tmp, dirs_exist_ok=True)
        elif src["kind"] == "url":
            store_dir().mkdir(parents=True, exist_ok=True)
            archive = store_dir() / f"{name}.zip"
            if not archive.exists():
                _download(src["url"], archive, name)
            if src.get("sha256") and sha256_file(archive) != src["sha256"]:
                archive.unlink()
                raise ModelError(f"{name}: archive sha256 mismatch (deleted; fetch again)")
            with zipfile.ZipFile(archive) as z:
                z.extractall(tmp)
            inner = tmp / src.get("strip", "")
            if inner != tmp:
                for p in inner.iterdir():
                    p.rename(tmp / p.name)
                inner.rmdir()
        else:
            raise ModelError(f"{name}: unknown source kind {src['kind']!r}")
        store_dir().mkdir(parents=True, exist_ok=True)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
        (dest / ".installed").touch()
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    problems = verify(name)
    if problems:
        raise ModelError("; ".join(problems))
    return dest
