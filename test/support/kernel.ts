import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { jupyterPython } from "./jupyter-python";

/** A JUPYTER_PATH that lists this kit's kernel folder before `rest` (the caller's JUPYTER_PATH). */
export function jupyterPathWithThisKit(rest: string | undefined = process.env.JUPYTER_PATH): string {
  return [thisKitsKernel(), rest].filter((p): p is string => !!p).join(path.delimiter);
}

/** One output of an executed cell, as nbformat stores it. */
export interface CellOutput {
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  name?: "stdout" | "stderr";
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

export interface ExecutedCell {
  id?: string;
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: { tags?: string[]; [key: string]: unknown };
  outputs?: CellOutput[];
  execution_count?: number | null;
}

export interface ExecutedNotebook {
  cells: ExecutedCell[];
  metadata: { nnkit_execution: { error_cell: string | null; seconds: number }; [key: string]: unknown };
}

const ROOT = path.resolve(__dirname, "../..");

let kernelPath: string | undefined;

/**
 * A Jupyter data folder, made once per process, whose tslab kernel is this kit's
 * (node_modules/.bin/tslab). Put first on JUPYTER_PATH, it wins over a kernel registered by
 * another copy of the kit: that one would load another tslab, which nnkit's displays never reach.
 */
export function thisKitsKernel(): string {
  if (!kernelPath) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-kernel-"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const spec = path.join(dir, "kernels", "tslab");
    fs.mkdirSync(spec, { recursive: true });
    const argv = [path.join(ROOT, "node_modules", ".bin", "tslab"), "kernel", "--config-path", "{connection_file}"];
    fs.writeFileSync(path.join(spec, "kernel.json"), JSON.stringify({ argv, display_name: "TypeScript", language: "typescript" }));
    kernelPath = dir;
  }
  return kernelPath;
}

/**
 * Executes a notebook through the real tslab kernel (nbclient, as Jupyter's "Run All"),
 * stopping at the first failing cell, and returns the executed notebook.
 */
export function executeNotebook(
  notebookPath: string,
  opts: { cwd?: string; cellTimeoutSeconds?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ExecutedNotebook> {
  const abs = path.resolve(notebookPath);
  const cwd = opts.cwd ?? path.dirname(abs);
  const script = path.join(ROOT, "scripts", "execute_notebook.py");
  return new Promise((resolve, reject) => {
    execFile(
      jupyterPython(),
      [script, abs, cwd, String(opts.cellTimeoutSeconds ?? 600)],
      {
        maxBuffer: 512 * 1024 * 1024,
        env: {
          ...process.env,
          ...opts.env,
          JUPYTER_PATH: jupyterPathWithThisKit(opts.env?.JUPYTER_PATH ?? process.env.JUPYTER_PATH),
          PYDEVD_DISABLE_FILE_VALIDATION: "1",
        },
      },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`executing ${notebookPath} failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as ExecutedNotebook);
      },
    );
  });
}

/** All text a cell wrote to the given stream (stdout or stderr). */
export function streamText(cell: ExecutedCell, name: "stdout" | "stderr"): string {
  return (cell.outputs ?? [])
    .filter((o) => o.output_type === "stream" && o.name === name)
    .map((o) => (Array.isArray(o.text) ? o.text.join("") : o.text ?? ""))
    .join("");
}

/** The cell with the given nbformat id; throws when there is none. */
export function cellById(nb: ExecutedNotebook, id: string): ExecutedCell {
  const cell = nb.cells.find((c) => c.id === id);
  if (!cell) throw new Error(`no cell with id ${id}`);
  return cell;
}

/** The stderr text of every code cell that wrote some. */
export function stderrOf(nb: ExecutedNotebook): string[] {
  return nb.cells.filter((c) => c.cell_type === "code").map((c) => streamText(c, "stderr")).filter((t) => t.trim() !== "");
}
