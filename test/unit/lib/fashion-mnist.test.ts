import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gzipSync } from "zlib";
import * as tf from "@tensorflow/tfjs";
import { FASHION_CLASSES, fashionImage, fashionTensors, findFashionMnistDir, loadFashionMnist } from "../../../src/fashion-mnist";
import { readIdx, writeIdx } from "../../../src/idx";

/** Writes a tiny Fashion-MNIST look-alike: n images whose pixels are all (10 * i) % 256, labels i % 10. */
function writeTinyDataset(dir: string, nTrain: number, nTest: number): void {
  const write = (images: string, labels: string, n: number): void => {
    const pixels = new Uint8Array(n * 784);
    for (let i = 0; i < n; i++) pixels.fill((10 * i) % 256, i * 784, (i + 1) * 784);
    fs.writeFileSync(path.join(dir, images), gzipSync(writeIdx([n, 28, 28], pixels)));
    fs.writeFileSync(path.join(dir, labels), gzipSync(writeIdx([n], Array.from({ length: n }, (_, i) => i % 10))));
  };
  write("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", nTrain);
  write("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", nTest);
}

describe("idx reader", () => {
  it("reads a ubyte idx file, plain or gzipped", () => {
    const file = writeIdx([2, 3], [1, 2, 3, 4, 5, 255]);
    for (const bytes of [file, gzipSync(file)]) {
      const arr = readIdx(bytes, "tiny.idx");
      expect(arr.shape).to.deep.equal([2, 3]);
      expect(Array.from(arr.data)).to.deep.equal([1, 2, 3, 4, 5, 255]);
    }
  });

  it("reads big-endian multi-byte types", () => {
    const bytes = new Uint8Array([0, 0, 0x0c, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe]);
    const arr = readIdx(bytes, "ints.idx");
    expect(arr.data).to.be.instanceOf(Int32Array);
    expect(Array.from(arr.data)).to.deep.equal([256, -2]);
  });

  it("rejects a wrong magic number, naming the file and the fix", () => {
    const bytes = writeIdx([1], [0]);
    bytes[0] = 0x50; // e.g. a "PK" zip or an HTML error page saved instead of the file
    expect(() => readIdx(bytes, "labels.gz")).to.throw(/labels\.gz: not an idx file: wrong magic number 0x50000801 .*download the file again/);
    expect(() => readIdx(new Uint8Array([0, 0, 0x07, 1, 0, 0, 0, 0]), "x.idx")).to.throw(/x\.idx: not an idx file/);
  });

  it("rejects a truncated file, naming the file and the sizes", () => {
    const full = writeIdx([4, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => readIdx(full.subarray(0, full.length - 3), "img.idx")).to.throw(/img\.idx: truncated: shape \[4, 2\] needs 20 bytes, the file has 17; download the file again/);
    expect(() => readIdx(full.subarray(0, 6), "img.idx")).to.throw(/img\.idx: truncated: the header needs 12 bytes/);
    expect(() => readIdx(new Uint8Array([0, 0]), "img.idx")).to.throw(/img\.idx: truncated: only 2 bytes/);
  });

  it("rejects damaged gzip data", () => {
    const gz = gzipSync(writeIdx([100], new Array<number>(100).fill(7)));
    expect(() => readIdx(gz.subarray(0, 20), "cut.gz")).to.throw(/cut\.gz: the gzip data is damaged/);
  });
});

describe("fashion-mnist loader", () => {
  let dir: string;
  const savedEnv = process.env.FASHION_MNIST_DIR;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-fmnist-"));
    writeTinyDataset(dir, 30, 12);
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (savedEnv === undefined) delete process.env.FASHION_MNIST_DIR;
    else process.env.FASHION_MNIST_DIR = savedEnv;
  });

  it("loads, scales to [0, 1] and keeps labels", () => {
    const d = loadFashionMnist({ dir });
    expect(d.count).to.equal(30);
    expect(d.shape).to.deep.equal([30, 784]);
    expect(d.images.length).to.equal(30 * 784);
    expect(fashionImage(d, 3)[500]).to.be.closeTo(30 / 255, 1e-7);
    expect(Array.from(d.labels.slice(0, 12))).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(d.classNames[9]).to.equal("Ankle boot");
  });

  it("takes a subset with offset and limit, unscaled and in image layout", () => {
    const d = loadFashionMnist({ dir, split: "test", offset: 5, limit: 4, scale: false, layout: "image" });
    expect(d.count).to.equal(4);
    expect(d.shape).to.deep.equal([4, 28, 28, 1]);
    expect(d.images[0]).to.equal(50);
    expect(Array.from(d.labels)).to.deep.equal([5, 6, 7, 8]);
    expect(loadFashionMnist({ dir, split: "test", offset: 10, limit: 100 }).count).to.equal(2);
  });

  it("gives tensors: x in the layout, one-hot y", () => {
    const t = fashionTensors(loadFashionMnist({ dir, limit: 3, layout: "image" }));
    expect(t.x.shape).to.deep.equal([3, 28, 28, 1]);
    expect(t.y.shape).to.deep.equal([3, 10]);
    expect(Array.from(t.y.argMax(1).dataSync())).to.deep.equal([0, 1, 2]);
    tf.dispose([t.x, t.y, t.labels]);
  });

  it("finds the folder through FASHION_MNIST_DIR and explains what is missing", () => {
    process.env.FASHION_MNIST_DIR = dir;
    expect(findFashionMnistDir()).to.equal(path.resolve(dir));
    expect(loadFashionMnist({ limit: 2 }).count).to.equal(2);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-empty-"));
    try {
      process.env.FASHION_MNIST_DIR = empty;
      expect(() => findFashionMnistDir()).to.throw(/FASHION_MNIST_DIR=.*lacks train-images-idx3-ubyte\.gz, train-labels-idx1-ubyte\.gz/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
      delete process.env.FASHION_MNIST_DIR;
    }
  });

  it("names the missing file and the fix", () => {
    const partial = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-partial-"));
    try {
      writeTinyDataset(partial, 2, 2);
      fs.unlinkSync(path.join(partial, "t10k-labels-idx1-ubyte.gz"));
      expect(() => loadFashionMnist({ dir: partial, split: "test" })).to.throw(/t10k-labels-idx1-ubyte\.gz not found: put the Fashion-MNIST file .* or set FASHION_MNIST_DIR/);
    } finally {
      fs.rmSync(partial, { recursive: true, force: true });
    }
  });

  it("names a corrupt file (wrong magic, truncated) in the error", () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-bad-"));
    try {
      writeTinyDataset(bad, 3, 3);
      const labels = path.join(bad, "train-labels-idx1-ubyte.gz");
      fs.writeFileSync(labels, "<html>404 Not Found</html>");
      expect(() => loadFashionMnist({ dir: bad })).to.throw(/train-labels-idx1-ubyte\.gz: not an idx file: wrong magic number/);
      const images = path.join(bad, "t10k-images-idx3-ubyte.gz");
      fs.writeFileSync(images, gzipSync(writeIdx([3, 28, 28], new Uint8Array(3 * 784)).subarray(0, 1000)));
      expect(() => loadFashionMnist({ dir: bad, split: "test" })).to.throw(/t10k-images-idx3-ubyte\.gz: truncated: shape \[3, 28, 28\] needs 2368 bytes, the file has 1000/);
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });

  it("rejects bad options", () => {
    expect(() => loadFashionMnist({ dir, split: "validation" as "train" })).to.throw(/split must be "train" or "test"/);
    expect(() => loadFashionMnist({ dir, layout: "nhwc" as "flat" })).to.throw(/layout must be "flat" or "image"/);
    expect(() => loadFashionMnist({ dir, limit: -1 })).to.throw(/limit must be a non-negative integer/);
  });

  it("reads the real dataset when it is installed: 60,000 + 10,000 images in 10 balanced classes", function () {
    const real = "/usr/share/datasets/fashion-mnist";
    const d = loadFashionMnist({ dir: real, split: "test" });
    expect(d.count).to.equal(10000);
    const counts = new Array<number>(10).fill(0);
    for (const l of d.labels) counts[l]++;
    expect(counts).to.deep.equal(new Array<number>(10).fill(1000));
    expect(Math.max(...d.images.subarray(0, 784))).to.be.at.most(1);
    expect(FASHION_CLASSES).to.have.length(10);
  });
});
