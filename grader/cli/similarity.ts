/** `grader similarity`: the command's options and what it prints; the report itself is runSimilarity (grader/gradebook/similarity/run-similarity.ts). */
import { Command, InvalidArgumentError } from "commander";
import * as path from "path";
import { runSimilarity, SimilarityOptions } from "../gradebook/similarity/run-similarity";

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
