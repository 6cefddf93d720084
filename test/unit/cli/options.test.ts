/** The commands' numeric option parsers (grader/cli/options.ts), shared by grade, bonus and similarity. */
import { expect } from "chai";
import { InvalidArgumentError } from "commander";
import { fraction, wholeNumber } from "../../../grader/cli/options";

describe("command option parsers", () => {
  it("reads whole numbers from the given least one up, and refuses the rest with commander's usage error", () => {
    expect(wholeNumber(1)("3")).to.equal(3);
    expect(wholeNumber(0)("0")).to.equal(0);
    expect(() => wholeNumber(1)("0")).to.throw(InvalidArgumentError, "must be a whole number >= 1");
    expect(() => wholeNumber(0)("-1")).to.throw(InvalidArgumentError, "must be a whole number >= 0");
    expect(() => wholeNumber(1)("2.5")).to.throw(InvalidArgumentError);
    expect(() => wholeNumber(1)("many")).to.throw(InvalidArgumentError);
  });

  it("reads a fraction from 0 to 1, both ends included", () => {
    expect(fraction("0")).to.equal(0);
    expect(fraction("0.25")).to.equal(0.25);
    expect(fraction("1")).to.equal(1);
    for (const bad of ["1.01", "-0.1", "half"]) expect(() => fraction(bad), bad).to.throw(InvalidArgumentError, "must be a number from 0 to 1");
  });
});
