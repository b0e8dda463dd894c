"""The demo submissions of `make grade`: a few zips built from the assignment itself.

`python -m autograder.demo DIR` writes, into DIR, zips laid out as the notebook's export cell makes
them (the notebook and the `cs231n/` files it lists, at the zip's root): the reference, the
untouched template, and copies of the reference with one real student mistake each (the README's
"Questions and points" lists the mistakes the checks recognize).
A mistake is a small recorded text edit of the reference (autograder.variants), which must apply
exactly once, so a demo never silently grades the reference under another name. One name holds a
space and a non-ASCII letter, as real names do. The zips are byte-for-byte reproducible (fixed
timestamps and order), so rebuilding the demo does not invalidate `make grade`'s cache.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder import paths, variants
from autograder.build import ZIP_TIMESTAMP

LAYERS = paths.LAYERS_FILE
FC_NET = paths.FC_NET_FILE


@dataclass(frozen=True)
class Demo:
    name: str  # the zip's name, without .zip
    what: str  # what it shows, for the demo's README
    source: Path  # the folder holding the notebook and cs231n/
    edits: tuple = ()  # autograder.variants edits applied to source's cs231n/
    notebook: bool = True
    package: bool = True


DEMOS = [
    Demo("reference", "the reference solution: full marks", paths.SOLUTIONS),
    Demo("untouched template", "the handout as students receive it: every check fails with "
         "'not implemented yet'", paths.STUDENT_TEMPLATE),
    Demo("Zoë Dupont", "batchnorm_backward_alt calls the staged backward: right values, no "
         "speedup (fails the speed check)", paths.SOLUTIONS, (
             (LAYERS, "batchnorm_backward_alt", "    x_hat, _, _, std, gamma, _ = cache\n",
              "    return batchnorm_backward(dout, cache)\n"),)),
    Demo("cache order", "the staged backward unpacks the cache in another order than the "
         "forward packed it (dx wrong)", paths.SOLUTIONS, (
             (LAYERS, "batchnorm_backward", "    x_hat, x_centered, var, std, gamma, eps = cache\n",
              "    x_hat, x_centered, std, var, gamma, eps = cache\n"),)),
    Demo("eps hard-coded", "the closed-form backward assumes eps = 1e-5 instead of reading it "
         "from the cache", paths.SOLUTIONS, (
             (LAYERS, "batchnorm_backward_alt", "    x_hat, _, _, std, gamma, _ = cache\n",
              "    _, x_centered, var, _, gamma, _ = cache\n"
              "    std = np.sqrt(var + 1e-5)\n"
              "    x_hat = x_centered / std\n"),)),
    Demo("test mode without gamma", "batchnorm's test mode forgets gamma and beta",
         paths.SOLUTIONS, (
             (LAYERS, "batchnorm_forward", "out = gamma * x_hat + beta\n        return out, None",
              "out = x_hat\n        return out, None"),)),
    Demo("last W not regularized", "FullyConnectedNet leaves the output layer's weights out of "
         "the L2 penalty", paths.SOLUTIONS, (
             (FC_NET, None,
              'weights = [self.params[f"W{layer}"] for layer in range(1, L + 1)]',
              'weights = [self.params[f"W{layer}"] for layer in range(1, L)]'),
             (FC_NET, None, 'grads[f"W{L}"] = dW + self.reg * self.params[f"W{L}"]',
              'grads[f"W{L}"] = dW'))),
    Demo("layernorm axis 0", "layernorm's backward reduces over the batch (axis 0) as batchnorm "
         "does", paths.SOLUTIONS, (
             (LAYERS, "layernorm_backward", "D = dout.shape[1]", "D = dout.shape[0]"),
             (LAYERS, "layernorm_backward", "dx_hat.sum(axis=1, keepdims=True)",
              "dx_hat.sum(axis=0, keepdims=True)"),
             (LAYERS, "layernorm_backward", "np.sum(dx_hat * x_hat, axis=1, keepdims=True)",
              "np.sum(dx_hat * x_hat, axis=0, keepdims=True)"))),
    Demo("syntax error", "a package that does not import (an unclosed parenthesis): zero, with "
         "the line in the status", paths.SOLUTIONS, (
             (LAYERS, "batchnorm_forward", "std = np.sqrt(sample_var + eps)",
              "std = np.sqrt(sample_var + eps"),)),
    Demo("notebook only", "a zip holding only the notebook: zero, 'no cs231n/layers.py'",
         paths.SOLUTIONS, package=False),
]


def exported_files(notebook: Path) -> list[str]:
    """The package files the notebook's export cell puts in the zip (`export(..., files=...)`)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in reversed(cells):
        source = "".join(cell.get("source", []))
        if cell.get("cell_type") != "code" or "export(" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "files":
                        return list(ast.literal_eval(keyword.value))
    raise ValueError(f"no export(files=[...]) cell in {notebook}")


def write_zip(path: Path, files: dict[str, bytes]) -> None:
    """A reproducible zip (sorted names, fixed timestamps), written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[name])
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def submission_files(demo: Demo, scratch: Path) -> dict[str, bytes]:
    """What the export cell would zip for this demo: {name in the zip: content}."""
    notebook = demo.source / paths.NOTEBOOK_NAME
    files = {}
    if demo.notebook:
        files[paths.NOTEBOOK_NAME] = notebook.read_bytes()
    if demo.package:
        folder = variants.make_variant(scratch, list(demo.edits),
                                       source=demo.source / paths.PACKAGE_NAME)
        for name in exported_files(notebook):
            files[name] = (folder / name).read_bytes()
    return files


def readme(demos: list[Demo]) -> str:
    lines = ["# Demo submissions for `make grade`", "",
             "Generated by `python -m autograder.demo` from `solutions/` and `student_template/`"
             " (do not edit). Each zip is laid out as the notebook's export cell makes it.", ""]
    lines += [f"- `{demo.name}.zip`: {demo.what}" for demo in demos]
    return "\n".join(lines) + "\n"


def build(destination: Path, demos: list[Demo] = DEMOS) -> list[Path]:
    """Write every demo zip (and a README.md listing them) into `destination`."""
    destination = Path(destination)
    written = []
    with tempfile.TemporaryDirectory(prefix="bn-demo-") as scratch:
        for number, demo in enumerate(demos):
            files = submission_files(demo, Path(scratch) / str(number))
            path = destination / f"{demo.name}.zip"
            write_zip(path, files)
            written.append(path)
    from autograder.results import write_text_atomic

    write_text_atomic(destination / "README.md", readme(demos))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("destination", type=Path, nargs="?", default=paths.DIST / "demo",
                        help="folder to write the demo zips into (default: %(default)s)")
    args = parser.parse_args(argv)
    written = build(args.destination)
    print(f"wrote {len(written)} demo submissions into {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
