/**
 * Reading and validating notebooks (nbformat 4 on the tslab kernel).
 */
import * as fs from "fs";
import * as path from "path";
import { createHash } from "crypto";

/** One cell of an nbformat 4 notebook (the fields the kit uses; others are kept as they are). */
export interface CellJson {
  id?: string;
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: { tags?: string[]; [key: string]: unknown };
  outputs?: unknown[];
  execution_count?: number | null;
  [key: string]: unknown;
}

/** An nbformat 4 notebook. */
export interface NotebookJson {
  nbformat: number;
  nbformat_minor: number;
  metadata: {
    kernelspec?: { name?: string; display_name?: string; language?: string };
    language_info?: { name?: string };
    [key: string]: unknown;
  };
  cells: CellJson[];
  [key: string]: unknown;
}

/** A notebook file that cannot be graded; the message says why, for the student and the gradebook. */
export class NotebookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotebookError";
  }
}

/** A cell's source as one string (nbformat allows a list of lines). */
export function cellSource(cell: CellJson): string {
  return Array.isArray(cell.source) ? cell.source.join("") : String(cell.source ?? "");
}

/** A cell's tags (empty when it has none). */
export function cellTags(cell: CellJson): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** sha256 of a file's bytes, hex. */
export function fileHash(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Validates parsed JSON as a tslab notebook; `name` is used in the messages. */
export function validateNotebook(data: unknown, name: string): NotebookJson {
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new NotebookError(`${name} is not a notebook: its JSON is not an object`);
  const nb = data as Partial<NotebookJson>;
  if (typeof nb.nbformat !== "number") throw new NotebookError(`${name} is not a notebook: it has no "nbformat" field`);
  if (nb.nbformat < 4) {
    throw new NotebookError(`${name} is in the old notebook format ${nb.nbformat} (nbformat 4 is needed): open it in Jupyter and save it again`);
  }
  const meta = nb.metadata && typeof nb.metadata === "object" ? nb.metadata : {};
  const kernel = meta.kernelspec?.name;
  const language = meta.kernelspec?.language ?? meta.language_info?.name;
  // a released kit names its kernel for the kit: tslab-<kit>
  if ((kernel && !/^tslab(-[\w.-]+)?$/.test(kernel) && kernel !== "jslab") || (language && !/^(typescript|javascript)$/i.test(language))) {
    throw new NotebookError(
      `${name} is a ${language ?? kernel} notebook (kernel "${kernel ?? "?"}"), not a TypeScript notebook on the tslab kernel`,
    );
  }
  if (!Array.isArray(nb.cells)) throw new NotebookError(`${name} is not a notebook: it has no "cells" list`);
  if (nb.cells.length === 0) throw new NotebookError(`${name} has no cells`);
  nb.cells.forEach((cell, i) => {
    if (!cell || typeof cell !== "object" || !["code", "markdown", "raw"].includes((cell as CellJson).cell_type)) {
      throw new NotebookError(`${name}: cell ${i + 1} is not a valid notebook cell`);
    }
    const src = (cell as CellJson).source;
    if (typeof src !== "string" && !(Array.isArray(src) && src.every((l) => typeof l === "string"))) {
      throw new NotebookError(`${name}: cell ${i + 1} has no valid source`);
    }
    if (!cell.metadata || typeof cell.metadata !== "object") cell.metadata = {};
  });
  return { ...nb, metadata: meta } as NotebookJson;
}

/** Parses notebook text; clear errors for invalid JSON and for what `validateNotebook` rejects. */
export function parseNotebook(text: string, name: string): NotebookJson {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new NotebookError(`${name} is not valid JSON (${(err as Error).message}); is it really a .ipynb notebook?`);
  }
  return validateNotebook(data, name);
}

/**
 * Reads and validates a notebook file: clear errors for a missing file, invalid JSON,
 * nbformat < 4, a non-tslab kernel (e.g. a Python notebook) and a notebook without cells.
 */
export function readNotebook(file: string): NotebookJson {
  const name = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new NotebookError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseNotebook(text, name);
}
