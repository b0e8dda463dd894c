"""The worker: imports one submission's package and serves the judge's calls.

It runs as its own, untrusted process (student code runs here, never in the judge). It reads
one JSON request per line from the request pipe and writes one JSON response per line to the
response pipe, in the format of `wire.py`. It knows nothing of the reference or the tests: it only
calls what it is asked to call and sends back what came out. Objects that are not plain data (a
cache, a model) stay here and are named by handles.

Usage (by the judge): python -I worker.py SUBMISSION_DIR REQUEST_FD RESPONSE_FD
"""

import copy
import ctypes
import gc
import importlib
import math
import os
import resource
import sys
import traceback
import types

sys.dont_write_bytecode = True  # never write __pycache__ into a submission
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import wire  # noqa: E402
from timed_calls import dout_at, draw_round, next_start  # noqa: E402

PACKAGE = ""  # the submission's package: the one folder of submission/ (set by main)


# The speed check's timed calls (their inputs: timed_calls.py) --------------------------------

def project(value, probe, shape):
    """value . probe, or NaN if value is not an array of that shape."""
    if type(value) is not np.ndarray or value.dtype != np.float64:
        try:
            value = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return math.nan
    if value.shape != shape:
        return math.nan
    return float(value.ravel().dot(probe))


def timed_calls(function, cache, seed, shape, calls):
    """Call function(dout, cache) `calls` times; return the (calls, 3) checksums of the results,
    [dx . P, dgamma . q, dbeta . r] (NaN for a result that is not an array of its shape).

    Everything comes from default_rng(seed), inside this one request: a pool of normals, where
    the first dout starts in it, and the random probes P, q, r. Each dout is a fresh copy of a
    slice of the pool, and where the next one starts depends on this call's dx checksum."""
    pool, start, probes = draw_round(seed, shape)
    shapes = (shape, shape[1:], shape[1:])
    sums = []
    for _ in range(calls):
        dout = dout_at(pool, start, shape)
        # Each call its own copy of the cache (the stand-in's too, so the overhead measured
        # includes the copy): a function that consumes or changes its cache harms only itself.
        result = function(dout, copy.deepcopy(cache))
        try:
            dx, dgamma, dbeta = result
        except (TypeError, ValueError):
            dx = dgamma = dbeta = None
        sums.append((project(dx, probes[0], shapes[0]), project(dgamma, probes[1], shapes[1]),
                     project(dbeta, probes[2], shapes[2])))
        start = next_start(sums[-1][0], shape[0] * shape[1])
    return np.array(sums, dtype=float)


def stand_in(dout, cache):
    """What the overhead measurement calls instead of alt: no work, results of alt's shapes."""
    return dout, dout[0], dout[1]


class NotCalledAgain(Exception):
    """Raised by a retired function (see Worker.op_retire)."""


def not_called_again(name, why):
    def retired(*args, **kwargs):
        raise NotCalledAgain(f"{name} was not called again: {why}")
    retired.__name__ = retired.__qualname__ = name
    return retired


class Worker:
    def __init__(self, submission):
        self.submission = os.path.realpath(submission)
        self.objects = {}
        self.next_id = 1

    # Objects that stay here -------------------------------------------------------------------

    def keep(self, obj):
        handle = self.next_id
        self.next_id += 1
        self.objects[handle] = obj
        return handle

    def resolve(self, handle):
        try:
            return self.objects[handle]
        except KeyError:
            raise LookupError(f"no object with handle {handle}") from None

    def target(self, spec):
        """A callable or object named by a handle or by 'package.module:attribute'."""
        if isinstance(spec, int):
            return self.resolve(spec)
        module_name, _, attribute = spec.partition(":")
        if module_name != PACKAGE and not module_name.startswith(PACKAGE + "."):
            raise LookupError(f"only the {PACKAGE} package can be called, not {module_name}")
        obj = importlib.import_module(module_name)
        for part in attribute.split(".") if attribute else []:
            obj = getattr(obj, part)
        return obj

    def args(self, request):
        args = wire.decode(request.get("args", []), self.resolve)
        kwargs = wire.decode(request.get("kwargs", {"__dict__": {}}), self.resolve)
        return list(args), kwargs

    def bound(self, request):
        obj = self.target(request["target"])
        method = request.get("method")
        return getattr(obj, method) if method else obj

    # Operations -------------------------------------------------------------------------------

    def op_import(self, request):
        for module in request["modules"]:
            self.target(module)
        return None

    def op_call(self, request):
        function = self.bound(request)
        args, kwargs = self.args(request)
        if request.get("fresh"):
            # A copy of every argument, kept objects included: what one call does to its
            # cache cannot reach the next function called on it.
            args, kwargs = copy.deepcopy((args, kwargs))
        result = function(*args, **kwargs)
        keep = request.get("keep")
        if keep is True:
            return {"__handle__": self.keep(result)}
        if keep and isinstance(result, tuple):
            # Keep the chosen items here (a cache, say) and send the rest back.
            return {"__tuple__": [{"__handle__": self.keep(item)} if index in keep
                                  else wire.encode(item, self.keep)
                                  for index, item in enumerate(result)]}
        return wire.encode(result, self.keep)

    def op_put(self, request):
        """Keep a value here (an input whose later state matters) and return its handle."""
        return {"__handle__": self.keep(wire.decode(request["value"], self.resolve))}

    def op_seed(self, request):
        np.random.seed(int(request["seed"]))
        return None

    def op_get(self, request):
        obj = self.target(request["target"])
        if request.get("attr"):
            obj = getattr(obj, request["attr"])
        if "key" in request:
            obj = obj[request["key"]]
        if "rows" in request:
            obj = np.asarray(obj)[np.asarray(request["rows"], dtype=int)]
        if request.get("keep"):
            return {"__handle__": self.keep(obj)}
        return wire.encode(obj, self.keep)

    def op_set(self, request):
        obj = self.target(request["target"])
        obj[request["key"]] = wire.decode(request["value"], self.resolve)
        return None

    def op_timed_calls(self, request):
        """The speed check's timed request: call the target on `calls` fresh douts drawn here
        from the judge's `seed` and return only a checksum of each result (see timed_calls).
        Without a target, a stand-in that returns slices of dout is called instead: the trusted
        reference worker times that to measure what drawing and checksumming cost."""
        function = self.bound(request) if request.get("target") is not None else stand_in
        cache = self.resolve(request["cache"]) if request.get("cache") is not None else None
        shape = tuple(int(n) for n in request["shape"])
        return wire.encode(timed_calls(function, cache, int(request["seed"]), shape,
                                       int(request["calls"])))

    def op_no_new_processes(self, request):
        """Set this process's hard limit on processes to 0: from now on it can start no process
        and no thread (the kernel counts both), and it can never raise the limit again. The
        judge asks for it before timing and verifies it from outside (forks_blocked)."""
        import resource

        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
        return None

    def op_retire(self, request):
        """Replace each function of {"package.module:function": why} by a stub that raises
        NotCalledAgain at once: the name itself, and wherever the package's other loaded modules
        hold the function (a module that imports it later gets the stub too). A hung function
        reached through other student code, a net's loss calling a layer, fails at once instead
        of hanging again. Other names of it in its own module stay: each is a function of its
        own, called with inputs of its own, and times out (or not) on its own."""
        for spec, why in request["functions"].items():
            home, _, name = spec.partition(":")
            function = self.target(spec)
            if not isinstance(function, types.FunctionType):
                continue  # a class or a callable object is shared by other uses: left alone
            stub = not_called_again(name, why)
            for module_name, module in list(sys.modules.items()):
                if module_name != PACKAGE and not module_name.startswith(PACKAGE + "."):
                    continue
                try:
                    attributes = list(vars(module).items())
                except TypeError:  # not a module (something put there by student code)
                    continue
                for attribute, value in attributes:
                    if value is function and (module_name != home or attribute == name):
                        setattr(module, attribute, stub)
        return None

    def op_numeric_gradient(self, request):
        """Centered-difference gradient of sum(f(args) * dout) with respect to args[wrt]."""
        function = self.bound(request)
        args, kwargs = self.args(request)
        wrt, h = request["wrt"], request.get("h", 1e-5)
        dout = wire.decode(request["dout"])
        x = np.array(args[wrt], dtype=float)
        args[wrt] = x
        grad = np.zeros_like(x)

        def first_output():
            out = function(*args, **kwargs)
            return np.asarray(out[0] if isinstance(out, tuple) else out, dtype=float)

        for index in np.ndindex(x.shape):
            saved = x[index]
            x[index] = saved + h
            plus = first_output()
            x[index] = saved - h
            minus = first_output()
            x[index] = saved
            grad[index] = np.sum((plus - minus) * dout) / (2 * h)
        return wire.encode(grad)

    def op_numeric_loss_gradient(self, request):
        """Centered-difference gradient of model.loss(X, y)[0] for each named parameter."""
        model = self.resolve(request["target"])
        X, y = wire.decode(request["X"]), wire.decode(request["y"])
        h = request.get("h", 1e-5)
        grads = {}
        for name in request["names"]:
            param = model.params[name]
            grad = np.zeros(np.shape(param), dtype=float)
            for index in np.ndindex(grad.shape):
                saved = param[index]
                param[index] = saved + h
                plus = float(model.loss(X, y)[0])
                param[index] = saved - h
                minus = float(model.loss(X, y)[0])
                param[index] = saved
                grad[index] = (plus - minus) / (2 * h)
            grads[name] = grad
        return wire.encode(grads)

    # The loop ---------------------------------------------------------------------------------

    def where(self, error):
        """'package/file.py:12' for the innermost frame of the error inside the submission."""
        if isinstance(error, SyntaxError) and error.filename:
            return self.relative(error.filename, error.lineno)
        frames = [frame for frame in traceback.extract_tb(error.__traceback__)
                  if os.path.realpath(frame.filename).startswith(self.submission + os.sep)]
        return self.relative(frames[-1].filename, frames[-1].lineno) if frames else None

    def relative(self, filename, line):
        return f"{os.path.relpath(os.path.realpath(filename), self.submission)}:{line}"

    def handle(self, request):
        operation = getattr(self, "op_" + str(request.get("op")), None)
        if operation is None:
            raise LookupError(f"unknown operation {request.get('op')!r}")
        return operation(request)

    def serve(self, requests, responses):
        for line in requests:
            try:
                request = wire.loads(line)
            except wire.WireError as error:
                responses.write(wire.dumps({"error": {"type": "WireError", "message": str(error)}}))
                responses.flush()
                continue
            try:
                reply = {"id": request.get("id"), "value": self.handle(request)}
            except BaseException as error:  # noqa: B036 - SystemExit in student code included
                reply = {"id": request.get("id"), "error": {
                    "type": type(error).__name__,
                    "message": str(error)[:2000],
                    "where": self.where(error),
                }}
            if nearly_out_of_memory():
                release_freed_memory()
            responses.write(wire.dumps(reply))
            responses.flush()


def nearly_out_of_memory():
    """Whether this process uses more than half of its address-space limit."""
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit == resource.RLIM_INFINITY:
        return False
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        # No /proc (macOS): the peak resident size, in bytes there (KiB on Linux).
        used = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return used > limit // 2


def release_freed_memory():
    """Give freed memory back to the kernel. The worker's malloc keeps freed buffers (steady
    timings: see the sandbox's environment), so a call that hoarded memory and failed would
    otherwise leave the next, unrelated call none: not even enough to load a numpy module."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def main():
    submission, request_fd, response_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    requests = os.fdopen(request_fd, "rb")
    responses = os.fdopen(response_fd, "wb")
    # Student prints go to the log (stderr), never to a channel anyone parses.
    sys.stdout = sys.stderr
    sys.path.insert(0, os.path.realpath(submission))
    global PACKAGE
    PACKAGE = next((name for name in sorted(os.listdir(submission))
                    if os.path.isdir(os.path.join(submission, name))), "")
    Worker(submission).serve(requests, responses)


if __name__ == "__main__":
    main()
