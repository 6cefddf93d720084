/**
 * Issue 23 through the real commands: `grade` with two workers where one submission attacks the
 * other and the grader; `grade` refusing where bubblewrap cannot run, and `--no-isolation`
 * recorded in every row; the student's `check` falling back and saying so once; the gradebook
 * migration of the isolation column. "Cannot run" is simulated with NNKIT_BWRAP pointing at a
 * missing binary, never by breaking the machine.
 */
import Database from "better-sqlite3";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { Gradebook } from "../../grader/gradebook/gradebook";
import { toStudentNotebook } from "../../grader/release/release-transform";
import { isolationMode, isolationStatus } from "../../grader/run/isolation";
import type { NotebookJson } from "../../grader/core/notebook";
import { KIT_ROOT } from "../../grader/core/version";
import { FIXTURE_MASTERS, FIXTURE_SPECS, TINY, grader, makeZip, readJson, tmpDir } from "../cli/helpers";

const MISSING_BWRAP = { NNKIT_BWRAP: "/nonexistent/bwrap" };
const INTERLOCK = 'if (process.pid > 2) throw new Error("not inside a pid namespace: refusing to send signals");';

function master(): NotebookJson {
  return readJson<NotebookJson>(path.join(FIXTURE_MASTERS, TINY));
}

/** The student version of the tiny master with extra cells at the end. */
function stubWith(...sources: string[]): NotebookJson {
  const nb = toStudentNotebook(master());
  sources.forEach((s, i) => nb.cells.push({ id: `hostile-${i}`, cell_type: "code", metadata: {}, source: s, outputs: [], execution_count: null }));
  return nb;
}

/** An LMS-style folder: one sub-folder per student holding the notebook. */
function lmsFolder(dir: string, subs: Record<string, NotebookJson | string>): void {
  for (const [student, nb] of Object.entries(subs)) {
    fs.mkdirSync(path.join(dir, student), { recursive: true });
    fs.writeFileSync(path.join(dir, student, TINY), typeof nb === "string" ? nb : JSON.stringify(nb));
  }
}

interface Row {
  student_id: string;
  status: string;
  score: number;
  reason: string | null;
  isolation: string | null;
}

function rows(gbFile: string): Row[] {
  const db = new Database(gbFile, { readonly: true });
  try {
    return db.prepare("SELECT student_id, status, score, reason, isolation FROM runs ORDER BY student_id").all() as Row[];
  } finally {
    db.close();
  }
}

describe("grader: isolation through the commands (issue 23)", function () {
  this.timeout(600_000);
  const tmp = tmpDir("nnkit-isolation-cli");
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  // the fixture's zips are made for the assignment "tiny": grade checks that against the course
  const courseFile = (): string => {
    const f = path.join(tmp, "course.json");
    if (!fs.existsSync(f)) fs.writeFileSync(f, JSON.stringify({ assignment: "tiny" }));
    return f;
  };
  const gradeArgs = (subs: string, gb: string): string[] =>
    ["grade", subs, "-g", gb, "-c", courseFile(), "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS, "--cell-timeout", "8", "--memory", "256"];

  it("grade with two workers: an attacker signals every pid and -1; the master, the stub and the batch are untouched", async () => {
    const subs = path.join(tmp, "attack");
    const pidMax = Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8"));
    const attack = [
      INTERLOCK,
      // every pid but its own range of threads (those would only stop itself): the grader, its workers and the other run included
      `for (let pid = 64; pid <= ${pidMax}; pid++) for (const sig of ["SIGSTOP", "SIGKILL"]) { try { process.kill(pid, sig as NodeJS.Signals); } catch {} }`,
      'try { process.kill(-1, "SIGKILL"); } catch {}',
      'try { process.kill(process.ppid, "SIGKILL"); } catch {}',
      'console.log("attacks sent");',
    ].join("\n");
    lmsFolder(subs, { innocent: master(), stub: stubWith(), attacker: stubWith(attack) });
    const gb = path.join(tmp, "attack.sqlite");
    const r = grader([...gradeArgs(subs, gb), "--workers", "2"]);
    expect(r.out, r.err).to.match(/3 submissions: 3 notebook runs/);
    const byStudent = Object.fromEntries(rows(gb).map((x) => [x.student_id, x]));
    expect(Object.keys(byStudent).sort()).to.deep.equal(["attacker", "innocent", "stub"]);
    expect(byStudent.innocent.status).to.equal("graded");
    expect(byStudent.innocent.score).to.equal(3);
    expect(byStudent.stub.score).to.equal(0);
    expect(byStudent.attacker.score).to.be.at.most(byStudent.stub.score);
    for (const x of Object.values(byStudent)) expect(x.isolation, x.student_id).to.equal("bubblewrap");
    // the attacking cell itself ran to its end inside its namespace
    const db = new Database(gb, { readonly: true });
    try {
      const cell = db.prepare("SELECT c.ok FROM cells c JOIN runs r ON r.id = c.run_id WHERE r.student_id = 'attacker' AND c.cell_id = 'hostile-0'").get() as { ok: number };
      expect(cell.ok).to.equal(1);
    } finally {
      db.close();
    }
  });

  it("grade refuses where bubblewrap cannot run, and leaves no gradebook behind", () => {
    const subs = path.join(tmp, "refuse");
    lmsFolder(subs, { ada: master() });
    const gb = path.join(tmp, "refuse.sqlite");
    const r = grader(gradeArgs(subs, gb), KIT_ROOT, MISSING_BWRAP);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/cannot isolate student code: bubblewrap is not installed \(no \/nonexistent\/bwrap\)/);
    expect(r.err).to.match(/--no-isolation/);
    expect(fs.existsSync(gb)).to.equal(false);
  });

  it("grade --no-isolation grades and records it in every row it writes, also rows written without a run", () => {
    const subs = path.join(tmp, "noiso");
    lmsFolder(subs, { ada: master(), bob: "{ this is not a notebook" });
    makeZip(path.join(subs, "cy.zip"), "cy", { "notes.ipynb": JSON.stringify(master()) });
    const gb = path.join(tmp, "noiso.sqlite");
    const r = grader([...gradeArgs(subs, gb), "--no-isolation"], KIT_ROOT, MISSING_BWRAP);
    expect(r.err).to.match(/graded without isolation \(--no-isolation\)/);
    const all = rows(gb);
    expect(all.map((x) => [x.student_id, x.status])).to.deep.equal([["ada", "graded"], ["bob", "invalid"], ["cy", "missing"]]);
    expect(all.find((x) => x.student_id === "ada")!.score).to.equal(3);
    for (const x of all) expect(x.isolation, x.student_id).to.equal("none (--no-isolation)");
  });

  it("check falls back to Node's permission model where bubblewrap cannot run, and says so once", () => {
    // two notebooks checked (the master's reference run and each notebook's run): still one note
    const dir = path.join(tmp, "check");
    fs.mkdirSync(dir);
    const a = path.join(dir, "a", "01_activations.ipynb");
    const b = path.join(dir, "b", "01_activations.ipynb");
    for (const f of [a, b]) {
      fs.mkdirSync(path.dirname(f));
      fs.copyFileSync(path.join(KIT_ROOT, "notebooks", "01_activations.ipynb"), f);
    }
    const r = grader(["check", a, b], KIT_ROOT, MISSING_BWRAP);
    expect(r.code, r.err + r.out).to.equal(0);
    const notes = r.err.split("\n").filter((l) => /permission model only/.test(l));
    expect(notes).to.deep.equal(["note: bubblewrap is not installed (no /nonexistent/bwrap); your notebooks run with Node's permission model only (the course's grader isolates them fully)"]);
    expect(r.out.match(/on the public checks/g)).to.have.length(2);
  });

  it("NNKIT_ISOLATION takes required, fallback or off, and names a wrong value", () => {
    const saved = process.env.NNKIT_ISOLATION;
    try {
      delete process.env.NNKIT_ISOLATION;
      expect(isolationMode()).to.equal("required");
      process.env.NNKIT_ISOLATION = "off";
      expect(isolationMode()).to.equal("off");
      process.env.NNKIT_ISOLATION = "sometimes";
      expect(() => isolationMode()).to.throw(/NNKIT_ISOLATION must be required, fallback or off \(it is "sometimes"\)/);
    } finally {
      if (saved === undefined) delete process.env.NNKIT_ISOLATION;
      else process.env.NNKIT_ISOLATION = saved;
    }
    const savedBwrap = process.env.NNKIT_BWRAP;
    process.env.NNKIT_BWRAP = "/nonexistent/bwrap";
    try {
      expect(isolationStatus(KIT_ROOT)).to.deep.include({ available: false, reason: "bubblewrap is not installed (no /nonexistent/bwrap)" });
    } finally {
      if (savedBwrap === undefined) delete process.env.NNKIT_BWRAP;
      else process.env.NNKIT_BWRAP = savedBwrap;
    }
  });

  it("a gradebook written before the isolation column is upgraded without losing a row", () => {
    const file = path.join(tmp, "old.sqlite");
    const gb = Gradebook.open(file, "old");
    const { id } = gb.recordSubmission({
      student: "ada", source: "x", kind: "notebook", contentHash: "h1", submittedAt: null, timeSource: null,
      lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: null, manifest: null,
    });
    gb.recordDirect(id, TINY, { status: "graded", score: 2, maxScore: 3, questions: [], log: "", seconds: 1, masterHash: "m" });
    gb.close();
    // as the schema was before: no isolation column
    const raw = new Database(file);
    raw.exec("ALTER TABLE runs DROP COLUMN isolation");
    raw.pragma("user_version = 3");
    raw.close();
    for (let open = 0; open < 2; open++) {
      const again = Gradebook.open(file, "new", { isolation: "bubblewrap" });
      try {
        const runs = again.history("ada");
        expect(runs).to.have.length(1 + open);
        expect(runs[0].score).to.equal(2);
        expect(runs[0].isolation).to.equal(null);
        if (open === 0) again.recordDirect(id, TINY, { status: "graded", score: 3, maxScore: 3, questions: [], log: "", seconds: 1, masterHash: "m" });
      } finally {
        again.close();
      }
    }
    const history = Gradebook.open(file, "new");
    try {
      expect(history.history("ada").map((r) => [r.score, r.isolation])).to.deep.equal([[2, null], [3, "bubblewrap"]]);
    } finally {
      history.close();
    }
  });
});
