/**
 * `grader stats`: per question, how the class did (score distribution, probes failed, common
 * failure messages, grading time). `--out DIR` also writes the HTML page and the CSVs, as
 * `grader export stats` does.
 */
import * as fs from "fs";
import { Gradebook } from "../gradebook";
import { classStats, type QuestionStat } from "./stats";
import { kitVersion } from "../../core/version";

/** The class statistics of a gradebook file (which must exist). */
export function statsOf(gradebook: string): QuestionStat[] {
  if (!fs.existsSync(gradebook)) throw new Error(`gradebook not found: ${gradebook} (run grade first)`);
  const gb = Gradebook.open(gradebook, kitVersion());
  try {
    return classStats(gb);
  } finally {
    gb.close();
  }
}
