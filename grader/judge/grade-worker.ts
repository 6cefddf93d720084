/**
 * A grading worker process of the pool: receives `{id, input}` messages, grades the notebooks of
 * one job (one notebook, or a submission's notebooks) with the grader core (which runs the
 * student's code in its own sandboxed child) and sends the plain NotebookResults back, one per
 * notebook, in order. It exits when the parent goes away.
 */
import { descendants, killProcessTree, type WorkerReply } from "../run/pool";
import type { NotebookSpec } from "../core/spec";
import * as path from "path";
import { loadAssignment } from "./assignment";
import type { ChildPer, GradeOptions, NotebookResult, SubmissionItem } from "./grade";

/** One job: notebooks of the assignment and the student's copies of them. */
export interface GradeJobInput {
  items: { notebook: string; path: string }[];
  specsDir?: string;
  /** Master notebooks of that assignment (default: the kit's notebooks/). */
  mastersDir?: string;
  options: { cellTimeoutMs?: number; notebookTimeoutMs?: number; memoryMb?: number };
  /** One sandboxed child for the job's notebooks, or one each (see gradeSubmission). */
  childPer: ChildPer;
}

type GradeFn = (items: SubmissionItem[], opts?: GradeOptions & { childPer?: ChildPer }) => Promise<NotebookResult[]>;

const specCache = new Map<string, NotebookSpec[]>();

async function handle(input: GradeJobInput): Promise<NotebookResult[]> {
  const key = input.specsDir ?? "";
  if (!specCache.has(key)) specCache.set(key, loadAssignment(input.specsDir));
  const items = input.items.map((item): SubmissionItem => {
    const spec = specCache.get(key)?.find((s) => s.notebook === item.notebook);
    if (!spec) throw new Error(`no spec for notebook ${item.notebook}`);
    return { spec, path: item.path, masterPath: input.mastersDir ? path.join(input.mastersDir, spec.notebook) : undefined };
  });
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const core = require("./grade") as { gradeSubmission: GradeFn };
  // A worker grades notebook after notebook: its type-checker stays warm across them
  // (grader/run/typecheck.ts); NNKIT_WARM_TYPECHECK=0 leaves all checking to the children.
  return core.gradeSubmission(items, { ...input.options, warmTypecheck: process.env.NNKIT_WARM_TYPECHECK !== "0", childPer: input.childPer });
}

process.on("message", (msg: { id: number; input: GradeJobInput }) => {
  handle(msg.input).then(
    (value) => process.send?.({ id: msg.id, ok: true, value } satisfies WorkerReply<NotebookResult[]>),
    (err: unknown) => process.send?.({ id: msg.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies WorkerReply<NotebookResult[]>),
  );
});
// the parent is gone (done, or killed with kill -9): take the sandboxed runs down too
process.on("disconnect", () => {
  for (const pid of descendants(process.pid).reverse()) killProcessTree(pid);
  process.exit(0);
});
