/**
 * The instructor's whole workflow on the small fixture assignment (test/fixtures/cli/assignment:
 * one notebook, two questions, so that 30 submissions grade in CI time): release, a student
 * fills in the exercises and submits, then `grade` on 30 generated submissions (right, partly
 * right, stubs, hostile, corrupt, missing, late, one that hangs, one that exhausts memory),
 * killed with kill -9 mid-run and resumed; then the exports and Gradescope's autograder must
 * agree with the gradebook.
 */
import AdmZip from "adm-zip";
import Database from "better-sqlite3";
import { expect } from "chai";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadSpecsFrom } from "../../grader/judge/assignment";
import { buildChecks } from "../../grader/judge/build-checks";
import { parseCsv } from "../../grader/export/csv";
import type { GradescopeResults } from "../../grader/export/gradescope";
import { summarizeAll } from "../../grader/export/summary";
import { Gradebook } from "../../grader/gradebook/gradebook";
import { buildRelease, hiddenTexts, solutionLines } from "../../grader/release/release";
import { KIT_ROOT } from "../../grader/core/version";
import { fileNameFor } from "../../grader/core/student-id";
import { FIXTURE_MASTERS, FIXTURE_SPECS, grader, makeZip, NotebookJsonLike, readJson, TINY, tmpDir } from "../cli/helpers";

const specs = loadSpecsFrom(FIXTURE_SPECS);
const master = readJson<NotebookJsonLike>(path.join(FIXTURE_MASTERS, TINY));
const src = (id: string): string => {
  const c = master.cells.find((x) => x.id === id);
  return Array.isArray(c?.source) ? c?.source.join("") ?? "" : c?.source ?? "";
};
const PWNED = "/tmp/nnkit-cli-test-pwned";

/** The student notebook with some cells' sources replaced (as a student edits them). */
function edited(student: NotebookJsonLike, replace: Record<string, string>): string {
  const nb = JSON.parse(JSON.stringify(student)) as NotebookJsonLike;
  for (const c of nb.cells) if (c.id && replace[c.id] !== undefined) c.source = replace[c.id];
  return JSON.stringify(nb);
}

describe("instructor workflow on 30 submissions (fixture assignment)", function () {
  this.timeout(900_000);
  let tmp: string;
  let kit: string;
  let subs: string;
  let gbFile: string;
  let studentNb: NotebookJsonLike;
  let checksDir: string;
  const expected = new Map<string, { status: string[]; score?: number; penalty?: number }>();
  const course = { assignment: "tiny", dueDate: "2026-12-10T23:59:00Z", late: { graceMinutes: 0, penaltyPerDay: 0.1, maxDaysLate: 5 } };

  before(async () => {
    tmp = tmpDir("workflow");
    kit = path.join(tmp, "kit");
    subs = path.join(tmp, "subs");
    gbFile = path.join(tmp, "gradebook.sqlite");
    checksDir = path.join(tmp, "checks");
    fs.mkdirSync(subs);
    fs.writeFileSync(path.join(tmp, "course.json"), JSON.stringify(course));
    await buildChecks({ specs, mastersDir: FIXTURE_MASTERS, outDir: checksDir });
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(PWNED, { force: true });
  });

  it("releases a kit without solutions or hidden probes", () => {
    const r = buildRelease({ root: KIT_ROOT, out: kit, specs, mastersDir: FIXTURE_MASTERS, checksDir });
    studentNb = readJson<NotebookJsonLike>(path.join(kit, "notebooks", TINY));
    const texts = r.files.map((f) => fs.readFileSync(path.join(kit, f), "utf8"));
    for (const secret of [...solutionLines(master), ...hiddenTexts(specs)]) {
      expect(texts.some((t) => t.includes(secret)), secret).to.equal(false);
    }
    expect(fs.existsSync(path.join(kit, "checks", "01_tiny.json"))).to.equal(true);
  });

  it("lets a student fill in the exercises and submit from the kit", () => {
    fs.writeFileSync(path.join(kit, "course.json"), JSON.stringify({ assignment: "tiny" }));
    fs.symlinkSync(path.join(KIT_ROOT, "node_modules"), path.join(kit, "node_modules"));
    // submitting the untouched stubs: the public checks fail, which warns (exit 3) but still submits
    const early = grader(["submit", "--student", "kit-student", "--to", subs], kit);
    expect(early.code, early.err).to.equal(3);
    expect(early.err).to.include("warning: some public checks fail; submitting anyway");
    expect(fs.existsSync(path.join(subs, "tiny-kit-student.zip"))).to.equal(true);

    fs.writeFileSync(path.join(kit, "notebooks", TINY), edited(studentNb, {
      "square-impl": src("square-impl"), "scale-impl": src("scale-impl"), "why-answer": "The square of -x equals the square of x.",
    }));
    const r = grader(["submit", "--student", "kit-student", "--to", subs], kit);
    // the public checks run first, against the kit's checks/ (the kit has no masters): all pass here
    expect(r.code, r.err).to.equal(0);
    expect(r.err).not.to.include("warning: some public checks fail");
    expect(r.out).to.match(/submission: .*tiny-kit-student.zip \(1 files\)/);
    const zip = new AdmZip(path.join(subs, "tiny-kit-student.zip"));
    const manifest = JSON.parse(zip.getEntry("manifest.json")?.getData().toString("utf8") ?? "{}") as { student: string; assignment: string; history?: unknown[] };
    expect(manifest).to.include({ student: "kit-student", assignment: "tiny" });
    // the earlier (stub) submission is replaced but its hash stays in the history
    expect(manifest.history ?? []).to.have.length(1);
    expected.set("kit-student", { status: ["graded"], score: 3 });
  });

  it("grades 30 submissions, resuming after kill -9, every one with a score or a reason", async () => {
    const right = { "square-impl": src("square-impl"), "scale-impl": src("scale-impl"), "why-answer": "Squares are never negative." };
    const partlyRight = { ...right, "scale-impl": "function scaleAll(xs: number[], factor: number): number[] {\n  return xs.map((v) => v + factor);\n}" };
    const put = (student: string, text: string, how: "zip" | "lms" | "loose", timestamp?: string): void => {
      let file: string;
      if (how === "zip") makeZip((file = path.join(subs, `${student}.zip`)), student, { [TINY]: text }, timestamp);
      else if (how === "lms") {
        fs.mkdirSync(path.join(subs, student));
        makeZip((file = path.join(subs, student, "submission.zip")), student, { [TINY]: text }, timestamp);
      } else fs.writeFileSync((file = path.join(subs, `${student}_01_tiny.ipynb`)), text);
      // the time of a submission is where it sits (the file's), never the manifest the student wrote
      if (timestamp) fs.utimesSync(file, new Date(timestamp), new Date(timestamp));
    };
    for (let i = 1; i <= 7; i++) {
      put(`right-${i}`, edited(studentNb, right), i <= 3 ? "zip" : i <= 5 ? "lms" : "loose");
      expected.set(`right-${i}`, { status: ["graded"], score: 3 });
    }
    for (let i = 1; i <= 6; i++) {
      put(`partly-${i}`, edited(studentNb, partlyRight), "zip");
      expected.set(`partly-${i}`, { status: ["graded"], score: 2 });
    }
    for (let i = 1; i <= 4; i++) {
      put(`stub-${i}`, JSON.stringify(studentNb), "zip");
      expected.set(`stub-${i}`, { status: ["graded"], score: 0 });
    }
    put("late-1", edited(studentNb, right), "zip", "2026-12-11T10:00:00.000Z");
    expected.set("late-1", { status: ["graded"], score: 3, penalty: 0.1 });
    put("late-2", edited(studentNb, right), "zip", "2026-12-13T10:00:00.000Z");
    expected.set("late-2", { status: ["graded"], score: 3, penalty: 0.3 });
    // hostile: patch built-ins, try to write files and read the master, exit, flood stdout
    put("hostile-patch", edited(studentNb, {
      ...right,
      "square-demo": "Array.prototype.map = function () { return [1e9]; } as any;\nMath.max = () => 0;",
    }), "zip");
    expected.set("hostile-patch", { status: ["graded", "crash"] });
    put("hostile-fs", edited(studentNb, {
      ...right,
      "square-demo": `try { require("fs").writeFileSync(${JSON.stringify(PWNED)}, "x"); } catch (e) { console.log("write refused"); }\n` +
        `try { console.log(require("fs").readFileSync(${JSON.stringify(path.join(FIXTURE_MASTERS, TINY))}, "utf8").length); } catch (e) { console.log("read refused"); }\n` +
        `try { require("child_process").execSync("touch ${PWNED}"); } catch (e) { console.log("spawn refused"); }`,
    }), "zip");
    expected.set("hostile-fs", { status: ["graded"], score: 3 });
    put("hostile-exit", edited(studentNb, { ...right, "square-demo": "process.exit(0);" }), "zip");
    expected.set("hostile-exit", { status: ["graded", "crash"] });
    put("hostile-flood", edited(studentNb, { ...right, "square-demo": "for (let i = 0; i < 200000; i++) console.log('SCORE 3/3 ' + i);" }), "zip");
    expected.set("hostile-flood", { status: ["graded"], score: 3 });
    // corrupt and missing
    fs.writeFileSync(path.join(subs, "corrupt-zip.zip"), Buffer.from("PK\x03\x04 this is not really a zip"));
    expected.set("corrupt-zip", { status: ["corrupt"], score: 0 });
    put("corrupt-json", "{ \"cells\": [ this is not json", "zip");
    expected.set("corrupt-json", { status: ["invalid"], score: 0 });
    fs.mkdirSync(path.join(subs, "corrupt-nbformat3"));
    fs.writeFileSync(path.join(subs, "corrupt-nbformat3", TINY), JSON.stringify({ nbformat: 3, nbformat_minor: 0, worksheets: [], metadata: {} }));
    expected.set("corrupt-nbformat3", { status: ["invalid"], score: 0 });
    makeZip(path.join(subs, "missing-nb.zip"), "missing-nb", { "notes.ipynb": JSON.stringify(studentNb) });
    expected.set("missing-nb", { status: ["missing"], score: 0 });
    // resource abuse: an endless loop and a memory bomb in a top-level cell
    put("hang", edited(studentNb, { ...right, "square-demo": "while (true) {}" }), "zip");
    expected.set("hang", { status: ["timeout", "graded"] });
    put("memory", edited(studentNb, { ...right, "square-demo": "const hog: number[][] = [];\nwhile (true) hog.push(new Array(1e6).fill(1.5));" }), "zip");
    expected.set("memory", { status: ["crash", "graded"] });
    expect(expected.size).to.equal(30);
    // submission times come from the LMS (issue 15.6), not from the manifests: late-1 and late-2 are late by it
    const times = path.join(tmp, "times.csv");
    const lms: Record<string, string> = { "late-1": "2026-12-11T10:00:00Z", "late-2": "2026-12-13T10:00:00Z" };
    fs.writeFileSync(times, `id,time\n${[...expected.keys()].map((id) => `${id},${lms[id] ?? "2026-12-10T12:00:00Z"}`).join("\n")}\n`);

    const args = ["grade", subs, "-g", gbFile, "-c", path.join(tmp, "course.json"), "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS,
      "--workers", "2", "--cell-timeout", "8", "--notebook-timeout", "40", "--memory", "256", "--times", times];
    // first run: killed with SIGKILL once a few notebooks are graded
    const child: ChildProcess = spawn(process.execPath, ["-r", "tsx/cjs", path.join(KIT_ROOT, "grader", "cli", "main.ts"), ...args], {
      cwd: KIT_ROOT, stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    // grade prints a progress line after each notebook's run is committed to the gradebook:
    // "[###.....] 10/28 graded ..." (28 jobs: the unusable submissions make none); kill it once ten are in, or learn that it ended first.
    const tenDone = new Promise<void>((resolve) => {
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString();
        const counts = [...stderr.matchAll(/\] (\d+)\/\d+ graded/g)].map((m) => Number(m[1]));
        if (counts.some((n) => n >= 10)) resolve();
      });
      child.on("exit", () => resolve());
    });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const doneRuns = (): number => {
      if (!fs.existsSync(gbFile)) return 0;
      try {
        const db = new Database(gbFile, { readonly: true, fileMustExist: true });
        try {
          return (db.prepare("SELECT COUNT(*) AS n FROM runs").get() as { n: number }).n;
        } finally {
          db.close();
        }
      } catch {
        return 0; // the schema is not there yet
      }
    };
    await tenDone;
    expect(child.exitCode, `grade ended before it could be killed: ${stderr}`).to.equal(null);
    child.kill("SIGKILL");
    await exited;
    const before = doneRuns();
    expect(before).to.be.within(10, 29);

    // second run finishes the rest
    const second = grader(args);
    expect(second.out).to.match(/30 submissions: /);
    // Exit code 3 says that this run had a run fail or time out; which runs the first (killed) run
    // finished depends on the workers' order, so the code is checked against the run's own counts.
    const counts = /\(graded (\d+), failed (\d+), timed out (\d+)\), (\d+) corrupt or missing/.exec(second.out);
    expect(counts, second.out).to.not.equal(null);
    expect(second.code, second.err).to.equal(Number(counts![2]) + Number(counts![3]) + Number(counts![4]) > 0 ? 3 : 0);

    const gb = Gradebook.open(gbFile, "test");
    try {
      expect(gb.jobCounts()).to.deep.equal({ pending: 0, running: 0, done: 30 });
      const dup = gb.db.prepare("SELECT submission_id, notebook, COUNT(*) AS n FROM runs GROUP BY submission_id, notebook HAVING n > 1").all();
      expect(dup, "a notebook graded twice").to.deep.equal([]);
      expect(gb.students().sort()).to.deep.equal([...expected.keys()].sort());
      for (const [student, want] of expected) {
        const runs = gb.currentRuns(student);
        expect(runs, student).to.have.length(1);
        const r = runs[0];
        expect(want.status, `${student}: ${r.status} ${r.reason ?? ""}\n${r.log.slice(0, 2000)}`).to.include(r.status);
        if (want.score !== undefined) expect(r.score, `${student} score; ${r.log.slice(0, 2000)}`).to.equal(want.score);
        if (r.status !== "graded") expect(r.reason, `${student} has no reason`).to.be.a("string").and.not.equal("");
        const sub = gb.currentSubmission(student);
        expect(sub?.penalty ?? 0, `${student} penalty`).to.be.closeTo(want.penalty ?? 0, 1e-9);
      }
      const hang = gb.currentRuns("hang")[0];
      expect(hang.log + (hang.reason ?? "")).to.match(/time|timed out/i);
      expect(gb.cells(hang.id).find((c) => c.id === "square-demo")?.ok).to.equal(false);
      const memory = gb.currentRuns("memory")[0];
      expect(memory.log + (memory.reason ?? "")).to.match(/memory|heap/i);
    } finally {
      gb.close();
    }
    expect(fs.existsSync(PWNED), "a hostile submission wrote a file").to.equal(false);

    // a rerun skips everything; --student regrades one and keeps the history
    const third = grader(args);
    expect(third.out).to.match(/0 notebook runs .* 30 unchanged and skipped/);
    const fourth = grader([...args, "--student", "partly-1"]);
    expect(fourth.out).to.match(/1 submissions: 1 notebook runs \(graded 1/);
    const gb2 = Gradebook.open(gbFile, "test");
    expect(gb2.history("partly-1").map((r) => r.current)).to.deep.equal([0, 1]);
    gb2.close();
  });

  it("exports a CSV, feedback pages and written answers that agree with the gradebook", () => {
    const out = path.join(tmp, "export");
    const r = grader(["export", "all", "-g", gbFile, "-c", path.join(tmp, "course.json"), "-o", out, "--specs", FIXTURE_SPECS]);
    expect(r.code, r.err).to.equal(0);
    const gb = Gradebook.open(gbFile, "test");
    try {
      const summaries = summarizeAll(gb, [{ notebook: TINY, max: 3 }]);
      const rows = parseCsv(fs.readFileSync(path.join(out, "grades.csv"), "utf8"));
      expect(rows[0]).to.deep.equal(["Student", "Score", "Max", "Late days", "Submitted at", "Time source", "Status"]);
      expect(rows.length).to.equal(31);
      for (const s of summaries) {
        const row = rows.find((x) => x[0] === s.student);
        expect(row, s.student).to.deep.equal([s.student, String(s.final), "3", String(s.lateDays), s.submittedAt, "times-file", s.status]);
        const page = fs.readFileSync(path.join(out, "feedback", `${fileNameFor(s.student)}.html`), "utf8");
        expect(page).to.include(`Score: <b>${s.final}</b> / 3`);
        for (const secret of hiddenTexts(specs)) expect(page).not.to.include(secret);
      }
      expect(summaries.find((s) => s.student === "late-2")?.final).to.equal(2.1);
      const written = fs.readFileSync(path.join(out, "written", "why-answer.html"), "utf8");
      expect(written).to.include("Squares are never negative.");
      expect(written).to.include("The square of -x equals the square of x.");
      const partly = fs.readFileSync(path.join(out, "feedback", `${fileNameFor("partly-1")}.html`), "utf8");
      expect(partly).to.include("scaleAll([1, 2, 3], 2)");
      expect(partly).to.include("Hint: Multiply each value by the factor.");
      // the endless loop's cell is named with its error; the memory bomb's run shows its reason and log
      const hang = fs.readFileSync(path.join(out, "feedback", `${fileNameFor("hang")}.html`), "utf8");
      expect(hang).to.match(/<li><code>square-demo<\/code>: [^<]*(did not finish|time)/i);
      const memory = fs.readFileSync(path.join(out, "feedback", `${fileNameFor("memory")}.html`), "utf8");
      expect(memory).to.match(/log of the run/);
      expect(memory).to.match(/memory/i);
    } finally {
      gb.close();
    }
    const points = path.join(tmp, "points.csv");
    fs.writeFileSync(points, "student,question,points,comment\nright-1,why-answer,2,Clear and correct\n");
    expect(grader(["export", "manual-import", points, "-g", gbFile, "--specs", FIXTURE_SPECS]).code).to.equal(0);
    grader(["export", "csv", "-g", gbFile, "-c", path.join(tmp, "course.json"), "-o", out, "--specs", FIXTURE_SPECS]);
    const rows = parseCsv(fs.readFileSync(path.join(out, "grades.csv"), "utf8"));
    expect(rows.find((x) => x[0] === "right-1")?.[1]).to.equal("5");
  });

  it("builds a Gradescope autograder whose results agree with the gradebook", () => {
    const out = path.join(tmp, "gs-export");
    const r = grader(["export", "gradescope", "-o", out, "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS]);
    expect(r.code, r.err).to.equal(0);
    // lay the folder out as Gradescope does: /autograder/{source,submission,results,run_autograder}
    const ag = path.join(tmp, "autograder");
    const source = path.join(ag, "source");
    new AdmZip(path.join(out, "gradescope-autograder.zip")).extractAllTo(source, true, true);
    expect(fs.statSync(path.join(source, "run_autograder")).mode & 0o111).to.not.equal(0);
    expect(fs.existsSync(path.join(source, "setup.sh"))).to.equal(true);
    fs.copyFileSync(path.join(source, "run_autograder"), path.join(ag, "run_autograder"));
    // setup.sh would npm ci here; the kit's installed packages stand in for it
    fs.symlinkSync(path.join(KIT_ROOT, "node_modules"), path.join(source, "node_modules"));
    const gb = Gradebook.open(gbFile, "test");
    try {
      for (const student of ["partly-2"]) {
        fs.rmSync(path.join(ag, "submission"), { recursive: true, force: true });
        fs.rmSync(path.join(ag, "results"), { recursive: true, force: true });
        fs.mkdirSync(path.join(ag, "submission"));
        fs.copyFileSync(path.join(subs, `${student}.zip`), path.join(ag, "submission", `${student}.zip`));
        execFileSync("bash", [path.join(ag, "run_autograder")], { env: { ...process.env, AUTOGRADER_ROOT: ag }, stdio: "pipe" });
        const results = readJson<GradescopeResults>(path.join(ag, "results", "results.json"));
        const run = gb.currentRuns(student)[0];
        expect(results.score, student).to.equal(run.score);
        const qs = gb.questions(run.id);
        expect(results.tests.map((t) => [t.score, t.max_score])).to.deep.equal(qs.map((q) => [q.score, q.points]));
        for (const t of results.tests) expect(t.visibility).to.equal("visible");
        for (const secret of hiddenTexts(specs)) expect(JSON.stringify(results)).not.to.include(secret);
      }
    } finally {
      gb.close();
    }
  });
});
