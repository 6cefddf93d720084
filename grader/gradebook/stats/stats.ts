/**
 * Class statistics per question, from every student's current run: the distribution of
 * scores, the share of students who failed each probe (hidden probes by number only: never
 * their expression, inputs, values or messages), the most common failure messages (numbers
 * replaced by `#`, so that "expected 0.5, got 0.7" and "expected 1, got 2" count as one), and
 * the median grading time of the question's notebook (the gradebook times whole notebooks).
 */
import type Database from "better-sqlite3";
import type { Gradebook } from "../gradebook";

export interface ProbeStat {
  index: number;
  hidden: boolean;
  /** "#2 squareAll of 5 values" for a public probe, "#3 (hidden)" for a hidden one. */
  name: string;
  failed: number;
  total: number;
}

export interface QuestionStat {
  notebook: string;
  id: string;
  title: string;
  points: number;
  /** One score per student with a current run of the notebook, sorted ascending. */
  scores: number[];
  mean: number;
  median: number;
  fullMarks: number;
  zero: number;
  probes: ProbeStat[];
  /** Most common failure messages first (at most 5). */
  messages: { message: string; count: number }[];
  /** Median seconds of the notebook's current runs. */
  medianSeconds: number;
}

/** The median of a list of numbers (0 for none). */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** A failure message with its numbers replaced, so that messages differing only in values group together. */
export function messageKey(message: string): string {
  return message.replace(/-?\b\d+(?:\.\d+)?(?:e[-+]?\d+)?\b/gi, "#").replace(/\s+/g, " ").trim().slice(0, 300);
}

/** Per-question statistics of the class, in the order questions first appear (by notebook). */
export function classStats(gb: Gradebook): QuestionStat[] {
  const db = gb.db;
  const runs = db.prepare("SELECT id, notebook, seconds FROM runs WHERE current = 1 ORDER BY notebook, student_id").all() as {
    id: number; notebook: string; seconds: number;
  }[];
  const seconds = new Map<string, number[]>();
  const stats = new Map<string, QuestionStat & { messageCounts: Map<string, number>; probeMap: Map<number, ProbeStat> }>();
  for (const run of runs) {
    const times = seconds.get(run.notebook) ?? [];
    times.push(run.seconds);
    seconds.set(run.notebook, times);
    for (const q of gb.questions(run.id)) {
      const key = `${run.notebook}\u0000${q.id}`;
      let s = stats.get(key);
      if (!s) {
        s = { notebook: run.notebook, id: q.id, title: q.title, points: q.points, scores: [], mean: 0, median: 0, fullMarks: 0, zero: 0,
          probes: [], messages: [], medianSeconds: 0, messageCounts: new Map(), probeMap: new Map() };
        stats.set(key, s);
      }
      s.scores.push(q.score);
      for (const p of q.probes) {
        let ps = s.probeMap.get(p.index);
        if (!ps) {
          // the name comes from the probe itself: a hidden probe is stored without expression or label
          ps = { index: p.index, hidden: p.hidden, name: p.hidden ? `#${p.index + 1} (hidden)` : `#${p.index + 1} ${p.label ?? p.expr}`, failed: 0, total: 0 };
          s.probeMap.set(p.index, ps);
        }
        ps.total++;
        if (p.passed) continue;
        ps.failed++;
        const k = p.hidden ? "a hidden probe failed" : `${p.label ?? p.expr}: ${messageKey(p.message ?? "failed")}`;
        s.messageCounts.set(k, (s.messageCounts.get(k) ?? 0) + 1);
      }
    }
  }
  return [...stats.values()].map((s) => {
    const scores = [...s.scores].sort((a, b) => a - b);
    return {
      notebook: s.notebook, id: s.id, title: s.title, points: s.points, scores,
      mean: round(scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length)),
      median: median(scores),
      fullMarks: scores.filter((x) => x >= s.points && s.points > 0).length,
      zero: scores.filter((x) => x === 0).length,
      probes: [...s.probeMap.values()].sort((a, b) => a.index - b.index),
      messages: [...s.messageCounts].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count || a.message.localeCompare(b.message)).slice(0, 5),
      medianSeconds: round(median(seconds.get(s.notebook) ?? []), 2),
    };
  });
}

/** The class median score of every question (current runs), for the feedback pages. One query. */
export function classMedians(db: Database.Database): Map<string, number> {
  const rows = db.prepare("SELECT q.question_id AS id, q.score AS score FROM questions q JOIN runs r ON r.id = q.run_id WHERE r.current = 1").all() as {
    id: string; score: number;
  }[];
  const by = new Map<string, number[]>();
  for (const r of rows) {
    const list = by.get(r.id) ?? [];
    list.push(r.score);
    by.set(r.id, list);
  }
  return new Map([...by].map(([id, scores]) => [id, median(scores)]));
}

/** The statistics as terminal text. */
export function statsText(stats: QuestionStat[]): string {
  const pct = (n: number, d: number): string => `${d === 0 ? 0 : Math.round((100 * n) / d)}%`;
  return stats.map((s) => {
    const dist = new Map<number, number>();
    for (const x of s.scores) dist.set(x, (dist.get(x) ?? 0) + 1);
    const lines = [
      `${s.notebook} ${s.id} "${s.title}" (${s.points} points): ${s.scores.length} students, median ${s.median}, mean ${s.mean}, ` +
        `full marks ${pct(s.fullMarks, s.scores.length)}, zero ${pct(s.zero, s.scores.length)}, median grading time ${s.medianSeconds} s (notebook)`,
      `  scores: ${[...dist].map(([score, n]) => `${score}: ${n}`).join(", ")}`,
      `  failed: ${s.probes.map((p) => `${p.name} ${pct(p.failed, p.total)}`).join("; ")}`,
      ...s.messages.map((m) => `  ${m.count}x ${m.message}`),
    ];
    return lines.join("\n");
  }).join("\n") + "\n";
}
