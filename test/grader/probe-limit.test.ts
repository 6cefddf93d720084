/**
 * The probe time limit counts CPU time (grader/run/child/protocol.ts, PROBE_WALL_FACTOR): a probe
 * that waits passes as long as it stays under the wall-clock cap, one that computes is stopped when
 * its CPU time reaches the limit, with the message a student has always seen.
 */
import { expect } from "chai";
import { KIT_ROOT } from "../../grader/core/version";
import { DEFAULT_LIMITS, runNotebook, type RunQuestion } from "../../grader/run/run";
import { spawnSandboxed } from "../../grader/run/sandbox";
import type { ProbeOutcome } from "../../grader/core/plain";

/** A question without required names whose one probe is `js`. */
function question(id: string, js: string): RunQuestion {
  return { id, requires: [], probes: [{ index: 0, js, inputs: {} }] };
}

function outcome(outcomes: Map<string, Map<number, ProbeOutcome>>, id: string): ProbeOutcome | undefined {
  return outcomes.get(id)?.get(0);
}

describe("grader: the probe time limit is CPU time, with a wall-clock cap", function () {
  this.timeout(300_000);
  const limits = { ...DEFAULT_LIMITS, probeTimeoutMs: 2000 };

  it("the sandbox reports its CPU time and interrupts a script run with breakOnSigint", async () => {
    const program = [
      'const fs = require("fs");',
      "process.on('SIGINT', () => undefined);",
      'fs.writeSync(3, JSON.stringify({ t: "looping" }) + "\\n");',
      "let message = 'not stopped';",
      "try { require('vm').runInThisContext('for (;;) {}', { breakOnSigint: true }); } catch (e) { message = e.message; }",
      'fs.writeSync(3, JSON.stringify({ t: "stopped", message }) + "\\n");',
    ].join("\n");
    const seen: unknown[] = [];
    let startCpu: number | undefined;
    let cpuWhenInterrupted = 0;
    const box = spawnSandboxed({
      root: KIT_ROOT,
      memoryMb: 256,
      program: { code: program },
      onMessage: (m) => {
        seen.push(m);
        if ((m as { t?: string }).t !== "looping") return;
        startCpu = box.cpuMs();
        // Interrupt once the loop has used 300 ms of CPU time (it is the only thing running in there).
        const wait = (): void => {
          const now = box.cpuMs();
          if (now !== undefined && startCpu !== undefined && now - startCpu < 300) setTimeout(wait, 50);
          else {
            cpuWhenInterrupted = (now ?? 0) - (startCpu ?? 0);
            box.interrupt();
          }
        };
        wait();
      },
    });
    const exit = await box.done;
    expect(exit.code, exit.stderr).to.equal(0);
    expect(startCpu).to.be.a("number");
    expect(cpuWhenInterrupted).to.be.at.least(300);
    expect(seen).to.deep.equal([{ t: "looping" }, { t: "stopped", message: "Script execution was interrupted by `SIGINT`" }]);
  });

  it("a probe that waits past the limit passes; an endless loop and a busy asynchronous probe time out; the child goes on", async () => {
    const questions = [
      // Twice the limit on the clock, hardly any CPU time: under the cap (3x), so it passes.
      question("waits", "new Promise((resolve) => setTimeout(() => resolve(42), 4000))"),
      question("loops", "(() => { for (;;) {} })()"),
      // Computes in slices between which its timers can run: the child's own check stops it.
      question("busy", "(async () => { for (;;) { const t = Date.now(); while (Date.now() - t < 50) {} await new Promise((r) => setImmediate(r)); } })()"),
      question("after", "6 * 7"),
    ];
    const r = await runNotebook(KIT_ROOT, [], questions, limits);
    expect(r.status, r.reason).to.equal("ok");
    expect(outcome(r.outcomes, "waits")).to.deep.equal({ ok: true, value: 42 });
    expect(outcome(r.outcomes, "loops")).to.deep.equal({ ok: false, error: "the probe did not finish within 2000 ms (endless loop?)" });
    expect(outcome(r.outcomes, "busy")).to.deep.equal({ ok: false, error: "Error: the probe did not finish within 2000 ms" });
    expect(outcome(r.outcomes, "after")).to.deep.equal({ ok: true, value: 42 });
  });

  it("a loop outside any script (in a timer) is killed once it spends the limit and a grace, and the rest is graded in a fresh child", async () => {
    const questions = [question("escapes", "new Promise(() => setTimeout(() => { for (;;) {} }, 0))"), question("after", "6 * 7")];
    const r = await runNotebook(KIT_ROOT, [], questions, limits);
    expect(r.status).to.equal("timeout");
    expect(r.questionFailures.get("escapes")).to.equal("the probes of escapes did not finish in time");
    expect(r.notes).to.deep.equal(["the probes of escapes were dropped on a rerun: the probes of escapes did not finish in time"]);
    expect(outcome(r.outcomes, "after")).to.deep.equal({ ok: true, value: 42 });
  });
});
