/**
 * `npm run bench -- grading profile` (or `grading-profile`): where a submission's CPU seconds go
 * when the grader grades it. Grades BENCH_SUBMISSIONS (default 2) copies of every master, one
 * submission after another in this process as a grading worker does (gradeSubmission: one child
 * per submission, or per notebook with NNKIT_CHILD_PER=notebook), with the child reporting its
 * CPU time per step (GradeOptions.profile), and prints one table: stage, CPU seconds per
 * submission, share.
 *
 * Stages: starting the child (node and the snapshot restore), type-checking the cells that are
 * not reused from the master, running 05's data-loading cells, running the other cells, the
 * probes, and the grader's own process (reference, cell plan, driving the child, judging). The
 * master precheck grades each master once per batch: with N submissions it adds 1/N of a
 * submission (and nothing on a batch whose masters passed before under the same key).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadAssignment } from "../grader/judge/assignment";
import { childPerFromEnv, gradeNotebook, gradeSubmission, type ChildPer, type GradeOptions, type NotebookResult } from "../grader/judge/grade";
import type { RunProfile } from "../grader/run/run";
import { KIT_ROOT } from "../grader/core/version";

/** Cells that load a data set from disk (05's Fashion-MNIST). */
const DATA_LOADING = /\bloadFashionMnist\s*\(/;

export interface StageRow {
  stage: string;
  /** CPU seconds per submission. */
  seconds: number;
}

/** The source of each code cell of a notebook, by cell id. */
function cellSources(file: string): Map<string, string> {
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as { cells: { id?: string; cell_type: string; source: string | string[] }[] };
  const out = new Map<string, string>();
  for (const c of nb.cells) if (c.cell_type === "code" && c.id) out.set(c.id, Array.isArray(c.source) ? c.source.join("") : c.source);
  return out;
}

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

/**
 * Grades `n` submissions (each a copy of every master) and returns the CPU seconds per
 * submission by stage, and per notebook. `options` is passed to every gradeSubmission call.
 */
export async function profileGrading(n: number, options: GradeOptions & { childPer?: ChildPer } = {}): Promise<{ rows: StageRow[]; perNotebook: Map<string, number>; topCells: [string, number][]; results: NotebookResult[] }> {
  const specs = loadAssignment();
  const totals = { start: 0, check: 0, data: 0, run: 0, probe: 0, grader: 0 };
  const perNotebook = new Map<string, number>();
  const results: NotebookResult[] = [];
  const byCell = new Map<string, number>();
  // The references (the masters' runs) are built before anything is measured, as a batch does.
  for (const spec of specs) await gradeNotebook(spec, path.join(KIT_ROOT, "notebooks", spec.notebook), { ...options, profile: false });
  const childPer = options.childPer ?? childPerFromEnv();
  for (let i = 0; i < n; i++) {
    const items = specs.map((spec) => ({ spec, path: path.join(KIT_ROOT, "notebooks", spec.notebook) }));
    const before = process.cpuUsage();
    // As a grading worker grades a submission: one child for its notebooks, or one each.
    const graded = await gradeSubmission(items, { ...options, profile: true, childPer });
    const grader = cpuSeconds(process.cpuUsage(before));
    totals.grader += grader;
    graded.forEach((r, k) => {
      const spec = specs[k];
      const sources = cellSources(items[k].path);
      results.push(r);
      const p = r.profile as RunProfile;
      if (!p) throw new Error(`${spec.notebook}: the run reported no profile`);
      let data = 0;
      for (const c of p.cells) {
        if (DATA_LOADING.test(sources.get(c.id) ?? "")) data += c.runMs / 1000;
        const name = `${spec.notebook.slice(0, 2)}:${c.id}`;
        byCell.set(name, (byCell.get(name) ?? 0) + (c.runMs + c.checkMs) / 1000 / n);
      }
      totals.start += p.startMs / 1000;
      totals.check += p.checkMs / 1000;
      totals.data += data;
      totals.run += p.runMs / 1000 - data;
      totals.probe += p.probeMs / 1000;
      // the grader's own time is measured per submission: an equal share to each notebook
      const all = (p.startMs + p.checkMs + p.runMs + p.probeMs) / 1000 + grader / graded.length;
      perNotebook.set(spec.notebook, (perNotebook.get(spec.notebook) ?? 0) + all / n);
    });
  }
  const rows: StageRow[] = [
    { stage: `starting the child (node, snapshot restore): one per ${childPer}`, seconds: totals.start / n },
    { stage: "type-checking cells in the child", seconds: totals.check / n },
    { stage: "running 05's data-loading cells", seconds: totals.data / n },
    { stage: "running the other cells", seconds: totals.run / n },
    { stage: "probes", seconds: totals.probe / n },
    { stage: "grader process (reference, plan, judging, its warm type-checker)", seconds: totals.grader / n },
  ];
  const topCells = [...byCell].sort((a, b) => b[1] - a[1]).slice(0, 10);
  return { rows, perNotebook, topCells, results };
}

/** Prints the table of `rows` with each stage's share of their sum. */
export function printProfile(rows: StageRow[], perNotebook: Map<string, number>, topCells: [string, number][], n: number): void {
  const total = rows.reduce((s, r) => s + r.seconds, 0);
  console.log(`\nCPU seconds per submission (${n} submission(s) of every master; load average ${os.loadavg().map((l) => l.toFixed(1)).join(", ")}):`);
  console.log("| stage | CPU s per submission | share |");
  console.log("| --- | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.stage} | ${r.seconds.toFixed(2)} | ${((100 * r.seconds) / total).toFixed(0)}% |`);
  console.log(`| total | ${total.toFixed(2)} | 100% |`);
  console.log(`master precheck: once per batch, ${total.toFixed(2)} s (one submission), i.e. ${(total / n).toFixed(2)} s per submission in a batch of ${n}; 0 when cached`);
  console.log("\nper notebook (CPU s): " + [...perNotebook].map(([nb, s]) => `${nb} ${s.toFixed(2)}`).join(", "));
  console.log("costliest cells (CPU s, running and type-checking in the child): " + topCells.map(([c, s]) => `${c} ${s.toFixed(2)}`).join(", "));
}

/** Runs the profile and prints its table. */
export async function main(): Promise<void> {
  const v = Number(process.env.BENCH_SUBMISSIONS ?? 2);
  if (!Number.isInteger(v) || v < 1) throw new Error("BENCH_SUBMISSIONS must be a whole number >= 1");
  // As in the bulk grader's workers: the warm type-checker is on unless NNKIT_WARM_TYPECHECK=0.
  const { rows, perNotebook, topCells } = await profileGrading(v, { warmTypecheck: process.env.NNKIT_WARM_TYPECHECK !== "0" });
  printProfile(rows, perNotebook, topCells, v);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
