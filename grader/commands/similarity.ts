/**
 * `grader similarity`: which students' solutions resemble each other, question by question
 * (and which resemble the master's solution). Reads the gradebook; writes a CSV and HTML
 * pages; prints the ranked pairs.
 */
import { Command, InvalidArgumentError } from "commander";
import * as fs from "fs";
import * as path from "path";
import { loadAssignment } from "../assignment";
import { Gradebook } from "../gradebook";
import { analyzeSimilarity, type SimilarityResult } from "../similarity/analyze";
import { pairLine, writeSimilarityReport } from "../similarity/report";
import { KIT_ROOT, kitVersion } from "../version";

export interface SimilarityOptions {
  gradebook: string;
  out: string;
  specs?: string;
  masters?: string;
  /** Pages for this many top pairs (default 25). */
  top?: number;
  /** Pairs printed: those at or above this similarity (default 0.5). */
  min?: number;
}

/** Runs the report; returns the result, the ranked lines it printed and the files it wrote. */
export async function runSimilarity(o: SimilarityOptions): Promise<{ result: SimilarityResult; lines: string[]; files: string[] }> {
  if (!fs.existsSync(o.gradebook)) throw new Error(`gradebook not found: ${o.gradebook} (run grade first)`);
  const specs = loadAssignment(o.specs);
  const gb = Gradebook.open(o.gradebook, kitVersion());
  try {
    const result = await analyzeSimilarity(gb.db, specs, path.resolve(o.masters ?? path.join(KIT_ROOT, "notebooks")));
    const { files } = writeSimilarityReport(result, o.out, o.top ?? 25);
    const lines = result.pairs.filter((p) => p.similarity >= (o.min ?? 0.5)).map(pairLine);
    return { result, lines, files };
  } finally {
    gb.close();
  }
}

function share(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError("must be a number from 0 to 1");
  return n;
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number >= 0");
  return n;
}

/** Registers `similarity` on the CLI program. */
export function registerSimilarityCommand(program: Command): void {
  program
    .command("similarity")
    .description("rank pairs of students by the similarity of their solutions, question by question (winnowed token fingerprints, as MOSS)")
    .option("-g, --gradebook <file>", "SQLite gradebook", "gradebook.sqlite")
    .option("-o, --out <dir>", "output folder", path.join("export", "similarity"))
    .option("--top <n>", "side-by-side pages for this many top pairs", count, 25)
    .option("--min <similarity>", "print the pairs at or above this similarity", share, 0.5)
    .option("--specs <dir>", "spec modules of another assignment (default: grader/specs)")
    .option("--masters <dir>", "its master notebooks (default: notebooks/)")
    .addHelpText("after", `
Prints one line per pair, most similar first: similarity (0..1), student, student, question,
and "copied from the master" when the second is the master's own solution. Writes
<out>/pairs.csv (every pair that shares a fingerprint), <out>/index.html and <out>/pair-N.html.`)
    .action(async (opts: SimilarityOptions) => {
      const { result, lines, files } = await runSimilarity(opts);
      for (const l of lines) process.stdout.write(`${l}\n`);
      for (const n of result.notCaptured) {
        process.stderr.write(`not compared: ${n.student} ${n.notebook}: graded before solution cells were stored, and ${n.reason} (grade again with --force)\n`);
      }
      process.stderr.write(`${result.questions.length} questions, ${result.scored} pairs scored, ${result.pairs.length} share fingerprints -> ${files[0]}\n`);
    });
}
