"""The project's scripts (scripts/*.py, not a package) loaded as modules, for their unit tests."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from hotline.config import REPO


def load_script(name: str) -> ModuleType:
    """scripts/<name>.py as a module named <name> (its main() is not run)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
