import { expect } from "chai";
import { Rng, defaultRng, rngFor, setSeed } from "../../../src/random";

describe("random", () => {
  it("reproduces the same sequence from the same seed", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).to.deep.equal(xs);
    expect(new Rng(43).next()).to.not.equal(xs[0]);
  });

  it("matches the published mulberry32 generator", () => {
    // The reference code as published (Tommy Ettinger's mulberry32), written out independently.
    const reference = (seed: number): (() => number) => {
      let a = seed;
      return () => {
        let t = (a += 0x6d2b79f5);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    };
    const r = new Rng(1);
    const ref = reference(1);
    for (let i = 0; i < 100; i++) expect(r.next()).to.equal(ref());
    expect(new Rng(1).next()).to.equal(0.6270739405881613);
  });

  it("draws uniform numbers in range with the right mean", () => {
    const r = new Rng(7);
    const xs = r.uniformArray(20000, -2, 4);
    expect(Math.min(...xs)).to.be.at.least(-2);
    expect(Math.max(...xs)).to.be.below(4);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(mean).to.be.closeTo(1, 0.05);
  });

  it("draws normal numbers with the given mean and standard deviation", () => {
    const xs = new Rng(3).normalArray(40000, 5, 2);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length);
    expect(mean).to.be.closeTo(5, 0.05);
    expect(sd).to.be.closeTo(2, 0.05);
  });

  it("draws integers in [lo, hi) covering every value", () => {
    const r = new Rng(9);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = r.int(3, 8);
      expect(Number.isInteger(v) && v >= 3 && v < 8).to.equal(true);
      seen.add(v);
    }
    expect([...seen].sort()).to.deep.equal([3, 4, 5, 6, 7]);
  });

  it("shuffles in place and gives permutations of 0..n-1", () => {
    const r = new Rng(5);
    const p = r.permutation(50);
    expect([...p].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    expect(p).to.not.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    const arr = ["a", "b", "c", "d"];
    const same = r.shuffle(arr);
    expect(same).to.equal(arr);
    expect([...arr].sort()).to.deep.equal(["a", "b", "c", "d"]);
  });

  it("setSeed resets the notebook-wide generator", () => {
    setSeed(11);
    const first = [defaultRng().next(), defaultRng().next()];
    setSeed(11);
    expect([rngFor().next(), rngFor().next()]).to.deep.equal(first);
    expect(rngFor(11).next()).to.equal(first[0]);
  });

  it("rejects bad arguments with clear errors", () => {
    expect(() => new Rng(NaN)).to.throw(/finite/);
    expect(() => new Rng(1).int(5, 5)).to.throw(/empty range/);
    expect(() => new Rng(1).int(0.5, 3)).to.throw(/integers/);
    expect(() => new Rng(1).normal(0, -1)).to.throw(/std/);
    expect(() => new Rng(1).permutation(-1)).to.throw(/non-negative/);
  });
});
