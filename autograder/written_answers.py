"""Select what graders read of a notebook: the cells its `pdf-*` tags keep.

- `pdf-title`: the title cell, kept;
- `pdf-inline`: the inline questions and their answers, kept;
- `pdf-ignore-input`: experiment and plotting cells, only their figures kept (printed progress
  text and the code are dropped);
- `pdf-ignore`, and every untagged cell: dropped.

`select_cells` is one small notebook transformation, like an nbconvert preprocessor; rendering the
result to PDF is a separate step.
"""

from __future__ import annotations

import copy

import nbformat

KEEP = {"pdf-title", "pdf-inline"}
OUTPUTS_ONLY = "pdf-ignore-input"


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def is_figure(output) -> bool:
    return any(kind.startswith("image/") for kind in output.get("data", {}))


def select_cells(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of `notebook` holding only the cells (or outputs) graders read, in order."""
    selected = copy.deepcopy(notebook)
    cells = []
    for cell in selected.cells:
        cell_tags = tags(cell)
        if cell_tags & KEEP:
            cells.append(cell)
        elif OUTPUTS_ONLY in cell_tags and cell.cell_type == "code":
            cell.outputs = [output for output in cell.get("outputs", []) if is_figure(output)]
            if cell.outputs:
                cell.source = ""
                cell.metadata["transient"] = {"remove_source": True}
                cells.append(cell)
    selected.cells = cells
    return selected
