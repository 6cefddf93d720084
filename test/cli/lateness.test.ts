/**
 * Lateness an instructor can trust (issue 15.6): times come from `grade --times FILE` (the LMS)
 * or from when grade first saw the submission, recorded once; never from file times (a `cp -r`
 * rewrites them) nor from the manifest (the student writes it: shown, never used). The CSV says
 * where each time came from.
 */
import Database from "better-sqlite3";
import { expect } from "chai";
import { fileNameFor } from "../../grader/core/student-id";
import * as fs from "fs";
import * as path from "path";
import { parseCsv } from "../../grader/export/csv";
import { Gradebook } from "../../grader/gradebook/gradebook";
import { parseSubmissionTime, readTimesFile, zoneOffsetMinutes } from "../../grader/submit/submission-times";
import { FIXTURE_MASTERS, FIXTURE_SPECS, grader, makeZip, masterWith, sha256, TINY, tmpDir } from "./helpers";

const DAY = 24 * 3600_000;

describe("submission times and lateness", function () {
  this.timeout(600_000);

  describe("times file", () => {
    let dir: string;
    beforeEach(() => (dir = tmpDir("times")));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = (text: string): string => {
      const f = path.join(dir, "times.csv");
      fs.writeFileSync(f, text);
      return f;
    };

    it("reads the accepted formats; a time without a zone is in the due date's zone", () => {
      expect(zoneOffsetMinutes("2026-12-15T23:59:00+01:00")).to.equal(60);
      expect(zoneOffsetMinutes("2026-12-15T23:59:00-05:30")).to.equal(-330);
      expect(zoneOffsetMinutes(null)).to.equal(0);
      expect(parseSubmissionTime("2026-12-15T23:59:00Z", 60)).to.equal("2026-12-15T23:59:00.000Z");
      expect(parseSubmissionTime("2026-12-15T23:59:00+01:00", 0)).to.equal("2026-12-15T22:59:00.000Z");
      expect(parseSubmissionTime("2026-12-15 23:59:30.25+0100", 0)).to.equal("2026-12-15T22:59:30.250Z");
      expect(parseSubmissionTime("2026-12-15 23:59", 60)).to.equal("2026-12-15T22:59:00.000Z");
      expect(parseSubmissionTime("2026-12-15T23:59:00", 0)).to.equal("2026-12-15T23:59:00.000Z");
      expect(parseSubmissionTime("Monday, 15 December 2026, 11:59 PM", 60)).to.equal("2026-12-15T22:59:00.000Z");
      expect(parseSubmissionTime("15 Dec 2026, 12:05 AM", 0)).to.equal("2026-12-15T00:05:00.000Z");
      expect(parseSubmissionTime("1797375540", 60)).to.equal(new Date(1797375540_000).toISOString());
      for (const bad of ["yesterday", "12/15/2026 11:59 PM", "2026-02-31T10:00:00Z", "2026-12-15T25:00:00Z", "2026-12-15", "Monday, 15 Smarch 2026, 11:59 PM", "13:00 PM 15 December 2026", ""]) {
        expect(parseSubmissionTime(bad, 0), bad).to.equal(null);
      }
    });

    it("reads an LMS export with a BOM, quoted fields and other columns", () => {
      const f = file("\uFEFFName,Student ID,\"Submitted at\",Grade\n\"Lovelace, Ada\",ada,2026-12-15T23:00:00Z,\n\"Hopper, Grace\",grace,\"Tuesday, 16 December 2026, 1:00 AM\",\n");
      const t = readTimesFile(f, { dueDate: "2026-12-15T23:59:00+01:00" });
      expect([...t]).to.deep.equal([["ada", { time: "2026-12-15T23:00:00.000Z", line: 2 }], ["grace", { time: "2026-12-16T00:00:00.000Z", line: 3 }]]);
    });

    it("rejects an unparseable time, a repeated id and a header without id or time, naming the line", () => {
      const course = { dueDate: null };
      expect(() => readTimesFile(file("id,time\nada,2026-12-15T23:00:00Z\ngrace,next tuesday\n"), course))
        .to.throw(/times\.csv line 3: cannot read the time "next tuesday" of grace \(accepted: ISO 8601/);
      expect(() => readTimesFile(file("id,time\nada,2026-12-15T23:00:00Z\nada,2026-12-16T23:00:00Z\n"), course))
        .to.throw(/line 3: ada was already given a time on line 2/);
      expect(() => readTimesFile(file("who,when\nada,2026-12-15T23:00:00Z\n"), course)).to.throw(/line 1: the header needs an id column .* found: who, when/);
      expect(() => readTimesFile(file("id,time\n\"ada,2026\n"), course)).to.throw(/not a valid CSV/);
      expect(() => readTimesFile(path.join(dir, "none.csv"), course)).to.throw(/times file not found/);
    });
  });

  describe("grade", () => {
    let tmp: string;
    let subs: string;
    let gbFile: string;
    let courseFile: string;
    const right = JSON.stringify(masterWith({}));
    // due two days ago: a submission first seen now is 2 days late (penalty 0.2)
    const due = new Date(Date.now() - 2 * DAY + 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
    const EARLY = "2020-01-01T00:00:00.000Z";

    const sub = (student: string): { submitted_at: string; time_source: string; claimed_at: string | null; penalty: number; late_days: number; discovered_at: string } => {
      const db = new Database(gbFile, { readonly: true });
      try {
        // everything but the path it was found at (a copied folder is a new path, by design)
        const { source: _where, ...row } = db.prepare("SELECT * FROM submissions WHERE student_id = ? ORDER BY id DESC LIMIT 1").get(student) as { source: string } & ReturnType<typeof sub>;
        return row;
      } finally {
        db.close();
      }
    };
    const gradeArgs = (dir: string, extra: string[] = []): string[] =>
      ["grade", dir, "-g", gbFile, "-c", courseFile, "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS, "--workers", "2", ...extra];

    before(() => {
      tmp = tmpDir("lateness");
      subs = path.join(tmp, "subs");
      gbFile = path.join(tmp, "gradebook.sqlite");
      courseFile = path.join(tmp, "course.json");
      fs.writeFileSync(courseFile, JSON.stringify({ assignment: "tiny", dueDate: due, late: { graceMinutes: 0, penaltyPerDay: 0.1, maxDaysLate: 5 } }));
      fs.mkdirSync(subs);
      // ada's manifest is honest (now); forger's claims a time years before the due date
      makeZip(path.join(subs, "ada.zip"), "ada", { [TINY]: right }, new Date().toISOString());
      makeZip(path.join(subs, "forger.zip"), "forger", { [TINY]: right }, EARLY);
      fs.mkdirSync(path.join(subs, "lms-bo"));
      fs.writeFileSync(path.join(subs, "lms-bo", TINY), right);
      // file times say "long before the due date" everywhere: they must not count
      for (const f of [path.join(subs, "ada.zip"), path.join(subs, "forger.zip"), path.join(subs, "lms-bo", TINY)]) fs.utimesSync(f, new Date(EARLY), new Date(EARLY));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("without --times uses when grade first saw each submission, never the manifest nor file times", () => {
      const before = Date.now();
      const r = grader(gradeArgs(subs));
      expect(r.code, r.err).to.equal(0);
      for (const s of ["ada", "forger", "lms-bo"]) {
        const row = sub(s);
        expect(row.time_source, s).to.equal("first-seen");
        expect(row.submitted_at, s).to.equal(row.discovered_at);
        expect(Date.parse(row.submitted_at)).to.be.at.least(before - 1000);
        expect(row.late_days, s).to.equal(2);
        expect(row.penalty, s).to.be.closeTo(0.2, 1e-12);
      }
      // the forged manifest time is kept to be shown, and changes nothing
      expect(sub("forger").claimed_at).to.equal(EARLY);
      expect(sub("lms-bo").claimed_at).to.equal(null);
      expect(r.err).to.match(/warning: 3 submission\(s\) are late by the time grade first saw them .*--times FILE/);
    });

    it("keeps every time and penalty when the submissions folder is copied (cp -r) and graded again", () => {
      const beforeRows = ["ada", "forger", "lms-bo"].map(sub);
      const copy = path.join(tmp, "subs-copy");
      fs.cpSync(subs, copy, { recursive: true }); // new file times, like cp -r
      for (const f of [path.join(copy, "ada.zip"), path.join(copy, "lms-bo", TINY)]) fs.utimesSync(f, new Date(EARLY), new Date(EARLY));
      const r = grader(gradeArgs(copy));
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/3 unchanged and skipped/);
      expect(["ada", "forger", "lms-bo"].map(sub)).to.deep.equal(beforeRows);
      // --force regrades; the recorded time stays
      const forced = grader(gradeArgs(copy, ["--force", "--student", "forger"]));
      expect(forced.code, forced.err).to.equal(0);
      expect(sub("forger")).to.deep.equal(beforeRows[1]);
    });

    it("takes the LMS times from --times over the first-seen ones, keeps them, and says so in the CSV", () => {
      const times = path.join(tmp, "times.csv");
      const onTime = new Date(Date.parse(due) - 3600_000).toISOString();
      const oneDayLate = new Date(Date.parse(due) + 3600_000).toISOString();
      fs.writeFileSync(times, `Student,Submitted at\nada,${onTime}\nforger,${oneDayLate}\n`);
      const r = grader(gradeArgs(subs, ["--times", times]));
      expect(r.code, r.err).to.equal(0);
      expect(sub("ada")).to.include({ submitted_at: onTime, time_source: "times-file", penalty: 0, late_days: 0 });
      expect(sub("forger")).to.include({ submitted_at: oneDayLate, time_source: "times-file", late_days: 1, claimed_at: EARLY });
      expect(sub("forger").penalty).to.be.closeTo(0.1, 1e-12);
      expect(sub("lms-bo")).to.include({ time_source: "first-seen", late_days: 2 });
      // a later run without --times keeps the instructor's times
      expect(grader(gradeArgs(subs)).code).to.equal(0);
      expect(sub("ada")).to.include({ submitted_at: onTime, time_source: "times-file", penalty: 0 });
      const out = path.join(tmp, "export");
      const e = grader(["export", "csv", "-g", gbFile, "-c", courseFile, "-o", out, "--specs", FIXTURE_SPECS]);
      expect(e.code, e.err).to.equal(0);
      const rows = parseCsv(fs.readFileSync(path.join(out, "grades.csv"), "utf8"));
      expect(rows[0]).to.deep.equal(["Student", "Score", "Max", "Late days", "Submitted at", "Time source", "Status"]);
      expect(rows.find((x) => x[0] === "ada")).to.deep.equal(["ada", "3", "3", "0", onTime, "times-file", "graded"]);
      expect(rows.find((x) => x[0] === "forger")).to.deep.equal(["forger", "2.7", "3", "1", oneDayLate, "times-file", "graded"]);
      expect(rows.find((x) => x[0] === "lms-bo")?.slice(3)).to.deep.equal(["2", sub("lms-bo").submitted_at, "first-seen", "graded"]);
      // the feedback page shows the time used, where it came from, and the manifest's claim as shown only
      expect(grader(["export", "feedback", "-g", gbFile, "-c", courseFile, "-o", out, "--specs", FIXTURE_SPECS]).code).to.equal(0);
      const page = fs.readFileSync(path.join(out, "feedback", `${fileNameFor("forger")}.html`), "utf8");
      expect(page).to.include(`Submitted ${oneDayLate} (time from the course's submission records)`);
      expect(page).to.include(`Time in your submission's manifest: ${EARLY} (shown only; lateness uses the time above)`);
      expect(fs.readFileSync(path.join(out, "feedback", `${fileNameFor("lms-bo")}.html`), "utf8")).to.include("(when the grader first received it)");
      // the student's own time can be shown in a column, and is exported as it was claimed
      fs.writeFileSync(path.join(tmp, "course2.json"), JSON.stringify({ dueDate: due, csv: { columns: [{ header: "id", value: "student" }, { header: "Claimed", value: "claimedAt" }] } }));
      grader(["export", "csv", "-g", gbFile, "-c", path.join(tmp, "course2.json"), "-o", out, "--specs", FIXTURE_SPECS]);
      expect(parseCsv(fs.readFileSync(path.join(out, "grades.csv"), "utf8")).find((x) => x[0] === "forger")).to.deep.equal(["forger", EARLY]);
    });

    it("rejects a times file with an unknown id or an unparseable time, naming the line, before writing anything", () => {
      const fresh = path.join(tmp, "fresh.sqlite");
      const times = path.join(tmp, "bad-times.csv");
      fs.writeFileSync(times, "id,time\nada,2026-12-01T10:00:00Z\nnobody,2026-12-01T10:00:00Z\n");
      const r = grader(["grade", subs, "-g", fresh, "-c", courseFile, "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS, "--times", times]);
      expect(r.code).to.equal(1);
      expect(r.err).to.include(`times file ${times} line 3: unknown student id "nobody": no submission of that student in the folder`);
      expect(fs.existsSync(fresh)).to.equal(false);
      fs.writeFileSync(times, "id,time\nada,2026-12-01T10:00:00Z\nforger,soon\n");
      const r2 = grader(["grade", subs, "-g", fresh, "-c", courseFile, "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS, "--times", times]);
      expect(r2.code).to.equal(1);
      expect(r2.err).to.include(`times file ${times} line 3: cannot read the time "soon" of forger`);
      expect(fs.existsSync(fresh)).to.equal(false);
    });

    it("upgrades a gradebook written before trusted times without losing a row; its manifest time no longer counts", () => {
      const old = path.join(tmp, "old.sqlite");
      const folder = path.join(tmp, "old-subs");
      fs.mkdirSync(folder);
      const zip = path.join(folder, "ada.zip");
      makeZip(zip, "ada", { [TINY]: right }, EARLY);
      // as the grader wrote it before: the manifest's time used, and (below) the schema without claimed_at
      const gb = Gradebook.open(old, "0.1.0");
      gb.recordSubmission({
        student: "ada", source: zip, kind: "zip", contentHash: sha256(fs.readFileSync(zip)), submittedAt: EARLY, timeSource: "manifest",
        lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: "0.1.0", manifest: null,
      });
      gb.recordSubmission({
        student: "gone", source: "gone.zip", kind: "zip", contentHash: "x", submittedAt: EARLY, timeSource: "file",
        lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: null, manifest: null,
      });
      gb.close();
      // the schema before claimed_at (version 4)
      const raw = new Database(old);
      raw.exec("ALTER TABLE submissions DROP COLUMN claimed_at");
      raw.pragma("user_version = 4");
      const cols = (raw.prepare("PRAGMA table_info(submissions)").all() as { name: string }[]).map((c) => c.name);
      raw.close();
      expect(cols).not.to.include("claimed_at");
      const r = grader(["grade", folder, "-g", old, "-c", courseFile, "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS]);
      expect(r.code, r.err).to.equal(0);
      const db = new Database(old, { readonly: true });
      try {
        const rows = db.prepare("SELECT student_id, submitted_at, time_source, claimed_at, discovered_at, late_days FROM submissions ORDER BY id").all() as
          { student_id: string; submitted_at: string; time_source: string; claimed_at: string | null; discovered_at: string; late_days: number }[];
        expect(rows.map((x) => x.student_id)).to.deep.equal(["ada", "gone"]);
        expect(rows[0]).to.include({ time_source: "first-seen", submitted_at: rows[0].discovered_at, claimed_at: EARLY, late_days: 2 });
        expect(rows[1]).to.include({ submitted_at: EARLY, time_source: "file" }); // not in this batch: untouched
      } finally {
        db.close();
      }
      // running the upgrade again is harmless
      expect(grader(["grade", folder, "-g", old, "-c", courseFile, "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS]).code).to.equal(0);
    });
  });
});
