import { execFileSync } from "child_process";

let cached: string | undefined;

/** The Python interpreter that has Jupyter (nbclient) installed: $JUPYTER_PYTHON, /usr/bin/python3 or python3. */
export function jupyterPython(): string {
  if (cached) return cached;
  const candidates = [process.env.JUPYTER_PYTHON, "/usr/bin/python3", "python3"].filter((c): c is string => !!c);
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
