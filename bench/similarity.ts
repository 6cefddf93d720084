/**
 * `npm run bench -- similarity`: the similarity report on a generated class of 300 students x
 * the 5 real master notebooks (every solution region of notebooks/, every question of
 * grader/specs). Each student's code is the master's solution with the student's own names,
 * spacing, comments and 0-4 statements of their own mixed in; 10 pairs are planted copies.
 * The class goes into a gradebook through the gradebook API and the same capture `grade` uses;
 * then the report runs in this process and once more as the CLI. Prints the times.
 *
 * Environment: BENCH_STUDENTS (default 300).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadAssignment } from "../grader/judge/assignment";
import { runSimilarity } from "../grader/gradebook/similarity/run-similarity";
import { Gradebook, type RunInput } from "../grader/gradebook/gradebook";
import { cellSource, readNotebook, type NotebookJson } from "../grader/core/notebook";
import { toStudentNotebook } from "../grader/release/release-transform";
import { captureSolutionCells } from "../grader/gradebook/similarity/store";
import { KIT_ROOT, kitVersion } from "../grader/core/version";
import { Rng } from "../src/random";

const OWN = [
  (r: Rng) => `const check${r.int(0, 99)} = ${r.int(1, 9)} * ${r.int(1, 9)};`,
  () => `if (Number.isNaN(0)) throw new Error("unreachable");`,
  (r: Rng) => `let counter = 0; for (let z = 0; z < ${r.int(2, 5)}; z++) counter += z;`,
  () => `const debugInfo = { step: 1, ok: true };`,
  () => `console.assert(true, "sanity");`,
  (r: Rng) => `const scratch: number[] = []; while (scratch.length < ${r.int(1, 4)}) scratch.push(scratch.length * 2);`,
  () => `void [1, 2, 3].map((q) => q + 1).filter((q) => q > 2);`,
  () => `const label = ["a", "b"].join("-").toUpperCase();`,
];

/** One student's version of a solution region: own names, spacing and a few own statements. */
function studentRegion(lines: string[], r: Rng, suffix: string): string[] {
  const declared = new Set<string>();
  for (const l of lines) for (const m of l.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)/g)) declared.add(m[1]);
  let out = lines.map((l) => {
    let s = l;
    for (const name of declared) s = s.replace(new RegExp(`\\b${name}\\b`, "g"), `${name}${suffix}`);
    return r.next() < 0.5 ? s.replace(/ = /g, "=").replace(/, /g, ",") : s;
  });
  const indent = /^\s*/.exec(lines[0] ?? "")?.[0] ?? "  ";
  const own = Array.from({ length: r.int(0, 5) }, () => indent + OWN[r.int(0, OWN.length)](r));
  for (const s of own) out.splice(r.int(0, out.length + 1) > out.length - 1 ? 0 : r.int(0, out.length), 0, s);
  if (r.next() < 0.3) out = [`${indent}// my attempt, ${suffix}`, ...out];
  return out;
}

/** A student's notebook: the master with every region replaced by the student's version. */
function studentNotebook(master: NotebookJson, r: Rng, suffix: string): NotebookJson {
  const nb = toStudentNotebook(master);
  master.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const lines = cellSource(cell).split("\n");
    const out: string[] = [];
    let region: string[] | null = null;
    for (const line of lines) {
      if (/^\s*\/\/\s*BEGIN SOLUTION/.test(line)) region = [];
      else if (/^\s*\/\/\s*END SOLUTION/.test(line)) {
        out.push(...studentRegion(region ?? [], r, suffix));
        region = null;
      } else if (region) region.push(line);
      else out.push(line);
    }
    nb.cells[i].source = out.join("\n");
  });
  return nb;
}

export async function main(): Promise<void> {
  const n = Number(process.env.BENCH_STUDENTS ?? 300);
  const specs = loadAssignment();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-similarity-"));
  try {
    const t0 = Date.now();
    const gbFile = path.join(tmp, "gradebook.sqlite");
    const gb = Gradebook.open(gbFile, kitVersion());
    const masters = specs.map((s) => readNotebook(path.join(KIT_ROOT, "notebooks", s.notebook)));
    const r = new Rng(20);
    const ids = Array.from({ length: n }, (_, i) => `student-${String(i + 1).padStart(3, "0")}`);
    const copies = new Map<number, number>(Array.from({ length: 10 }, (_, k) => [n - 1 - k, k * 7]));
    for (let i = 0; i < n; i++) {
      const { id } = gb.recordSubmission({ student: ids[i], source: `bench/${ids[i]}`, kind: "notebooks", contentHash: `h${i}`, submittedAt: null,
        timeSource: null, lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: null, manifest: null });
      specs.forEach((spec, k) => {
        // a planted copy: the same random choices as its source, under other names
        const seed = 1000 * ((copies.get(i) ?? i) + 1) + k;
        const nb = studentNotebook(masters[k], new Rng(seed), copies.has(i) ? `_c${i}` : `_${r.int(0, 1e6)}`);
        const file = path.join(tmp, `${ids[i]}_${spec.notebook}`);
        fs.writeFileSync(file, JSON.stringify(nb));
        captureSolutionCells(gb.db, id, spec.notebook, file, path.join(KIT_ROOT, "notebooks", spec.notebook));
        const run: RunInput = { status: "graded", score: 0, maxScore: 0, questions: [], log: "", seconds: 1, masterHash: "bench" };
        gb.recordDirect(id, spec.notebook, run);
      });
    }
    gb.close();
    const built = (Date.now() - t0) / 1000;

    const t1 = Date.now();
    const cpu0 = process.cpuUsage();
    const { result, lines } = await runSimilarity({ gradebook: gbFile, out: path.join(tmp, "out"), top: 25, min: 0.5 });
    const cpu = process.cpuUsage(cpu0);
    const inProcess = (Date.now() - t1) / 1000;

    const t2 = Date.now();
    const cli = spawnSync(process.execPath, ["-r", "tsx/cjs", path.join(KIT_ROOT, "grader", "cli", "main.ts"), "similarity", "-g", gbFile, "-o", path.join(tmp, "out-cli")],
      { cwd: KIT_ROOT, encoding: "utf8", maxBuffer: 1 << 30 });
    const cliSeconds = (Date.now() - t2) / 1000;
    if (cli.status !== 0) throw new Error(`the CLI failed: ${cli.stderr}`);

    const planted = [...copies].map(([copy, src]) => [ids[src], ids[copy]].sort().join(" "));
    const found = planted.filter((p) => result.pairs.some((x) => x.similarity >= 0.9 && [x.a.student, x.b.student].sort().join(" ") === p));
    console.log(`similarity: ${n} students x ${specs.length} notebooks, ${result.questions.length} questions (class built in ${built.toFixed(1)} s)`);
    console.log(`  in process: ${inProcess.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU (one thread); ` +
      `as the CLI (npm run grader -- similarity): ${cliSeconds.toFixed(2)} s wall; load average now ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
    console.log(`  pairs scored: ${result.scored} of ${result.questions.length * (n * (n - 1) / 2 + n)} possible; ${lines.length} at >= 0.5 printed`);
    console.log(`  planted copies found at >= 0.9 in every notebook they copy: ${new Set(found).size} of ${planted.length} pairs`);
  } finally {
    if (process.env.BENCH_KEEP) console.log(`  kept: ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}
