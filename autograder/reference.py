"""Load the reference `cs231n` package into the judge under a private name.

The judge compares every submission with the reference solution generated in `solutions/`. It is
imported as `bn_reference` so that it can never be confused with a submission's `cs231n` (which
the judge itself never imports).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from autograder import paths

ALIAS = "bn_reference"


@lru_cache(maxsize=None)
def load(package_dir: Path = paths.SOLUTIONS / paths.PACKAGE_NAME) -> SimpleNamespace:
    """Return the reference's `layers`, `fc_net` and `gradient_check` modules."""
    package_dir = Path(package_dir)
    if ALIAS not in sys.modules:
        init = package_dir / "__init__.py"
        if not init.is_file():
            raise FileNotFoundError(f"no reference package at {package_dir}: run `make assign`")
        spec = importlib.util.spec_from_file_location(
            ALIAS, init, submodule_search_locations=[str(package_dir)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[ALIAS] = module
        spec.loader.exec_module(module)
    return SimpleNamespace(
        layers=importlib.import_module(f"{ALIAS}.layers"),
        fc_net=importlib.import_module(f"{ALIAS}.classifiers.fc_net"),
        gradient_check=importlib.import_module(f"{ALIAS}.gradient_check"),
    )
