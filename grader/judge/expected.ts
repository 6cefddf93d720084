/**
 * Reference results: the master notebook run through the very same runner as the students,
 * its probe results cached under .cache/expected/ by the hash of the master, the spec and the
 * runner. Also the public projection of a reference (checks/<notebook>.json) and back.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { runnerProgram } from "../run/child-bundle";
import { planCells, masterCells } from "../run/cells";
import { generateInputs } from "../core/inputs";
import { readNotebook, fileHash } from "../core/notebook";
import { toStudentNotebook } from "../release/release-transform";
import { encodeOutcome, decodeOutcome, type ProbeOutcome } from "../core/plain";
import { runNotebook, type CellConversion, type RunLimits } from "../run/run";
import type { Conversion } from "../run/child/protocol";
import type { NotebookSpec, Comparator } from "../core/spec";
import type { ChecksFile, EncodedInput, PublicCell, PublicQuestion } from "../../src/check";

export interface RefProbe {
  index: number;
  hidden: boolean;
  expr: string;
  js: string;
  label?: string;
  inputs: Record<string, EncodedInput>;
  expected: ProbeOutcome;
  /** The probe's own comparator, when it is not judged by its question's. */
  compare?: Comparator;
}

export interface RefQuestion {
  id: string;
  title: string;
  points: number;
  requires: string[];
  compare: Comparator;
  hint: string;
  probes: RefProbe[];
}

/** Everything the grader needs to judge submissions of one notebook. */
export interface Reference {
  notebook: string;
  masterHash: string;
  cells: PublicCell[];
  questions: RefQuestion[];
  /**
   * The master's conversions of its public cells (those the student version has unchanged),
   * reused when a submission has the same cell after the same declarations. Never a solution cell's.
   */
  conversions: Record<string, Conversion>;
}

/** Compiles a probe expression (TypeScript) to a JavaScript expression. */
export function compileProbe(expr: string, where: string): string {
  const ts = require("typescript") as typeof import("typescript");
  const out = ts.transpileModule(`__probe__ = (${expr}\n);`, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    reportDiagnostics: true,
  });
  if (out.diagnostics && out.diagnostics.length > 0) {
    throw new Error(`${where}: the probe expression does not parse: ${ts.flattenDiagnosticMessageText(out.diagnostics[0].messageText, " ")}`);
  }
  const m = /^__probe__ = ([\s\S]*);\s*$/.exec(out.outputText.trim());
  if (!m) throw new Error(`${where}: the probe expression could not be compiled`);
  return m[1];
}

/** Checks a spec for mistakes a spec author can make (clear errors instead of odd grades). */
export function validateSpec(spec: NotebookSpec): void {
  const where = `spec ${spec.notebook}`;
  if (!spec.notebook || !Array.isArray(spec.questions)) throw new Error(`${where}: needs "notebook" and "questions"`);
  const seen = new Set<string>();
  for (const q of spec.questions) {
    if (!q.id || seen.has(q.id)) throw new Error(`${where}: question id ${JSON.stringify(q.id)} is missing or repeated`);
    seen.add(q.id);
    if (!(q.points >= 0)) throw new Error(`${where}: question ${q.id} needs points >= 0`);
    if (!Array.isArray(q.requires)) throw new Error(`${where}: question ${q.id} needs a "requires" list`);
    if (q.compare.kind !== "output" && (!Array.isArray(q.probes) || q.probes.length === 0)) throw new Error(`${where}: question ${q.id} has no probes`);
  }
  for (const w of spec.written ?? []) {
    if (!w || typeof w.cell !== "string" || !w.cell || seen.has(w.cell)) throw new Error(`${where}: written question ${JSON.stringify(w?.cell)} is missing or repeats an id`);
    seen.add(w.cell);
    if (typeof w.points !== "number" || !Number.isFinite(w.points) || w.points <= 0) throw new Error(`${where}: written question ${w.cell} needs points > 0`);
  }
}

/** A question whose probes have generated inputs and compiled code, before the master ran them. */
type PreparedQuestion = Omit<RefQuestion, "probes"> & { probes: Omit<RefProbe, "expected">[] };

/** The probes of the spec's questions with generated inputs and compiled code. */
function preparedQuestions(spec: NotebookSpec): PreparedQuestion[] {
  return spec.questions.map((q) => {
    if (q.compare.kind === "output") {
      const first = q.probes[0];
      return { ...q, probes: [{ index: 0, hidden: !!first?.hidden, expr: `output of cell ${q.compare.cell}`, js: "", label: first?.label, inputs: {} }] };
    }
    return {
      ...q,
      probes: q.probes.map((p, i) => ({
        index: i,
        hidden: !!p.hidden,
        expr: p.expr,
        js: compileProbe(p.expr, `question ${q.id}, probe ${i + 1}`),
        label: p.label,
        inputs: generateInputs(p.inputs, p.seed ?? i + 1),
        ...(p.compare ? { compare: p.compare } : {}),
      })),
    };
  });
}

interface StoredReference extends Omit<Reference, "questions"> {
  questions: (Omit<RefQuestion, "probes"> & { probes: (Omit<RefProbe, "expected"> & { expected: unknown })[] })[];
}

function store(ref: Reference): StoredReference {
  return { ...ref, questions: ref.questions.map((q) => ({ ...q, probes: q.probes.map((p) => ({ ...p, expected: encodeOutcome(p.expected) })) })) };
}

function restore(stored: StoredReference): Reference {
  return { ...stored, questions: stored.questions.map((q) => ({ ...q, probes: q.probes.map((p) => ({ ...p, expected: decodeOutcome(p.expected) })) })) };
}

const inFlight = new Map<string, Promise<Reference>>();

/** The parent's modules that turn a master and a spec into a reference (inputs, probes, cell plan, plain data, the run). */
const REFERENCE_SOURCES = ["expected.ts", "../core/inputs.ts", "../run/cells.ts", "../release/release-transform.ts", "../core/plain.ts", "../run/run.ts", "../core/notebook.ts", "../run/sandbox.ts", "../../src/check.ts"];

/**
 * The cache key of a master's reference: everything the expected values depend on. The master
 * (its bytes), the spec, the runner (its sources) and its environment (the kit's real path, Node,
 * the installed packages, nnkit), the parent's code that prepares and reads the run, and the
 * master's limits. Anything left out would let a stale reference grade silently wrong.
 */
export async function referenceKey(spec: NotebookSpec, masterPath: string, root: string, limits: RunLimits, cacheDir = path.join(root, ".cache")): Promise<string> {
  const program = await runnerProgram(root, limits.memoryMb, cacheDir);
  const h = createHash("sha256");
  for (const part of [
    fileHash(masterPath), JSON.stringify(spec), program.hash, program.environment, fs.realpathSync(root), JSON.stringify(limits),
    ...REFERENCE_SOURCES.map((f) => fs.readFileSync(path.join(__dirname, f))),
  ]) h.update(part).update("\u0000");
  return h.digest("hex").slice(0, 32);
}

/**
 * The reference for `spec`: its master at `masterPath` run through the sandboxed runner with
 * every probe (hidden ones too). Cached in `cacheDir`/expected/ by hash. Throws with the
 * failing cell or probe when the master itself does not run cleanly.
 */
export function masterReference(spec: NotebookSpec, masterPath: string, root: string, limits: RunLimits, cacheDir = path.join(root, ".cache")): Promise<Reference> {
  validateSpec(spec);
  const masterHash = fileHash(masterPath);
  return (async () => {
    const key = await referenceKey(spec, masterPath, root, limits, cacheDir);
    const cacheFile = path.join(cacheDir, "expected", `${path.basename(spec.notebook, ".ipynb")}-${key}.json`);
    if (fs.existsSync(cacheFile)) return restore(JSON.parse(fs.readFileSync(cacheFile, "utf8")) as StoredReference);
    const known = inFlight.get(cacheFile);
    if (known) return known;
    const made = computeReference(spec, masterPath, masterHash, root, limits).then((ref) => {
      fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
      fs.writeFileSync(`${cacheFile}.${process.pid}.tmp`, JSON.stringify(store(ref)));
      fs.renameSync(`${cacheFile}.${process.pid}.tmp`, cacheFile);
      return ref;
    });
    inFlight.set(cacheFile, made);
    made.then(() => inFlight.delete(cacheFile), () => inFlight.delete(cacheFile));
    return made;
  })();
}

async function computeReference(spec: NotebookSpec, masterPath: string, masterHash: string, root: string, limits: RunLimits): Promise<Reference> {
  const master = readNotebook(masterPath);
  const cells = masterCells(master, toStudentNotebook(master));
  for (const q of spec.questions) {
    if (q.compare.kind === "output" && !cells.some((c) => c.id === (q.compare as { cell: string }).cell)) {
      throw new Error(`spec ${spec.notebook}: question ${q.id} grades the output of cell ${q.compare.cell}, which the master does not have`);
    }
  }
  const prepared = preparedQuestions(spec);
  const plan = planCells(cells, master);
  const run = await runNotebook(root, plan.cells, prepared.filter((q) => q.compare.kind !== "output"), limits, { recordConversions: true });
  const name = path.basename(masterPath);
  const broken = run.cells.find((c) => !c.ok);
  if (broken) throw new Error(`master ${name}: cell ${broken.id} failed: ${broken.error}`);
  if (run.status !== "ok") throw new Error(`master ${name}: ${run.reason}`);
  const questions: RefQuestion[] = prepared.map((q) => {
    if (q.compare.kind === "output") {
      const cellId = q.compare.cell;
      const cell = run.cells.find((c) => c.id === cellId);
      if (!cell) throw new Error(`master ${name}: cell ${cellId} (graded output of ${q.id}) did not run: is it tagged skip-in-grader?`);
      return { ...q, probes: q.probes.map((p) => ({ ...p, expected: { ok: true as const, value: cell.stdout } })) };
    }
    const missing = q.requires.filter((n) => run.types[n] === undefined || run.types[n] === "undefined");
    if (missing.length > 0) throw new Error(`master ${name}: question ${q.id} requires ${missing.join(", ")}, which the master does not define`);
    return {
      ...q,
      probes: q.probes.map((p) => {
        const expected = run.outcomes.get(q.id)?.get(p.index);
        if (!expected) throw new Error(`master ${name}: probe ${p.index + 1} of ${q.id} gave no result`);
        if (!expected.ok) throw new Error(`master ${name}: probe ${p.index + 1} of ${q.id} (${p.expr}) threw ${expected.error}`);
        return { ...p, expected };
      }),
    };
  });
  return { notebook: spec.notebook, masterHash, cells, questions, conversions: publicConversions(run.conversions, plan.cells, cells) };
}

/** The conversions of the master's cells that students receive unchanged (no solution code in them). */
function publicConversions(found: CellConversion[], planned: { id: string; source: string }[], released: PublicCell[]): Record<string, Conversion> {
  const releasedSource = new Map(released.map((c) => [c.id, c.source]));
  const out: Record<string, Conversion> = {};
  for (const { cell, key, conversion } of found) {
    const p = planned[cell];
    if (p && releasedSource.get(p.id) === p.source) out[key] = conversion;
  }
  return out;
}

/** What a question keeps wherever it goes (checks file, reference, spec): these fields, copied one by one. */
type QuestionHead = Pick<PublicQuestion, "id" | "title" | "points" | "requires" | "compare" | "hint">;

function questionHead(q: QuestionHead): QuestionHead {
  return { id: q.id, title: q.title, points: q.points, requires: q.requires, compare: q.compare, hint: q.hint };
}

/** A notebook's run limits, which the spec gives and the checks file carries for the student's `check`. */
type NotebookLimits = Pick<NotebookSpec, "cellTimeoutMs" | "notebookTimeoutMs" | "memoryMb">;

function notebookLimits(n: NotebookLimits): NotebookLimits {
  return { cellTimeoutMs: n.cellTimeoutMs, notebookTimeoutMs: n.notebookTimeoutMs, memoryMb: n.memoryMb };
}

/** The public part of a reference, as written to checks/<notebook>.json (no hidden probe, expression or value). */
export function checksFromReference(ref: Reference, spec: NotebookSpec): ChecksFile {
  return {
    format: "nnkit-checks/1",
    notebook: ref.notebook,
    masterHash: ref.masterHash,
    cells: ref.cells,
    ...notebookLimits(spec),
    questions: ref.questions.map((q) => ({
      ...questionHead(q),
      hiddenProbes: q.probes.filter((p) => p.hidden).length,
      probes: q.probes
        .filter((p) => !p.hidden)
        .map((p) => ({ index: p.index, expr: p.expr, js: p.js, label: p.label, inputs: p.inputs, expected: encodeOutcome(p.expected), ...(p.compare ? { compare: p.compare } : {}) })),
    })),
  };
}

/** A reference with the public probes only, read back from a checks file (the student kit has no masters). */
export function referenceFromChecks(checks: ChecksFile): Reference {
  return {
    notebook: checks.notebook,
    masterHash: checks.masterHash,
    cells: checks.cells,
    conversions: {},
    questions: checks.questions.map((q) => ({
      ...questionHead(q),
      probes: q.probes.map((p) => ({ index: p.index, hidden: false, expr: p.expr, js: p.js, label: p.label, inputs: p.inputs, expected: decodeOutcome(p.expected), ...(p.compare ? { compare: p.compare } : {}) })),
    })),
  };
}

/** A spec (public questions only) rebuilt from a checks file, for `npm run check` in the student kit. */
export function specFromChecks(checks: ChecksFile): NotebookSpec {
  return {
    notebook: checks.notebook,
    ...notebookLimits(checks),
    questions: checks.questions.map((q) => ({
      ...questionHead(q),
      probes: q.probes.map((p) => ({ expr: p.expr, label: p.label, ...(p.compare ? { compare: p.compare } : {}) })),
    })),
  };
}
