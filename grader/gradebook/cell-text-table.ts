/**
 * The one shape of a gradebook table that keeps a text per cell of a submitted notebook: the
 * written answers (`written`, version 1) and the solution cells the similarity report compares
 * (`solution_cells`, version 6). Both are keyed by submission, notebook and the master's cell id.
 */

/** `CREATE TABLE IF NOT EXISTS` for such a table, the text in column `column`. */
export function cellTextTable(table: string, column: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  submission_id INTEGER NOT NULL REFERENCES submissions(id),
  notebook TEXT NOT NULL,
  cell_id TEXT NOT NULL,
  ${column} TEXT NOT NULL,
  PRIMARY KEY (submission_id, notebook, cell_id)
);`;
}
