import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_COURSE, loadCourseConfig, parseCourseConfig } from "../../../grader/core/course";
import { applyPenalty, lateness } from "../../../grader/submit/late";

describe("course config and late policy", () => {
  const course = parseCourseConfig({
    assignment: "nn-2026",
    dueDate: "2026-12-15T23:59:00+01:00",
    late: { graceMinutes: 10, penaltyPerDay: 0.2, maxDaysLate: 3 },
  });

  it("fills in defaults and keeps given fields", () => {
    expect(course.assignment).to.equal("nn-2026");
    expect(course.late).to.deep.equal({ graceMinutes: 10, penaltyPerDay: 0.2, maxDaysLate: 3 });
    expect(course.csv.columns).to.deep.equal(DEFAULT_COURSE.csv.columns);
  });

  it("rejects bad fields with a message naming them", () => {
    expect(() => parseCourseConfig({ dueDate: "2026-12-15" })).to.throw(/dueDate must be an ISO 8601 date with a time zone/);
    expect(() => parseCourseConfig({ late: { penaltyPerDay: -1 } })).to.throw(/late.penaltyPerDay must be a number >= 0/);
    expect(() => parseCourseConfig({ late: { penaltyPerDay: 2 } })).to.throw(/fraction and must be <= 1/);
    expect(() => parseCourseConfig({ assignment: "a b" })).to.throw(/assignment must be a name/);
    expect(() => parseCourseConfig({ csv: { columns: [{ header: "x" }] } })).to.throw(/csv.columns\[0\]/);
    expect(() => parseCourseConfig([])).to.throw(/must hold a JSON object/);
  });

  it("reads course.json from disk and reports invalid JSON", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "course-"));
    try {
      const file = path.join(dir, "course.json");
      expect(loadCourseConfig(file).assignment).to.equal(DEFAULT_COURSE.assignment);
      fs.writeFileSync(file, "{ not json");
      expect(() => loadCourseConfig(file)).to.throw(/course.json: is not valid JSON/);
      fs.writeFileSync(file, JSON.stringify({ assignment: "x1" }));
      expect(loadCourseConfig(file).assignment).to.equal("x1");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is on time before the due date and within the grace period", () => {
    expect(lateness("2026-12-15T22:00:00Z", course)).to.deep.equal({ lateMinutes: 0, lateDays: 0, penalty: 0 });
    // due 22:59 UTC; 10 minutes of grace
    expect(lateness("2026-12-15T23:08:00Z", course).penalty).to.equal(0);
  });

  it("counts started days late and caps at maxDaysLate", () => {
    const oneDay = lateness("2026-12-15T23:30:00Z", course);
    expect(oneDay).to.deep.equal({ lateMinutes: 31, lateDays: 1, penalty: 0.2 });
    expect(lateness("2026-12-17T12:00:00Z", course)).to.include({ lateDays: 2, penalty: 0.4 });
    expect(lateness("2026-12-19T12:00:00Z", course)).to.include({ lateDays: 4, penalty: 1 });
  });

  it("ignores lateness without a due date or time, and rejects a bad time", () => {
    expect(lateness("2030-01-01T00:00:00Z", DEFAULT_COURSE).penalty).to.equal(0);
    expect(lateness(null, course).penalty).to.equal(0);
    expect(() => lateness("yesterday", course)).to.throw(/not a date/);
  });

  it("applies a penalty to a score", () => {
    expect(applyPenalty(7.5, 0.2)).to.equal(6);
    expect(applyPenalty(3, 1)).to.equal(0);
  });
});
