"""Load an assignment's reference package into the judge under a private name.

The judge compares every submission with the reference solution generated in
`solutions/<assignment>/`. It is imported as `_reference_<assignment>` so that it can never be
confused with a submission's package (which the judge itself never imports), nor with another
assignment's reference. Every module of the package is an attribute of what `load` returns, by
its last name (`layers` for `package.layers`, ...).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace


def alias(package_dir: Path) -> str:
    """The private name of the reference in `package_dir` (solutions/<assignment>/<package>)."""
    return f"_reference_{Path(package_dir).resolve().parent.name}"


def load(package_dir: Path | None = None) -> SimpleNamespace:
    """The reference package's modules (default: the current assignment's), each by its last
    name."""
    from autograder import paths

    return _load(Path(package_dir or paths.REFERENCE_PACKAGE).resolve())


@lru_cache(maxsize=None)
def _load(package_dir: Path) -> SimpleNamespace:
    name = alias(package_dir)
    if name not in sys.modules:
        init = package_dir / "__init__.py"
        if not init.is_file():
            raise FileNotFoundError(f"no reference package at {package_dir}: run `make assign`")
        spec = importlib.util.spec_from_file_location(
            name, init, submodule_search_locations=[str(package_dir)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        if path.name == "__init__.py" or "__pycache__" in path.parts:
            continue
        dotted = ".".join(path.relative_to(package_dir).with_suffix("").parts)
        modules[path.stem] = importlib.import_module(f"{name}.{dotted}")
    return SimpleNamespace(**modules)
