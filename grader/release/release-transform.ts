/**
 * Master -> student notebook: every solution region becomes a stub that type-checks and
 * throws "not implemented", outputs are cleared. Cell ids and metadata are kept, so that the
 * grader can match the student's cells with the master's.
 */
import { cellSource, type CellJson, type NotebookJson } from "../core/notebook";
import { BEGIN_SOLUTION as BEGIN, END_SOLUTION as END } from "../core/solution-markers";

/** True when the source has at least one solution region. */
export function hasSolution(source: string): boolean {
  return source.split("\n").some((line) => BEGIN.test(line));
}

/**
 * Replaces each `// BEGIN SOLUTION [name]` ... `// END SOLUTION` region of one cell's source by
 * `// YOUR CODE HERE` and `throw new Error("not implemented: <name>")` at the region's
 * indentation. `fallbackName` names unnamed regions (the cell id). Throws on unbalanced markers.
 */
export function stubSolutions(source: string, fallbackName: string): string {
  const lines = source.split("\n");
  const out: string[] = [];
  let open: { indent: string; name: string; line: number } | null = null;
  lines.forEach((line, i) => {
    const begin = BEGIN.exec(line);
    if (begin) {
      if (open) throw new Error(`cell ${fallbackName}: BEGIN SOLUTION on line ${i + 1} inside the region opened on line ${open.line}`);
      open = { indent: begin[1], name: begin[2] || fallbackName, line: i + 1 };
      return;
    }
    if (END.test(line)) {
      if (!open) throw new Error(`cell ${fallbackName}: END SOLUTION on line ${i + 1} without a BEGIN SOLUTION`);
      out.push(`${open.indent}// YOUR CODE HERE`, `${open.indent}throw new Error(${JSON.stringify(`not implemented: ${open.name}`)});`);
      open = null;
      return;
    }
    if (!open) out.push(line);
  });
  if (open) throw new Error(`cell ${fallbackName}: BEGIN SOLUTION on line ${(open as { line: number }).line} is never closed by END SOLUTION`);
  return out.join("\n");
}

/** The student version of one master cell (a copy; the master is not changed). */
export function toStudentCell(cell: CellJson, index: number): CellJson {
  const copy = JSON.parse(JSON.stringify(cell)) as CellJson;
  if (copy.cell_type !== "code") return copy;
  const src = cellSource(cell);
  if (hasSolution(src)) copy.source = stubSolutions(src, cell.id ?? `cell ${index + 1}`);
  copy.outputs = [];
  copy.execution_count = null;
  return copy;
}

/** The student version of a master notebook: solution regions stubbed, outputs cleared, ids and tags kept. */
export function toStudentNotebook(master: NotebookJson): NotebookJson {
  const copy = JSON.parse(JSON.stringify(master)) as NotebookJson;
  copy.cells = master.cells.map((cell, i) => toStudentCell(cell, i));
  return copy;
}
