/**
 * What one bulk-grading run says about a whole class (`npm run bench -- grading`): the rate once
 * the workers are going, and the start-up that a class pays once, not per submission.
 */

/** What a pool run says about a whole class, apart from its start. */
export interface ClassEstimate {
  /** Submissions per minute once every worker has finished its first one. */
  steadyPerMinute: number;
  /** Seconds of the run not explained by the steady rate: starting workers, checkers and children. */
  startupSeconds: number;
  /** Minutes a class of `classSize` would take: the start-up plus every submission at the steady rate. */
  classMinutes: number;
}

/**
 * Splits a run into a start-up and a steady rate. The first `workers` submissions finish about
 * together, each having paid a worker's start; every later one is a worker's steady work. So the
 * rate is the later submissions over the time they took, and the start-up is what remains of the
 * run once every submission is charged at that rate. `undefined` when the run is too short to say
 * (no submission after the first round). `doneAt`: seconds from the run's start to each
 * submission's end, ascending.
 */
export function classEstimate(doneAt: number[], workers: number, classSize: number): ClassEstimate | undefined {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a whole number >= 1, not ${workers}`);
  if (doneAt.some((t, i) => i > 0 && t < doneAt[i - 1])) throw new Error("classEstimate: the finish times must be in ascending order");
  const n = doneAt.length;
  const first = Math.min(workers, n);
  if (n - first < 1) return undefined;
  const spanSeconds = doneAt[n - 1] - doneAt[first - 1];
  if (spanSeconds <= 0) return undefined;
  const perSecond = (n - first) / spanSeconds;
  const startupSeconds = Math.max(0, doneAt[n - 1] - n / perSecond);
  return { steadyPerMinute: perSecond * 60, startupSeconds, classMinutes: (startupSeconds + classSize / perSecond) / 60 };
}
