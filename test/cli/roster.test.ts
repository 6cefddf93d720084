/**
 * The class roster (issue 16.3): `grade --roster FILE` with a CSV as LMS exports give it, then
 * `export`: every student on the roster has a row (non-submitters 0 and "missing"), and
 * submissions from ids not on it are flagged. Ids of any length and with any characters
 * export to distinct, short feedback files (23.4: a 300-character id made `export` fail).
 */
import Database from "better-sqlite3";
import { expect } from "chai";
import { parse } from "csv-parse/sync";
import * as fs from "fs";
import * as path from "path";
import { Gradebook } from "../../grader/gradebook/gradebook";
import { parseRoster } from "../../grader/gradebook/roster";
import { fileNameFor } from "../../grader/core/student-id";
import { FIXTURE_MASTERS, FIXTURE_SPECS, grader, makeZip, TINY, tmpDir } from "./helpers";

const master = fs.readFileSync(path.join(FIXTURE_MASTERS, TINY), "utf8");
const BOM = "\ufeff";

describe("roster CSV", () => {
  it("reads an LMS export: BOM, header, quoted fields, commas and quotes in names, CRLF", () => {
    const text = `${BOM}"Student ID","Name","Email"\r\nalice,"Liddell, Alice",alice@example.org\r\n"Mu\u0308ller","Müller, Anna ""Anni""",anna@example.org\r\n\r\nbob,Bob,\r\n`;
    expect(parseRoster(text)).to.deep.equal([
      { id: "alice", name: "Liddell, Alice", email: "alice@example.org" },
      { id: "M\u00fcller", name: "Müller, Anna \"Anni\"", email: "anna@example.org" },
      { id: "bob", name: "Bob", email: "" },
    ]);
  });

  it("finds the id column of Canvas and Moodle exports by its header", () => {
    const canvas = `Student,ID,SIS User ID,SIS Login ID,Section\n"Liddell, Alice",1234,,alice,Sec 1\n`;
    expect(parseRoster(canvas)).to.deep.equal([{ id: "1234", name: "Liddell, Alice", email: "" }]);
    const moodle = `First name,Last name,ID number,Username,Email address\nAlice,Liddell,,alice,alice@example.org\n`;
    expect(parseRoster(moodle)).to.deep.equal([{ id: "alice", name: "Alice Liddell", email: "alice@example.org" }]);
  });

  it("names the line of a missing or repeated id, and a header without an id column", () => {
    expect(() => parseRoster("id,name\nalice,A\n,B\n", "r.csv")).to.throw("r.csv line 3: no student id");
    expect(() => parseRoster("id,name\nalice,A\nbob,B\nalice,C\n", "r.csv")).to.throw('r.csv line 4: student id "alice" is already on line 2');
    expect(() => parseRoster("name,email\nA,a@x\n", "r.csv")).to.throw(/r.csv: no id column in the header/);
    expect(() => parseRoster('id,name\n"alice,A\n', "r.csv")).to.throw(/r.csv: not a readable CSV/);
  });
});

describe("roster table: a gradebook written before it", () => {
  it("is upgraded on open without losing a row, and opening twice changes nothing", () => {
    const dir = tmpDir("roster-migrate");
    try {
      const file = path.join(dir, "gb.sqlite");
      const gb = Gradebook.open(file, "1.0.0");
      const { id } = gb.recordSubmission({
        student: "alice", source: "a.zip", kind: "zip", contentHash: "1", submittedAt: null, timeSource: null,
        lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: null, manifest: null,
      });
      gb.recordDirect(id, TINY, { status: "missing", reason: "r", score: 0, maxScore: 3, questions: [], log: "", seconds: 0, masterHash: "m" });
      gb.close();
      // as a gradebook from before the roster existed
      const raw = new Database(file);
      raw.exec("DROP TABLE roster");
      raw.pragma("user_version = 2");
      raw.close();
      for (let i = 0; i < 2; i++) {
        const again = Gradebook.open(file, "1.0.0");
        expect(again.students()).to.deep.equal(["alice"]);
        expect(again.currentRuns("alice")).to.have.length(1);
        if (i === 0) {
          expect(again.roster()).to.deep.equal([]);
          again.setRoster([{ id: "alice", name: "A", email: "" }]);
        } else expect(again.roster()).to.deep.equal([{ id: "alice", name: "A", email: "" }]);
        again.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("grade --roster, then export (real commands)", function () {
  this.timeout(900_000);
  let tmp: string;
  let subs: string;
  let gbFile: string;
  let course: string;
  const long = `student-${"x".repeat(292)}`; // 300 characters: no file system takes it as a name
  const common = (): string[] => ["-g", gbFile, "-c", course, "--specs", FIXTURE_SPECS];

  before(() => {
    tmp = tmpDir("roster");
    subs = path.join(tmp, "subs");
    gbFile = path.join(tmp, "gradebook.sqlite");
    course = path.join(tmp, "course.json");
    fs.mkdirSync(subs);
    fs.writeFileSync(course, JSON.stringify({ assignment: "tiny" }));
    makeZip(path.join(subs, "alice.zip"), "alice", { [TINY]: master });
    makeZip(path.join(subs, "Müller.zip"), "Müller", { [TINY]: master });
    makeZip(path.join(subs, "zed.zip"), "zed", { [TINY]: master });
    // the roster writes Müller decomposed (as some exports do): the same student
    fs.writeFileSync(path.join(tmp, "roster.csv"), `${BOM}"ID","Full name","Email address"\r\n` +
      `alice,"Liddell, Alice",alice@example.org\r\n"Mu\u0308ller","Müller, Anna",anna@example.org\r\n` +
      `"a/b","Slash, A",\r\n"a_b","Underscore, A",\r\n"${long}","Long, Name",long@example.org\r\n`);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("refuses a bad roster before grading anything, naming the line", () => {
    fs.writeFileSync(path.join(tmp, "bad.csv"), "id,name\nalice,A\nalice,B\n");
    const r = grader(["grade", subs, ...common(), "--masters", FIXTURE_MASTERS, "--roster", path.join(tmp, "bad.csv")]);
    expect(r.code).to.equal(1);
    expect(r.err).to.include('line 3: student id "alice" is already on line 2');
    expect(fs.existsSync(gbFile)).to.equal(false);
  });

  it("lists every roster student in the grades CSV and flags ids not on it", () => {
    const g = grader(["grade", subs, ...common(), "--masters", FIXTURE_MASTERS, "--workers", "2", "--roster", path.join(tmp, "roster.csv")]);
    expect(g.code, g.err).to.equal(0);
    expect(g.err).to.include("roster: 3 student(s) without a submission");
    expect(g.err).to.include('roster: 1 submission(s) from ids not on the roster: "zed"');
    const out = path.join(tmp, "export");
    const e = grader(["export", "all", ...common(), "-o", out]);
    expect(e.code, e.err).to.equal(0);
    const rows = parse(fs.readFileSync(path.join(out, "grades.csv"), "utf8"), { columns: true }) as Record<string, string>[];
    const by = new Map(rows.map((r) => [r.Student, r]));
    expect([...by.keys()].sort()).to.deep.equal(["a/b", "a_b", "alice", "Müller", long, "zed"].sort());
    expect(by.get("alice")).to.include({ Score: "3", Status: "graded", "On roster": "yes" });
    expect(by.get("Müller")).to.include({ Score: "3", Status: "graded", "On roster": "yes" });
    expect(by.get("zed")).to.include({ Score: "3", Status: "graded", "On roster": "NOT ON ROSTER" });
    for (const missing of ["a/b", "a_b", long]) expect(by.get(missing)).to.include({ Score: "0", Status: "missing", "On roster": "yes" });
    // two different students never share a row or a page; a 300-character id exports fine
    const pages = fs.readdirSync(path.join(out, "feedback")).sort();
    expect(pages).to.deep.equal(["a/b", "a_b", "alice", "Müller", long, "zed"].map((s) => `${fileNameFor(s)}.html`).sort());
    expect(fs.readFileSync(path.join(out, "feedback", `${fileNameFor(long)}.html`), "utf8")).to.include(long);
  });

  it("keeps the roster for later exports, and a new --roster replaces it", () => {
    fs.writeFileSync(path.join(tmp, "roster2.csv"), "id,name,email\nalice,A,\nzed,Z,\n");
    const g = grader(["grade", subs, ...common(), "--masters", FIXTURE_MASTERS, "--roster", path.join(tmp, "roster2.csv")]);
    expect(g.code, g.err).to.equal(0);
    const out = path.join(tmp, "export2");
    expect(grader(["export", "csv", ...common(), "-o", out]).code).to.equal(0);
    const rows = parse(fs.readFileSync(path.join(out, "grades.csv"), "utf8"), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.Student, r["On roster"]])).to.deep.equal([["alice", "yes"], ["Müller", "NOT ON ROSTER"], ["zed", "yes"]]);
  });
});
