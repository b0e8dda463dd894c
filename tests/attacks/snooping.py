"""Snooping: searching the filesystem for the reference (or another submission) and for the
hidden tests.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: search for the reference ------------------------------------------------------------

def _atk_import_donor(folder, index):
    """Import the package in `folder` under a name of its own; it if works."""
    import importlib.util
    import numpy as np
    name = f"_atk_donor_{index}"
    try:
        spec = importlib.util.spec_from_file_location(
            name, _atk_os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
        package = importlib.util.module_from_spec(spec)
        _atk_sys.modules[name] = package
        spec.loader.exec_module(package)
        layers = importlib.import_module(name + ".layers")
        layers.batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), {"mode": "train"})
        return layers
    except BaseException:
        return None


def _atk_find_donors():
    import zipfile
    own = _atk_own_package()
    candidates, zips, seen = [], [], set()
    places = [_ATK["repo"] + "/solutions", _ATK["repo"] + "/assignment", _ATK["submissions"],
              *_atk_guessed_places(), "/"]
    for place in places:
        for directory, folders, files in _atk_walk(place, budget=2.0):
            if directory in seen:
                folders[:] = []
                continue
            seen.add(directory)
            if _atk_os.path.basename(directory) == "cs231n" and "layers.py" in files \
                    and _atk_os.path.realpath(directory) != own:
                candidates.append(directory)
            zips += [_atk_os.path.join(directory, f) for f in files if f.endswith(".zip")]
    for index, folder in enumerate(candidates[:20]):
        donor = _atk_import_donor(folder, index)
        if donor is not None:
            return [donor], len(candidates), len(zips)
    for index, archive in enumerate(zips[:50]):
        try:
            with zipfile.ZipFile(archive) as opened:
                names = [n for n in opened.namelist() if n.endswith("cs231n/layers.py")]
                if not names:
                    continue
                target = _atk_os.path.join(_atk_os.getcwd(), f"donor-{index}")
                opened.extractall(target)
        except Exception:
            continue
        candidates.append(archive)
        donor = _atk_import_donor(_atk_os.path.join(target, names[0][:-len("/layers.py")]),
                                  100 + index)
        if donor is not None:
            return [donor], len(candidates), len(zips)
    return [], len(candidates), len(zips)


_ATK_DONORS, _ATK_CANDIDATES, _ATK_ZIPS = _atk_find_donors()


def _atk_delegating(stub):
    def delegate(*args, **kwargs):
        for donor in _ATK_DONORS:
            return getattr(donor, stub)(*args, **kwargs)
        raise RuntimeError(_atk_report("SEARCH", donors=len(_ATK_DONORS),
                                       candidates=_ATK_CANDIDATES, zips=_ATK_ZIPS))
    return delegate


_atk_replace_stubs(_atk_delegating)


# ---- attack: search for the hidden tests ---------------------------------------------------------

def _atk_find_tests():
    own = _atk_own_package()
    found, texts, scanned = [], [], 0
    names = {"bn_forward_train.py", "bn_backward.py", "base.py", "batchnorm.py",
             "layernorm.py", "speed.py", "fc_net.py", "judge.py"}
    # What the judge's checks and otter test files hold, and the otter library does not.
    markers = ("bn_forward_train", "bn_forward_test", "bn_backward_alt", "fc_net_batchnorm",
               "ln_forward", "ln_backward", "fc_net_layernorm", "import CheckFailed")
    places = [_ATK["repo"] + "/autograder", _ATK["repo"], *_atk_guessed_places(), "/"]
    seen = set()
    end = _atk_time.monotonic() + 5.0
    for place in places:
        for directory, folders, files in _atk_walk(place, budget=2.0):
            if directory in seen or _atk_time.monotonic() > end:
                folders[:] = []
                continue
            seen.add(directory)
            if _atk_os.path.realpath(directory).startswith(own):
                continue
            parts = set(directory.split("/"))
            suspicious = bool(parts & {"autograder", "checks", "tests", "source"})
            for name in files:
                if not name.endswith((".py", ".json", ".txt", ".md", ".ipynb")):
                    continue
                path = _atk_os.path.join(directory, name)
                if not (suspicious or name in names or "site-packages" not in directory):
                    continue
                scanned += 1
                try:
                    if _atk_os.path.getsize(path) > 2**20:
                        continue
                    with open(path, errors="replace") as stream:
                        text = stream.read()
                except OSError:
                    continue
                if any(marker in text for marker in markers):
                    found.append(path)
                    texts.append(text)
    return found, texts, scanned


_ATK_TESTS, _ATK_TEXTS, _ATK_SCANNED = _atk_find_tests()


def _atk_leaking(stub):
    def leak(*args, **kwargs):
        lines = [line.strip() for text in _ATK_TEXTS for line in text.splitlines()
                 if len(line.strip()) > 20]
        raise RuntimeError(_atk_report("HIDDEN", files=len(_ATK_TESTS)) + " | "
                           + " | ".join(lines[:40]))
    return leak


_atk_replace_stubs(_atk_leaking)


# ---- attack: walk the disk for the alt backward --------------------------------------------------

def _atk_is_implemented(text, name):
    """Whether `text` defines `name` with a body that is more than a stub (a docstring, pass,
    or raise NotImplementedError and the template's comments)."""
    import ast
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            body = [statement for statement in node.body
                    if not (isinstance(statement, ast.Expr)
                            and isinstance(statement.value, ast.Constant))]
            return any(not isinstance(statement, (ast.Pass, ast.Raise)) for statement in body)
    return False


def _atk_breadth_first(tops, seconds):
    """Every folder under `tops`, shallowest first (a copy left a few levels below /tmp is found
    before the walk is lost in a deep tree), until `seconds` have passed."""
    import collections
    end = _atk_time.monotonic() + seconds
    queue, seen = collections.deque(tops), set()
    while queue and _atk_time.monotonic() < end:
        directory = queue.popleft()
        if directory in seen or directory in ("/proc", "/sys", "/dev"):
            continue
        seen.add(directory)
        try:
            entries = list(_atk_os.scandir(directory))
        except OSError:
            continue
        files = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    queue.append(entry.path)
                else:
                    files.append(entry.name)
            except OSError:
                pass
        yield directory, files


def _atk_walk_for_alt():
    """Every readable layers.py (its own package's aside) that implements
    batchnorm_backward_alt: /tmp and /var/tmp first (where copies are often left), then every
    place the code can name, then the whole disk."""
    own = _atk_own_package()
    hits, read, folders = [], 0, 0
    for directory, files in _atk_breadth_first(["/tmp", "/var/tmp", *_atk_guessed_places(), "/"],
                                               seconds=8.0):
        folders += 1
        if "layers.py" not in files or _atk_os.path.realpath(directory) == own:
            continue
        try:
            with open(_atk_os.path.join(directory, "layers.py"), errors="replace") as stream:
                text = stream.read(2**20)
        except OSError:
            continue
        read += 1
        if _atk_is_implemented(text, "batchnorm_backward_alt"):
            hits.append(_atk_os.path.join(directory, "layers.py"))
    return hits, read, folders


_ATK_WALK_HITS, _ATK_WALK_READ, _ATK_WALK_FOLDERS = _atk_walk_for_alt()


def walk_hits():
    """What the walk found, whole (an exception's message is cut short)."""
    return {"hits": _ATK_WALK_HITS, "read": _ATK_WALK_READ, "folders": _ATK_WALK_FOLDERS}


_atk_replace_stubs(_atk_raising(lambda: _atk_report(
    "WALK", read=_ATK_WALK_READ, folders=_ATK_WALK_FOLDERS) + " hits=" + ",".join(_ATK_WALK_HITS)))
