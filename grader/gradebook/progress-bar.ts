/**
 * The bulk-grading progress line: a bar, done/total, live counts of graded, failed and
 * timed-out jobs, and an ETA from the mean time per finished job. On a terminal it redraws
 * one line; elsewhere (CI logs, pipes) it prints a line per finished job.
 */
// The same durations as a notebook's training line ("42s", "3m05s", "1h02m").
import { formatDuration } from "../../src/progress";

export interface ProgressCounts {
  graded: number;
  failed: number;
  timedOut: number;
}

export class ProgressBar {
  private readonly started = Date.now();
  readonly counts: ProgressCounts = { graded: 0, failed: 0, timedOut: 0 };

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
    private readonly width = 24,
  ) {}

  get done(): number {
    return this.counts.graded + this.counts.failed + this.counts.timedOut;
  }

  /** The line as it is drawn (exposed for tests and logs). */
  line(now = Date.now()): string {
    const done = this.done;
    const frac = this.total === 0 ? 1 : done / this.total;
    const filled = Math.round(frac * this.width);
    const elapsed = (now - this.started) / 1000;
    const eta = done === 0 ? "?" : formatDuration((elapsed / done) * (this.total - done));
    return `[${"#".repeat(filled)}${".".repeat(this.width - filled)}] ${done}/${this.total}` +
      ` graded ${this.counts.graded} failed ${this.counts.failed} timed out ${this.counts.timedOut}` +
      ` elapsed ${formatDuration(elapsed)} ETA ${eta}`;
  }

  /** Counts one finished job and redraws. */
  tick(kind: keyof ProgressCounts, label: string): void {
    this.counts[kind] += 1;
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${this.line()}`);
    else this.out.write(`${this.line()}  ${label}\n`);
  }

  /** Ends the progress line. */
  finish(): void {
    if (this.out.isTTY) this.out.write("\n");
  }
}
