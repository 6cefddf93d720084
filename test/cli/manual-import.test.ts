/**
 * `export manual-import` (issue 15.8): points above the question's maximum, negative points,
 * unknown or autograded question ids and unknown students are each refused naming the line and
 * the reason, and a file with any such line imports nothing.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { loadSpecsFrom } from "../../grader/judge/assignment";
import { importManualCsv, writtenQuestions } from "../../grader/export/written";
import { Gradebook } from "../../grader/gradebook/gradebook";
import { loadSpecs } from "../../grader/judge/grade";
import { FIXTURE_SPECS, grader, tmpDir } from "./helpers";

const specs = loadSpecsFrom(FIXTURE_SPECS);

describe("export manual-import validation", () => {
  let dir: string;
  let gbFile: string;
  const manualCount = (): number => {
    const gb = Gradebook.open(gbFile, "test");
    try {
      return (gb.db.prepare("SELECT COUNT(*) AS n FROM manual").get() as { n: number }).n;
    } finally {
      gb.close();
    }
  };
  const csv = (name: string, text: string): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  beforeEach(() => {
    dir = tmpDir("manual-import");
    gbFile = path.join(dir, "gb.sqlite");
    const gb = Gradebook.open(gbFile, "test");
    for (const [student, hash] of [["alice", "1"], ["bob", "2"]]) {
      gb.recordSubmission({
        student, source: `${student}.zip`, kind: "zip", contentHash: hash, submittedAt: null, timeSource: null,
        lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: null, manifest: null,
      });
    }
    gb.close();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("knows each written question's maximum from the specs, shipped ones included", () => {
    expect([...writtenQuestions(specs)]).to.deep.equal([["why-answer", { notebook: "01_tiny.ipynb", max: 2 }]]);
    const shipped = writtenQuestions(loadSpecs());
    expect(shipped.get("written-answer")).to.deep.equal({ notebook: "02_mlp.ipynb", max: 5 });
    expect(shipped.get("bonus-report")).to.deep.equal({ notebook: "05_fashion_mnist.ipynb", max: 3 });
  });

  it("imports points from 0 up to the maximum", () => {
    const gb = Gradebook.open(gbFile, "test");
    try {
      const f = csv("ok.csv", "student,question,points,comment\nalice,why-answer,2,full\nbob,why-answer,0,none\n");
      expect(importManualCsv(gb, f, specs)).to.equal(2);
      expect(gb.manual("alice")).to.deep.equal([{ student_id: "alice", question_id: "why-answer", points: 2, comment: "full" }]);
      expect(gb.manual("bob")[0].points).to.equal(0);
    } finally {
      gb.close();
    }
  });

  const cases: [string, string, RegExp][] = [
    ["points above the maximum", "alice,why-answer,2.5,too generous", /line 3: points 2.5 are above the maximum of why-answer \(2\)/],
    ["negative points", "alice,why-answer,-1,minus", /line 3: points -1 are negative \(allowed: 0 to 2\)/],
    ["an unknown question id", "alice,why-answr,1,typo", /line 3: unknown question id "why-answr" \(written questions: why-answer\)/],
    ["an autograded question id", "alice,tiny-square,1,extra", /line 3: question "tiny-square" is autograded; manual points are for written questions \(why-answer\)/],
    ["an unknown student", "mallory,why-answer,1,who", /line 3: unknown student\(s\) not in the gradebook: mallory/],
    ["a repeated student and question", "bob,why-answer,1,again", /line 3: bob and why-answer were already given on line 2/],
    ["points that are not a number", "alice,why-answer,NaN,nan", /line 3: points must be a number, got "NaN"/],
  ];
  for (const [what, line, message] of cases) {
    it(`rejects ${what}, naming the line, and imports nothing from the file`, () => {
      const f = csv("bad.csv", `student,question,points,comment\nbob,why-answer,1.5,fine\n${line}\n`);
      const gb = Gradebook.open(gbFile, "test");
      try {
        expect(() => importManualCsv(gb, f, specs)).to.throw(message);
        expect(() => importManualCsv(gb, f, specs)).to.throw(/^nothing imported: 1 bad line\(s\):/);
      } finally {
        gb.close();
      }
      // the good line 2 was not imported either
      expect(manualCount()).to.equal(0);
    });
  }

  it("lists every bad line of a file at once, through the real command (exit 1, nothing imported)", () => {
    const f = csv("many.csv", "student,question,points\nalice,why-answer,7\nbob,why-answer,-0.5\nalice,nope,1\n");
    const r = grader(["export", "manual-import", f, "-g", gbFile, "--specs", FIXTURE_SPECS]);
    expect(r.code, r.out).to.equal(1);
    expect(r.err).to.include("nothing imported: 3 bad line(s)");
    expect(r.err).to.include(`${f} line 2: points 7 are above the maximum of why-answer (2)`);
    expect(r.err).to.include(`${f} line 3: points -0.5 are negative`);
    expect(r.err).to.include(`${f} line 4: unknown question id "nope"`);
    expect(manualCount()).to.equal(0);
    const ok = csv("fixed.csv", "student,question,points\nalice,why-answer,2\nbob,why-answer,0.5\n");
    const r2 = grader(["export", "manual-import", ok, "-g", gbFile, "--specs", FIXTURE_SPECS]);
    expect(r2.code, r2.err).to.equal(0);
    expect(r2.out).to.include("imported 2 manual grade(s)");
    expect(manualCount()).to.equal(2);
  });
});
