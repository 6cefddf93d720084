/**
 * A grading worker process of the pool: receives `{id, input}` messages, grades one notebook
 * with the grader core (which runs the student's code in its own sandboxed child) and sends
 * the plain NotebookResult back. It exits when the parent goes away.
 */
import { descendants, killProcessTree, type WorkerReply } from "../run/pool";
import type { NotebookSpec } from "../core/spec";
import * as path from "path";
import { loadAssignment } from "./assignment";

/** One job: a notebook of the assignment and the student's copy of it. */
export interface GradeJobInput {
  notebook: string;
  path: string;
  specsDir?: string;
  /** Master notebooks of that assignment (default: the kit's notebooks/). */
  mastersDir?: string;
  options: { cellTimeoutMs?: number; notebookTimeoutMs?: number; memoryMb?: number };
}

type GradeFn = (spec: NotebookSpec, notebookPath: string, opts?: GradeJobInput["options"] & { masterPath?: string; warmTypecheck?: boolean }) => Promise<unknown>;

const specCache = new Map<string, NotebookSpec[]>();

async function handle(input: GradeJobInput): Promise<unknown> {
  const key = input.specsDir ?? "";
  if (!specCache.has(key)) specCache.set(key, loadAssignment(input.specsDir));
  const spec = specCache.get(key)?.find((s) => s.notebook === input.notebook);
  if (!spec) throw new Error(`no spec for notebook ${input.notebook}`);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const core = require("./grade") as { gradeNotebook: GradeFn };
  const masterPath = input.mastersDir ? path.join(input.mastersDir, spec.notebook) : undefined;
  // A worker grades notebook after notebook: its type-checker stays warm across them
  // (grader/run/typecheck.ts); NNKIT_WARM_TYPECHECK=0 leaves all checking to the children.
  return core.gradeNotebook(spec, input.path, { ...input.options, masterPath, warmTypecheck: process.env.NNKIT_WARM_TYPECHECK !== "0" });
}

process.on("message", (msg: { id: number; input: GradeJobInput }) => {
  handle(msg.input).then(
    (value) => process.send?.({ id: msg.id, ok: true, value } satisfies WorkerReply<unknown>),
    (err: unknown) => process.send?.({ id: msg.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies WorkerReply<unknown>),
  );
});
// the parent is gone (done, or killed with kill -9): take the sandboxed runs down too
process.on("disconnect", () => {
  for (const pid of descendants(process.pid).reverse()) killProcessTree(pid);
  process.exit(0);
});
