/** What the commands share (grader/cli/options.ts): the numeric option parsers and the options naming another assignment. */
import { expect } from "chai";
import { Command, InvalidArgumentError } from "commander";
import { assignmentOptions, fraction, positiveWholeNumber, wholeNumber } from "../../../grader/cli/options";

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

  it("takes 1 and refuses 0 with the shared positive whole-number parser", () => {
    expect(positiveWholeNumber("1")).to.equal(1);
    expect(() => positiveWholeNumber("0")).to.throw(InvalidArgumentError, "must be a whole number >= 1");
  });

  it("gives a command --specs and --masters, with the masters described as the command says", () => {
    const parse = (cmd: Command, argv: string[]): Record<string, unknown> => cmd.exitOverride().parse(argv, { from: "user" }).opts();
    expect(parse(assignmentOptions(new Command("x")), ["--specs", "s", "--masters", "m"])).to.deep.equal({ specs: "s", masters: "m" });
    expect(parse(assignmentOptions(new Command("x")), [])).to.deep.equal({});
    const help = (cmd: Command): string => cmd.helpInformation();
    expect(help(assignmentOptions(new Command("x")))).to.match(/--specs <dir>\s+spec modules of another assignment \(default: grader\/specs\)/);
    expect(help(assignmentOptions(new Command("x")))).to.match(/--masters <dir>\s+its master notebooks \(default: notebooks\/\)/);
    expect(help(assignmentOptions(new Command("x"), "its master notebooks, for the zip"))).to.match(/--masters <dir>\s+its master notebooks, for the zip\n/);
  });
});
