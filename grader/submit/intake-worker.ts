/**
 * The intake worker thread: reads submissions one at a time (grader/submit/intake-read.ts) with its
 * heap capped by the parent's resourceLimits, and posts each plain result back. A submission
 * that makes it run out of memory kills this thread only, never the batch; the parent starts
 * a new one for the next submission.
 */
import { parentPort } from "worker_threads";
import { readSubmission, type IntakeJob } from "./intake-read";

parentPort?.on("message", (msg: { id: number; job: IntakeJob }) => {
  readSubmission(msg.job).then(
    (result) => parentPort?.postMessage({ id: msg.id, result }),
    (e: unknown) => parentPort?.postMessage({
      id: msg.id, result: { ok: false, status: "corrupt", reason: `cannot read the submission: ${(e as Error)?.message ?? String(e)}` },
    }),
  );
});
