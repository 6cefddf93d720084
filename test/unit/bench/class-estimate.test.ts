// `npm run bench -- grading`: how a run's finish times split into a start-up and a steady rate.
import { expect } from "chai";
import { classEstimate } from "../../../bench/class-estimate";

describe("bench grading: classEstimate", () => {
  it("recovers the start-up and the rate of two workers that each take 6 s a submission after 10 s of start", () => {
    // both workers finish a submission every 6 s, starting after 10 s
    const doneAt = [16, 16, 22, 22, 28, 28, 34, 34];
    const c = classEstimate(doneAt, 2, 300);
    expect(c).to.not.equal(undefined);
    expect(c?.steadyPerMinute).to.be.closeTo(20, 1e-9);
    expect(c?.startupSeconds).to.be.closeTo(10, 1e-9);
    expect(c?.classMinutes).to.be.closeTo((10 + 300 * 3) / 60, 1e-9);
  });

  it("charges one worker's start to the first submission only", () => {
    const c = classEstimate([25, 30, 35, 40], 1, 10);
    expect(c?.steadyPerMinute).to.be.closeTo(12, 1e-9);
    expect(c?.startupSeconds).to.be.closeTo(20, 1e-9);
    expect(c?.classMinutes).to.be.closeTo((20 + 50) / 60, 1e-9);
  });

  it("says nothing when no submission finished after the first round", () => {
    expect(classEstimate([12, 13], 2, 300)).to.equal(undefined);
    expect(classEstimate([12], 2, 300)).to.equal(undefined);
    expect(classEstimate([], 1, 300)).to.equal(undefined);
    expect(classEstimate([12, 12, 12], 2, 300)).to.equal(undefined);
  });

  it("refuses finish times out of order and a worker count that is not a count", () => {
    expect(() => classEstimate([10, 8, 12], 1, 300)).to.throw(/ascending/);
    expect(() => classEstimate([10, 12], 0, 300)).to.throw(/workers/);
    expect(() => classEstimate([10, 12], 1.5, 300)).to.throw(/workers/);
  });
});
