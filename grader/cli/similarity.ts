/** `grader similarity`: the command's options and what it prints; the report itself is runSimilarity (grader/gradebook/similarity/run-similarity.ts). */
import { Command } from "commander";
import { assignmentOptions, fraction, wholeNumber } from "./options";
import * as path from "path";
import { runSimilarity, SimilarityOptions } from "../gradebook/similarity/run-similarity";

const count = wholeNumber(0);

/** Registers `similarity` on the CLI program. */
export function registerSimilarityCommand(program: Command): void {
  const similarity = program
    .command("similarity")
    .description("rank pairs of students by the similarity of their solutions, question by question (winnowed token fingerprints, as MOSS)")
    .option("-g, --gradebook <file>", "SQLite gradebook", "gradebook.sqlite")
    .option("-o, --out <dir>", "output folder", path.join("export", "similarity"))
    .option("--top <n>", "side-by-side pages for this many top pairs", count, 25)
    .option("--min <similarity>", "print the pairs at or above this similarity", fraction, 0.5);
  assignmentOptions(similarity)
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
