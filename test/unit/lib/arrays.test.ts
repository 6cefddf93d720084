import { expect } from "chai";
import { arange, flatten, linspace, reshape, shapeOf, zeros } from "../../../src/arrays";

describe("arrays", () => {
  it("linspace includes both ends and spaces evenly", () => {
    expect(linspace(0, 1, 5)).to.deep.equal([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(2, 2, 1)).to.deep.equal([2]);
    expect(linspace(0, 1, 0)).to.deep.equal([]);
    expect(linspace(-1, 1, 3)[2]).to.equal(1);
    expect(() => linspace(0, 1, 2.5)).to.throw(/num/);
  });

  it("arange counts from 0", () => {
    expect(arange(4)).to.deep.equal([0, 1, 2, 3]);
    expect(() => arange(-1)).to.throw(/non-negative/);
  });

  it("reshape and flatten are inverse, row-major", () => {
    const m = reshape([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(m).to.deep.equal([[1, 2, 3], [4, 5, 6]]);
    expect(flatten(m)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(reshape(Float64Array.from([1, 2, 3, 4]), [2, 1, 2])).to.deep.equal([[[1, 2]], [[3, 4]]]);
    expect(() => reshape([1, 2, 3], [2, 2])).to.throw(/cannot reshape 3 values into shape \[2,2\]/);
  });

  it("shapeOf reports shapes and rejects ragged arrays", () => {
    expect(shapeOf([[1, 2, 3], [4, 5, 6]])).to.deep.equal([2, 3]);
    expect(shapeOf(5)).to.deep.equal([]);
    expect(shapeOf([])).to.deep.equal([0]);
    expect(() => shapeOf([[1, 2], [3]])).to.throw(/ragged/);
  });

  it("zeros builds nested zeros", () => {
    expect(zeros([2, 2])).to.deep.equal([[0, 0], [0, 0]]);
  });
});
