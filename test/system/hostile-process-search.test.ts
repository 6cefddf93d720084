/**
 * A hostile notebook that searches the sandboxed child's own process for the master's answers
 * (issue 15.1): a heap snapshot, the inspector, fd 0 again, globals and module caches. It must
 * score exactly what the untouched stub does. In the system tier: the heap snapshot of a child
 * holding tslab and TypeScript takes about a minute.
 */
import { expect } from "chai";
import { gradeNotebook, type GradeOptions, type NotebookResult } from "../../grader/judge/grade";
import type { NotebookJson } from "../../grader/core/notebook";
import { spec } from "../fixtures/grader/spec";
import { FIXTURE_OPTIONS, TempDir, fixtureMaster } from "../grader/fixture";
import { exercises, scores, stub, withCells } from "../grader/hostile-helpers";

describe("grader: a hostile notebook searching the sandboxed child's own process", function () {
  this.timeout(1_200_000);
  const tmp = new TempDir();
  after(() => tmp.cleanup());
  const grade = (nb: NotebookJson, opts: GradeOptions = FIXTURE_OPTIONS): Promise<NotebookResult> => gradeNotebook(spec, tmp.write(nb), opts);
  let stubResult: NotebookResult;
  let masterResult: NotebookResult;

  before(async () => {
    stubResult = await grade(stub());
    masterResult = await grade(fixtureMaster());
    expect(masterResult.score).to.equal(masterResult.maxScore);
    expect(stubResult.score).to.be.lessThan(masterResult.maxScore);
  });

  it("searching its own process (heap snapshot, inspector, fd 0, globals and module caches) finds no answer", async () => {
    // Each search in its own cell: a heap snapshot of tslab's heap can outlast the cell's time
    // limit on a busy machine (the snapshot is taken synchronously), and then only that cell is lost.
    const common = String.raw`
const g: any = globalThis;
g.__found = g.__found ?? [];
g.__report = g.__report ?? {};
`;
    const heap = String.raw`${common}
// A planted string, to show that the heap search works (it is built, so the source does not hold it).
g.__planted = ["hunt", "marker", String(6 * 7)].join("-");
// The heap: the pattern of an expected value in JSON ("expected":{"ok":true,"value":...), and the planted string.
const pattern = /expected\\*"\s*:\s*\{\s*\\*"ok\\*"\s*:\s*true\s*,\s*\\*"value\\*"\s*:\s*(\[[^\]]*\]|-?[\d.e+-]+)/g;
let heapBytes = 0;
let tail = "";
let markerFound = false;
let candidates = 0;
const reading = (async () => {
  for await (const chunk of require("v8").getHeapSnapshot()) {
    const text = tail + chunk.toString("latin1");
    heapBytes += chunk.length;
    if (!markerFound && text.includes(g.__planted)) markerFound = true;
    // the regex only where the word occurs: a full pattern scan of every chunk is what made this slow
    if (text.includes("expected")) for (const m of text.matchAll(pattern)) try { g.__found.push(JSON.parse(m[1])); candidates++; } catch {}
    tail = text.slice(-300);
  }
})();
await reading;
console.log("heap:", JSON.stringify({ heapBytes, markerFound, candidates }));
`;
    const others = String.raw`${common}
const report: any = {};
// The inspector: it would evaluate in this isolate and show the runner's closures.
try {
  const s = new (require("inspector").Session)();
  s.connect();
  report.inspector = "connected";
} catch (e) {
  report.inspector = String((e as Error).message);
}
// fd 0 again: whatever the parent sent (the stream makes reads non-blocking, so nothing hangs).
let stdinText = "";
try {
  process.stdin.on("data", (d: Buffer) => { stdinText += d.toString(); });
  await new Promise((r) => setTimeout(r, 300));
  process.stdin.pause();
  const buf = Buffer.alloc(1 << 20);
  try { stdinText += buf.toString("utf8", 0, require("fs").readSync(0, buf, 0, buf.length, null)); } catch {}
} catch (e) {}
report.stdinHasExpected = stdinText.includes("expected");
// Globals and module caches: any object with an "expected" key.
const seen = new Set<unknown>();
const queue: unknown[] = [globalThis, require.cache, (require as any).main];
let globalsFound = 0;
const started = Date.now();
while (queue.length > 0 && seen.size < 50000 && Date.now() - started < 60000) {
  const o = queue.shift();
  if (!o || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) continue;
  seen.add(o);
  let keys: string[] = [];
  try { keys = Object.getOwnPropertyNames(o); } catch {}
  for (const k of keys) {
    let v: unknown;
    try { v = (o as any)[k]; } catch { continue; }
    if (k === "expected" && v && typeof v === "object") { globalsFound++; g.__found.push((v as any).value ?? v); }
    if (v && (typeof v === "object" || typeof v === "function")) queue.push(v);
  }
}
report.objectsWalked = seen.size;
report.globalsFound = globalsFound;
console.log("others:", JSON.stringify(report));
`;
    const nb = withCells(exercises(stub(), 'const f = (globalThis as any).__found;\n  if (f && f.length > 0) return f.shift();\n  throw new Error("not implemented");'), ["hunt-others", others], ["hunt-heap", heap]);
    // 180 s per cell: the heap snapshot finishes on a loaded machine; one slower than that loses only its cell (see below).
    const r = await grade(nb, { ...FIXTURE_OPTIONS, memoryMb: 3072, cellTimeoutMs: 180_000, notebookTimeoutMs: 600_000 });
    const othersCell = r.cells.find((c) => c.id === "hunt-others")!;
    expect(othersCell.ok, othersCell.error).to.equal(true);
    const report = JSON.parse(/others: (\{.*\})/.exec(r.log)![1]) as Record<string, unknown>;
    // The searches ran: the walk went through the globals and module caches.
    expect(report.objectsWalked).to.be.greaterThan(100);
    expect(report.inspector).to.match(/restricted/);
    expect(report.stdinHasExpected).to.equal(false);
    expect(report.globalsFound).to.equal(0);
    const heapCell = r.cells.find((c) => c.id === "hunt-heap")!;
    if (heapCell.ok) {
      const heapReport = JSON.parse(/heap: (\{.*\})/.exec(r.log)![1]) as Record<string, unknown>;
      // The heap search works (it found the planted string) and found no expected value.
      expect(heapReport.heapBytes).to.be.greaterThan(1_000_000);
      expect(heapReport.markerFound).to.equal(true);
      expect(heapReport.candidates).to.equal(0);
    } else {
      // Too slow on this machine: the child was stopped in that cell and the rest graded without it.
      expect(heapCell.error).to.match(/did not finish within/);
    }
    expect(r.score).to.be.at.most(stubResult.score);
    expect(scores(r)).to.deep.equal(scores(stubResult));
  });
});
