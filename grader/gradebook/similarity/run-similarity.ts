/**
 * `grader similarity`: which students' solutions resemble each other, question by question
 * (and which resemble the master's solution). Reads the gradebook; writes a CSV and HTML
 * pages; prints the ranked pairs.
 */
import * as fs from "fs";
import * as path from "path";
import { loadAssignment } from "../../judge/assignment";
import { Gradebook } from "../gradebook";
import { analyzeSimilarity, type SimilarityResult } from "./analyze";
import { pairLine, writeSimilarityReport } from "./report";
import { KIT_ROOT, kitVersion } from "../../core/version";

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
