/**
 * The late policy: from a submission time and the course's due date and rule, how late it
 * was and which fraction of the score it loses.
 */
import { CourseConfig } from "../core/course";

export interface Lateness {
  /** Minutes after the due date (0 when on time or within the grace period). */
  lateMinutes: number;
  /** Started days late (what the penalty counts). */
  lateDays: number;
  /** Fraction of the score taken off, 0..1. */
  penalty: number;
}

const DAY_MINUTES = 24 * 60;

/** How late a submission made at `submittedAt` (ISO date) is under the course's rule. */
export function lateness(submittedAt: string | null, course: Pick<CourseConfig, "dueDate" | "late">): Lateness {
  if (!course.dueDate || !submittedAt) return { lateMinutes: 0, lateDays: 0, penalty: 0 };
  const t = Date.parse(submittedAt);
  if (Number.isNaN(t)) throw new Error(`submission time is not a date: ${JSON.stringify(submittedAt)}`);
  const minutes = (t - Date.parse(course.dueDate)) / 60000;
  if (minutes <= course.late.graceMinutes) return { lateMinutes: 0, lateDays: 0, penalty: 0 };
  const lateDays = Math.ceil(minutes / DAY_MINUTES);
  const penalty = lateDays > course.late.maxDaysLate ? 1 : Math.min(1, lateDays * course.late.penaltyPerDay);
  return { lateMinutes: Math.round(minutes), lateDays, penalty };
}

/** The score after the late penalty, rounded to hundredths. */
export function applyPenalty(score: number, penalty: number): number {
  return Math.round(score * (1 - penalty) * 100) / 100;
}
