"""Execute a notebook headlessly on the tslab kernel, the way Jupyter does (nbclient).

Prints the executed notebook as JSON on stdout, even when a cell fails: execution
stops at the first failing cell (as "Run All" does), and the result names it in
metadata.nnkit_execution = {"error_cell": <cell id or null>, "seconds": <float>}.
"""
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main() -> int:
    path, cwd, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
    nb = nbformat.read(path, as_version=4)
    # the kernel the notebook names (a released kit names its own, tslab-<kit>)
    kernel = os.environ.get("NNKIT_KERNEL") or nb.metadata.get("kernelspec", {}).get("name") or "tslab"
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                            resources={"metadata": {"path": cwd}})
    error_cell = None
    started = time.time()
    try:
        client.execute()
    except CellExecutionError:
        for cell in nb.cells:
            if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                error_cell = cell.get("id")
        if error_cell is None:
            # tslab reports a failed cell with status "error" but no error output;
            # the failing cell is the last one that ran.
            ran = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count")]
            error_cell = ran[-1].get("id") if ran else None
    nb.metadata["nnkit_execution"] = {"error_cell": error_cell, "seconds": time.time() - started}
    sys.stdout.write(nbformat.writes(nb))
    return 0


if __name__ == "__main__":
    sys.exit(main())
