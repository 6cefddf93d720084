/**
 * The release's leak check: finds, in a built student kit, every solution line and every
 * hidden probe that must not be there, and says where (file and line).
 *
 * A solution line leaks only where the kit holds it and neither the masters (outside their
 * solution regions) nor src/ hold it: a line a solution shares with given code
 * (`for (let i = 0; i < n; i++) {`) is no secret. A hidden probe leaks only where its
 * expression and all its inputs appear together in one kit file: the notebooks' own text may
 * call `mostConfusedPairs(cm, 3)` on the student's data, but a file holding that expression
 * with the probe's generator or input values gives the probe away.
 */
import * as fs from "fs";
import * as path from "path";
import { generateInput } from "../core/inputs";
import type { NotebookSpec } from "../core/spec";
import { BEGIN_SOLUTION, END_SOLUTION } from "../core/solution-markers";

/** Lines too generic to count as a leaked solution (closing braces, bare returns). */
export const MIN_SOLUTION_LINE = 16;

interface CellLike {
  id?: unknown;
  cell_type: string;
  source: string | string[];
}

const cellText = (c: CellLike): string => (Array.isArray(c.source) ? c.source.join("") : String(c.source ?? ""));
const squash = (s: string): string => s.replace(/\s+/g, "");

/** The trimmed lines of a master inside and outside its solution regions. */
export function splitMasterLines(master: { cells: CellLike[] }): { inside: string[]; outside: string[] } {
  const inside: string[] = [];
  const outside: string[] = [];
  for (const c of master.cells) {
    let open = false;
    for (const raw of cellText(c).split("\n")) {
      const line = raw.trim();
      if (BEGIN_SOLUTION.test(line)) open = true;
      else if (END_SOLUTION.test(line)) open = false;
      else (open ? inside : outside).push(line);
    }
  }
  return { inside, outside };
}

/** Every trimmed line of the .ts/.js sources under a folder (the public library). */
export function sourceLines(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== "node_modules" && e.name !== "dist") walk(path.join(d, e.name));
      } else if (/\.(ts|js)$/.test(e.name)) {
        for (const l of fs.readFileSync(path.join(d, e.name), "utf8").split("\n")) out.push(l.trim());
      }
    }
  };
  walk(dir);
  return out;
}

/** What the kit must not hold: solution lines (with the public lines that excuse them) and hidden probes. */
export interface Secrets {
  /** Distinctive solution lines that no master shows outside a solution region and src/ does not hold. */
  solutionLines: string[];
  /** Trimmed lines that are public (masters outside solutions, src/): a kit line equal to one is never a leak. */
  publicLines: Set<string>;
  hiddenProbes: HiddenProbe[];
}

export interface HiddenProbe {
  /** "<notebook> <question> probe <n>" for messages. */
  name: string;
  expr: string;
  /** Per input: the texts any of which shows that input (its generator, its literal or generated values). */
  inputs: { name: string; forms: string[] }[];
}

/** The forms in which an input of a hidden probe could appear in a file. */
function inputForms(gen: Parameters<typeof generateInput>[0], seed: number, name: string): string[] {
  const forms = new Set<string>([squash(JSON.stringify(gen))]);
  if (gen.kind === "value") forms.add(squash(JSON.stringify(gen.value)));
  try {
    forms.add(squash(JSON.stringify(generateInput(gen, seed, name).value)));
  } catch {
    // an input the runner itself rejects cannot be generated, so only its spec text can leak
  }
  return [...forms].filter((f) => f.length > 0);
}

/** The hidden probes of the specs, minus those whose expression a public probe of the same question shares and that have no inputs. */
export function hiddenProbes(specs: NotebookSpec[]): HiddenProbe[] {
  const out: HiddenProbe[] = [];
  for (const s of specs) {
    for (const q of s.questions) {
      const publicExprs = new Set(q.probes.filter((x) => !x.hidden).map((x) => squash(x.expr)));
      q.probes.forEach((p, i) => {
        if (!p.hidden) return;
        const inputs = Object.entries(p.inputs ?? {}).map(([name, gen]) => ({ name, forms: inputForms(gen, p.seed ?? i + 1, name) }));
        // with no inputs of its own, a probe whose expression is also public shows nothing secret
        if (inputs.length === 0 && publicExprs.has(squash(p.expr))) return;
        out.push({ name: `${s.notebook} ${q.id} probe ${i + 1}`, expr: p.expr, inputs });
      });
    }
  }
  return out;
}

/** Collects the secrets of an assignment from its masters (by spec), its specs and the public library. */
export function collectSecrets(masters: { cells: CellLike[] }[], specs: NotebookSpec[], srcDir: string): Secrets {
  const inside = new Set<string>();
  const publicLines = new Set<string>(sourceLines(srcDir));
  for (const m of masters) {
    const split = splitMasterLines(m);
    split.inside.forEach((l) => inside.add(l));
    split.outside.forEach((l) => publicLines.add(l));
  }
  const solutionLines = [...inside].filter((l) => squash(l).length >= MIN_SOLUTION_LINE && !l.startsWith("//") && !publicLines.has(l));
  return { solutionLines, publicLines, hiddenProbes: hiddenProbes(specs) };
}

/** One line of a kit file as the scan reads it (JSON strings decoded), and where it is. */
interface KitLine {
  where: string;
  text: string;
}

const JSON_STRING = /"(?:[^"\\\n]|\\.)*"/g;

/** The lines of a kit file: notebooks by cell and line, JSON by file line with its strings decoded, the rest as is. */
export function kitLines(rel: string, text: string): KitLine[] {
  const out: KitLine[] = [];
  if (rel.endsWith(".ipynb")) {
    try {
      const nb = JSON.parse(text) as { cells?: CellLike[] };
      (nb.cells ?? []).forEach((c, ci) => {
        const cell = typeof c.id === "string" ? `cell ${ci + 1} (${c.id})` : `cell ${ci + 1}`;
        cellText(c).split("\n").forEach((l, li) => out.push({ where: `${rel} ${cell} line ${li + 1}`, text: l }));
      });
    } catch {
      // not valid JSON: fall through to the raw lines below
    }
  }
  text.split("\n").forEach((raw, i) => {
    out.push({ where: `${rel}:${i + 1}`, text: raw });
    if (/\.(json|ipynb)$/.test(rel)) {
      for (const m of raw.matchAll(JSON_STRING)) {
        let s: string;
        try {
          s = JSON.parse(m[0]) as string;
        } catch {
          continue;
        }
        if (s.includes("\n")) s.split("\n").forEach((l, k) => out.push({ where: `${rel}:${i + 1} (string line ${k + 1})`, text: l }));
        else if (s !== m[0]) out.push({ where: `${rel}:${i + 1}`, text: s });
      }
    }
  });
  return out;
}

export interface Leak {
  /** Kit-relative file. */
  file: string;
  /** File and line (notebooks: cell and line), e.g. "notebooks/01.ipynb cell 4 (sigmoid-impl) line 3". */
  where: string;
  kind: "solution line" | "hidden probe";
  /** The solution line, or the hidden probe's expression. */
  text: string;
  /** For a hidden probe: which one. */
  probe?: string;
}

const TEXT_FILE = /\.(ts|js|mjs|cjs|json|ipynb|md|sh|txt|html|py|csv|yml|yaml)$/;

/** Scans a built kit for leaks; returns them in file order (empty: the kit is clean). */
export function scanKit(dir: string, secrets: Secrets): Leak[] {
  const leaks: Leak[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? path.join(rel, e.name) : e.name;
      if (e.isDirectory()) {
        if (e.name !== "node_modules") walk(r);
        continue;
      }
      if (!e.isFile() || !TEXT_FILE.test(e.name) || e.name === "package-lock.json") continue;
      scanFile(r, fs.readFileSync(path.join(dir, r), "utf8"), secrets, leaks);
    }
  };
  walk("");
  return leaks;
}

function scanFile(rel: string, text: string, secrets: Secrets, leaks: Leak[]): void {
  const lines = kitLines(rel, text);
  const seen = new Set<string>();
  for (const l of lines) {
    const t = l.text.trim();
    if (t.length === 0 || secrets.publicLines.has(t)) continue;
    for (const s of secrets.solutionLines) {
      if (!t.includes(s)) continue;
      // one report per solution line and file line (a JSON line is read both raw and decoded);
      // the key is made only for a match: 05's checks alone have 400 000 lines
      const key = `${l.where.replace(/ \(string line \d+\)$/, "")}\0${s}`;
      if (!seen.has(key)) {
        seen.add(key);
        leaks.push({ file: rel, where: l.where, kind: "solution line", text: s });
      }
    }
  }
  if (secrets.hiddenProbes.length === 0) return;
  const whole = squash(text + "\n" + lines.map((l) => l.text).join("\n"));
  for (const p of secrets.hiddenProbes) {
    const expr = squash(p.expr);
    if (!whole.includes(expr)) continue;
    if (!p.inputs.every((i) => i.forms.some((f) => whole.includes(f)))) continue;
    const at = lines.find((l) => squash(l.text).includes(expr));
    leaks.push({ file: rel, where: at?.where ?? rel, kind: "hidden probe", text: p.expr, probe: p.name });
  }
}

/** A leak as one line of an error message. */
export function describeLeak(l: Leak): string {
  return l.kind === "solution line"
    ? `${l.file}: ${JSON.stringify(l.text)} (solution line, at ${l.where})`
    : `${l.file}: ${JSON.stringify(l.text)} (hidden probe ${l.probe}, at ${l.where})`;
}
