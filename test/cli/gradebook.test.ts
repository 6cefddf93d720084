import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Gradebook, RunInput, SubmissionInput } from "../../grader/gradebook/gradebook";

const sub = (student: string, hash: string): SubmissionInput => ({
  student, source: `/subs/${student}.zip`, kind: "zip", contentHash: hash, submittedAt: "2026-12-01T10:00:00.000Z",
  timeSource: "manifest", lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: "0.1.0", manifest: null,
});

const run = (score: number): RunInput => ({
  status: "graded", score, maxScore: 3, log: "ran", seconds: 1.5, masterHash: "abc",
  questions: [{
    id: "q1", title: "Q one", points: 3, score, status: score === 3 ? "passed" : "partial", hint: "look again",
    probes: [
      { index: 0, hidden: false, passed: true, expr: "f(x)", inputs: { x: [1] }, expected: [2], got: [2] },
      { index: 1, hidden: true, passed: false, expr: "f(secretInput)", expected: [42.125], got: [0] },
    ],
  }],
  cells: [{ id: "c1", ok: true }],
});

describe("gradebook", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradebook-"));
    file = path.join(dir, "gb.sqlite");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("records a submission once per student and content", () => {
    const gb = Gradebook.open(file, "1.0.0");
    const a = gb.recordSubmission(sub("alice", "h1"));
    const again = gb.recordSubmission(sub("alice", "h1"));
    const changed = gb.recordSubmission(sub("alice", "h2"));
    expect(a.isNew).to.equal(true);
    expect(again).to.deep.equal({ id: a.id, isNew: false });
    expect(changed.isNew).to.equal(true);
    expect(gb.students()).to.deep.equal(["alice"]);
    gb.close();
  });

  it("stores runs with questions and probes, and never a hidden probe's values", () => {
    const gb = Gradebook.open(file, "1.0.0");
    const { id } = gb.recordSubmission(sub("bob", "h1"));
    const job = gb.enqueue(id, "01.ipynb");
    gb.startJob(job);
    const runId = gb.finishJob(job, run(1.5));
    const [q] = gb.questions(runId);
    expect(q).to.include({ id: "q1", score: 1.5, status: "partial" });
    expect(q.probes[0]).to.deep.include({ passed: true, expected: [2], got: [2], inputs: { x: [1] } });
    expect(q.probes[1]).to.deep.include({ hidden: true, passed: false, expr: "", expected: undefined, got: undefined });
    const raw = fs.readFileSync(file).toString("latin1") + (fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`).toString("latin1") : "");
    expect(raw).not.to.include("42.125");
    expect(raw).not.to.include("secretInput");
    const [r] = gb.currentRuns("bob");
    expect(r).to.include({ score: 1.5, master_hash: "abc", grader_version: "1.0.0", status: "graded", current: 1 });
    expect(gb.cells(runId)).to.deep.equal([{ id: "c1", ok: true, error: undefined }]);
    gb.close();
  });

  it("keeps the history on a regrade and makes the newest run current", () => {
    const gb = Gradebook.open(file, "1.0.0");
    const { id } = gb.recordSubmission(sub("carol", "h1"));
    gb.finishJob(gb.enqueue(id, "01.ipynb"), run(1));
    gb.finishJob(gb.enqueue(id, "01.ipynb"), run(3));
    expect(gb.history("carol").map((r) => [r.score, r.current])).to.deep.equal([[1, 0], [3, 1]]);
    expect(gb.currentRuns("carol").map((r) => r.score)).to.deep.equal([3]);
    gb.close();
  });

  it("queues at most one open job per notebook and refuses to finish a job twice", () => {
    const gb = Gradebook.open(file, "1.0.0");
    const { id } = gb.recordSubmission(sub("dan", "h1"));
    const j1 = gb.enqueue(id, "01.ipynb");
    expect(gb.enqueue(id, "01.ipynb")).to.equal(j1);
    gb.finishJob(j1, run(3));
    expect(() => gb.finishJob(j1, run(3))).to.throw(/already done/);
    expect(() => gb.finishJob(9999, run(3))).to.throw(/no job 9999/);
    expect(gb.history("dan")).to.have.length(1);
    gb.close();
  });

  it("puts jobs of a killed process back in the queue, with nothing half-written", () => {
    const gb = Gradebook.open(file, "1.0.0");
    const { id } = gb.recordSubmission(sub("erin", "h1"));
    const done = gb.enqueue(id, "01.ipynb");
    gb.finishJob(done, run(3));
    const { id: id2 } = gb.recordSubmission(sub("erin2", "h1"));
    const j = gb.enqueue(id2, "01.ipynb");
    gb.close();
    // a separate process starts the job and dies by SIGKILL in the middle of writing its result
    const script = `
      const { Gradebook } = require(${JSON.stringify(path.resolve(__dirname, "../../grader/gradebook/gradebook.ts"))});
      const gb = Gradebook.open(${JSON.stringify(file)}, "1.0.0");
      gb.startJob(${j});
      gb.db.prepare("BEGIN").run();
      gb.db.prepare("INSERT INTO runs (job_id, submission_id, student_id, notebook, status, score, max_score, seconds, log, master_hash, grader_version, graded_at) VALUES (${j}, ${id2}, 'erin2', '01.ipynb', 'graded', 3, 3, 1, '', '', '1', 'now')").run();
      process.kill(process.pid, "SIGKILL");`;
    try {
      execFileSync(process.execPath, ["-r", "tsx/cjs", "-e", script], { stdio: "pipe", timeout: 300_000 });
    } catch {
      // killed, as intended
    }
    const gb2 = Gradebook.open(file, "1.0.0");
    expect(gb2.jobCounts()).to.deep.equal({ pending: 0, running: 1, done: 1 });
    expect(gb2.history("erin2")).to.have.length(0);
    expect(gb2.resetInterrupted()).to.equal(1);
    expect(gb2.pendingJobs().map((x) => x.id)).to.deep.equal([j]);
    gb2.finishJob(j, run(2));
    expect(gb2.history("erin2").map((r) => r.score)).to.deep.equal([2]);
    gb2.close();
  });

  it("keeps manual points with history and reports written answers of current submissions", () => {
    const gb = Gradebook.open(file, "1.0.0");
    const { id } = gb.recordSubmission(sub("fay", "h1"));
    gb.setWritten(id, "01.ipynb", [{ cellId: "why", text: "because" }]);
    gb.finishJob(gb.enqueue(id, "01.ipynb"), run(3));
    expect(gb.writtenCells()).to.deep.equal([{ notebook: "01.ipynb", cellId: "why" }]);
    expect(gb.writtenAnswers("why")).to.deep.equal([{ student: "fay", notebook: "01.ipynb", text: "because" }]);
    gb.importManual([{ student_id: "fay", question_id: "why", points: 1, comment: "short" }]);
    gb.importManual([{ student_id: "fay", question_id: "why", points: 2, comment: "good" }]);
    expect(gb.manual("fay")).to.deep.equal([{ student_id: "fay", question_id: "why", points: 2, comment: "good" }]);
    expect((gb.db.prepare("SELECT COUNT(*) AS n FROM manual").get() as { n: number }).n).to.equal(2);
    gb.close();
  });
});
