// `npm run bench -- ts-runner`: the order of its alternating runs and the medians it compares.
import { expect } from "chai";
import { alternatingOrder, median } from "../../../bench/ts-runner";

describe("bench ts-runner", () => {
  it("alternates which runner goes first, round after round", () => {
    expect(alternatingOrder(["a", "b"], 4)).to.deep.equal(["a", "b", "b", "a", "a", "b", "b", "a"]);
    expect(alternatingOrder(["a", "b"], 1)).to.deep.equal(["a", "b"]);
  });

  it("takes the median of odd and even counts without reordering its input", () => {
    const xs = [5, 1, 3];
    expect(median(xs)).to.equal(3);
    expect(xs).to.deep.equal([5, 1, 3]);
    expect(median([4, 1, 3, 10])).to.equal(3.5);
    expect(() => median([])).to.throw(/median of nothing/);
  });
});
