"""The project's scripts and benchmarks (scripts/*.py, benchmarks/*.py: not packages) loaded as modules, for their unit
tests."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from hotline.config import REPO


def load_script(name: str, folder: str = "scripts") -> ModuleType:
    """<folder>/<name>.py as a module named <name> (its main() is not run)."""
    spec = importlib.util.spec_from_file_location(name, REPO / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_benchmark(name: str) -> ModuleType:
    """benchmarks/<name>.py as a module; its folder goes on sys.path, as when it runs, for the helpers it imports
    from beside it (percentile.py, another benchmark's)."""
    folder = str(REPO / "benchmarks")
    if folder not in sys.path:
        sys.path.append(folder)
    return load_script(name, "benchmarks")
