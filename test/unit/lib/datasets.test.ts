import { expect } from "chai";
import * as tf from "@tensorflow/tfjs";
import { Dataset, datasetTensors, makeBlobs, makeCircles, makeDataset, makeMoons, makeRandom, makeSpiral, oneHot } from "../../../src/datasets";
import { setSeed } from "../../../src/random";

function counts(ds: Dataset): number[] {
  const c = new Array<number>(ds.classes).fill(0);
  for (const v of ds.y) c[v]++;
  return c;
}

function byClass(ds: Dataset, k: number): number[][] {
  return ds.x.filter((_, i) => ds.y[i] === k);
}

describe("datasets", () => {
  it("makeCircles without noise: n/2 points on the unit circle (label 0), the rest at radius factor", () => {
    const ds = makeCircles({ nSamples: 101, noise: 0, factor: 0.3, seed: 1 });
    expect(ds.x.length).to.equal(101);
    expect(ds.y).to.be.instanceOf(Int32Array);
    expect(counts(ds)).to.deep.equal([50, 51]);
    for (const [x, y] of byClass(ds, 0)) expect(Math.hypot(x, y)).to.be.closeTo(1, 1e-12);
    for (const [x, y] of byClass(ds, 1)) expect(Math.hypot(x, y)).to.be.closeTo(0.3, 1e-12);
    // Evenly spaced angles without the endpoint: the outer angles are 2*pi*i/50.
    const angles = byClass(ds, 0).map(([x, y]) => (Math.atan2(y, x) + 2 * Math.PI) % (2 * Math.PI)).sort((a, b) => a - b);
    expect(angles[0]).to.be.closeTo(0, 1e-12);
    expect(angles[1]).to.be.closeTo((2 * Math.PI) / 50, 1e-12);
  });

  it("makeCircles noise is Gaussian with the given standard deviation", () => {
    const ds = makeCircles({ nSamples: 4000, noise: 0.05, factor: 0.5, seed: 2 });
    const radial = byClass(ds, 0).map(([x, y]) => Math.hypot(x, y) - 1);
    const mean = radial.reduce((s, v) => s + v, 0) / radial.length;
    const sd = Math.sqrt(radial.reduce((s, v) => s + (v - mean) ** 2, 0) / radial.length);
    expect(mean).to.be.closeTo(0, 0.01);
    expect(sd).to.be.closeTo(0.05, 0.005);
  });

  it("makeMoons without noise follows scikit-learn's two half circles", () => {
    const ds = makeMoons({ nSamples: 200, noise: 0, seed: 3 });
    expect(counts(ds)).to.deep.equal([100, 100]);
    for (const [x, y] of byClass(ds, 0)) {
      expect(Math.hypot(x, y)).to.be.closeTo(1, 1e-12);
      expect(y).to.be.at.least(-1e-12);
    }
    for (const [x, y] of byClass(ds, 1)) {
      expect(Math.hypot(x - 1, y - 0.5)).to.be.closeTo(1, 1e-12);
      expect(y).to.be.at.most(0.5 + 1e-12);
    }
    const xs = ds.x.map((p) => p[0]);
    expect(Math.min(...xs)).to.be.closeTo(-1, 1e-12);
    expect(Math.max(...xs)).to.be.closeTo(2, 1e-12);
  });

  it("makeBlobs splits points evenly over the given centres with the given spread", () => {
    const centers = [[-5, 0], [5, 5], [0, -6]];
    const ds = makeBlobs({ nSamples: 3001, centers, clusterStd: 0.5, seed: 4 });
    expect(ds.classes).to.equal(3);
    expect(counts(ds)).to.deep.equal([1001, 1000, 1000]);
    centers.forEach((c, k) => {
      const pts = byClass(ds, k);
      const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
      const my = pts.reduce((s, p) => s + p[1], 0) / pts.length;
      expect(mx).to.be.closeTo(c[0], 0.06);
      expect(my).to.be.closeTo(c[1], 0.06);
      const sd = Math.sqrt(pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0) / pts.length);
      expect(sd).to.be.closeTo(0.5, 0.04);
    });
  });

  it("makeBlobs draws random centres inside the centre box", () => {
    const ds = makeBlobs({ nSamples: 400, centers: 4, clusterStd: 0.01, centerBox: [-3, 3], seed: 5 });
    expect(ds.classes).to.equal(4);
    for (const [x, y] of ds.x) {
      expect(Math.abs(x)).to.be.below(3.1);
      expect(Math.abs(y)).to.be.below(3.1);
    }
    expect(() => makeBlobs({ centers: [[0, 0]], clusterStd: [1, 2] })).to.throw(/clusterStd has 2 entries for 1 centers/);
    // scikit-learn's make_blobs has no noise: its spread is cluster_std. Ignoring noise silently would mislead.
    expect(() => makeDataset("blobs", { noise: 0.3, seed: 1 })).to.throw(/blobs take no noise option \(got noise: 0\.3\).*pass \{ clusterStd: 0\.3 \}/);
    expect(() => makeBlobs({ noise: 0 } as unknown as Parameters<typeof makeBlobs>[0])).to.throw(/no noise option/);
  });

  it("makeSpiral gives two arms that are each other rotated by pi", () => {
    const ds = makeSpiral({ nSamples: 100, noise: 0, shuffle: false, seed: 6 });
    expect(counts(ds)).to.deep.equal([50, 50]);
    for (let i = 0; i < 50; i++) {
      expect(ds.x[50 + i][0]).to.be.closeTo(-ds.x[i][0], 1e-12);
      expect(ds.x[50 + i][1]).to.be.closeTo(-ds.x[i][1], 1e-12);
    }
    const radii = ds.x.slice(0, 50).map(([x, y]) => Math.hypot(x, y));
    expect(Math.max(...radii)).to.be.closeTo(1, 1e-12);
    // The radius grows along the arm: a spiral, not a circle.
    for (let i = 1; i < 50; i++) expect(radii[i]).to.be.greaterThan(radii[i - 1]);
  });

  it("makeRandom gives uniform points in [-1, 1]^2 with both labels", () => {
    const ds = makeRandom({ nSamples: 1000, seed: 7 });
    for (const [x, y] of ds.x) expect(Math.max(Math.abs(x), Math.abs(y))).to.be.at.most(1);
    const c = counts(ds);
    expect(c[0] + c[1]).to.equal(1000);
    expect(c[0]).to.be.within(400, 600);
  });

  it("makeRandom refuses a noise option instead of ignoring it", () => {
    expect(() => makeRandom({ noise: 0.2, seed: 1 })).to.throw(/makeRandom: random points take no noise option \(got noise: 0\.2\)/);
    expect(() => makeDataset("random", { noise: 0 })).to.throw(/take no noise option \(got noise: 0\)/);
    expect(makeDataset("random", { seed: 1 }).x).to.have.length(200);
  });

  it("is reproducible by seed, and by setSeed when no seed is given", () => {
    expect(makeMoons({ seed: 9 })).to.deep.equal(makeMoons({ seed: 9 }));
    expect(makeMoons({ seed: 9 }).x).to.not.deep.equal(makeMoons({ seed: 10 }).x);
    setSeed(123);
    const a = makeCircles();
    setSeed(123);
    expect(makeCircles()).to.deep.equal(a);
  });

  it("makeDataset picks by name and rejects unknown names", () => {
    expect(makeDataset("circles", { seed: 1 }).name).to.equal("circles");
    expect(makeDataset("blobs", { seed: 1, centers: 3 }).classes).to.equal(3);
    expect(() => makeDataset("spirall")).to.throw(/unknown data set "spirall"; choose one of moons, circles, blobs, spiral, random/);
    expect(() => makeDataset("toString")).to.throw(/unknown data set/);
  });

  it("rejects bad options", () => {
    expect(() => makeMoons({ nSamples: 0 })).to.throw(/nSamples must be a positive integer/);
    expect(() => makeCircles({ factor: 1 })).to.throw(/factor must be in \[0, 1\)/);
    expect(() => makeCircles({ noise: -1 })).to.throw(/noise must be >= 0/);
  });

  it("oneHot encodes labels and rejects out-of-range ones", () => {
    expect(oneHot(Int32Array.from([0, 2, 1]), 3)).to.deep.equal([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    expect(() => oneHot([0, 3], 3)).to.throw(/label 3 at index 1 is not in 0..2/);
  });

  it("datasetTensors gives x, one-hot y and int labels", () => {
    const ds = makeMoons({ nSamples: 10, seed: 1 });
    const t = datasetTensors(ds);
    expect(t.x.shape).to.deep.equal([10, 2]);
    expect(t.y.shape).to.deep.equal([10, 2]);
    expect(t.labels.dtype).to.equal("int32");
    expect(Array.from(t.labels.dataSync())).to.deep.equal(Array.from(ds.y));
    expect(Array.from(t.y.argMax(1).dataSync())).to.deep.equal(Array.from(ds.y));
    tf.dispose([t.x, t.y, t.labels]);
  });
});
