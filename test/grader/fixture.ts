/**
 * Helpers for the grader tests: the fixture master (test/fixtures/grader/90_fixture.ipynb),
 * variants of it written to a temporary folder, and the options that grade against it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { CellJson, NotebookJson } from "../../grader/core/notebook";
import type { GradeOptions } from "../../grader/judge/grade";

export const ROOT = path.resolve(__dirname, "../..");
export const FIXTURE_MASTER = path.join(ROOT, "test/fixtures/grader/90_fixture.ipynb");

/** Grading options that take expected values from the fixture master. */
export const FIXTURE_OPTIONS: GradeOptions = { masterPath: FIXTURE_MASTER };

/** A fresh copy of the fixture master. */
export function fixtureMaster(): NotebookJson {
  return JSON.parse(fs.readFileSync(FIXTURE_MASTER, "utf8")) as NotebookJson;
}

/** A code cell (for variants that add cells). */
export function codeCell(id: string | undefined, source: string): CellJson {
  const cell: CellJson = { cell_type: "code", metadata: {}, source, outputs: [], execution_count: null };
  if (id !== undefined) cell.id = id;
  return cell;
}

/** Replaces the source of the cell with the given id. */
export function setSource(nb: NotebookJson, id: string, source: string): NotebookJson {
  const cell = nb.cells.find((c) => c.id === id);
  if (!cell) throw new Error(`fixture has no cell ${id}`);
  cell.source = source;
  return nb;
}

/** A temporary folder removed by `cleanup`. */
export class TempDir {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-grader-test-"));
  private count = 0;
  /** Writes a notebook (object or raw text) as <n>/90_fixture.ipynb and returns its path. */
  write(nb: NotebookJson | string, name = "90_fixture.ipynb"): string {
    const dir = path.join(this.dir, String(++this.count));
    fs.mkdirSync(dir);
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof nb === "string" ? nb : JSON.stringify(nb, null, 1));
    return file;
  }
  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The fixture's dot product with a bug (the transpose of the right answer for square results). */
export const WRONG_DOT = "function dot(a: number[][], b: number[][]): number[][] {\n  return a.map(() => b[0].map(() => 0));\n}";
