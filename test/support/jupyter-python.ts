import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

let cached: string | undefined;

/** The Python that setup.sh chose (it writes it to .nnkit/python), if any. */
function recordedPython(): string | undefined {
  try {
    return fs.readFileSync(path.resolve(__dirname, "../../.nnkit/python"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Python interpreter that has Jupyter (nbclient) installed: $JUPYTER_PYTHON, the one
 * setup.sh recorded, /usr/bin/python3 or python3.
 */
export function jupyterPython(): string {
  if (cached) return cached;
  const candidates = [process.env.JUPYTER_PYTHON, recordedPython(), "/usr/bin/python3", "python3"].filter((c): c is string => !!c);
  for (const py of candidates) {
    try {
      execFileSync(py, ["-c", "import nbclient, nbformat"], { stdio: "ignore" });
      cached = py;
      return py;
    } catch {
      // try the next one
    }
  }
  throw new Error(`No Python with nbclient found (tried ${candidates.join(", ")}); run ./setup.sh`);
}
