import { expect } from "chai";
import * as tf from "@tensorflow/tfjs";
import { clearRecordedDisplays, recordedDisplays } from "../../../src/display";
import { ProgressState, etaSeconds, formatDuration, liveProgress, progressHtml, progressLine } from "../../../src/progress";

type Hook = (...args: unknown[]) => unknown;

/** Calls a callback the way tfjs's CustomCallback does: as a method of an object carrying `params`. */
function call(cb: object, name: string, params: object, ...args: unknown[]): void {
  const fn = (cb as Record<string, Hook>)[name];
  fn.call({ params }, ...args);
}

describe("progress", () => {
  beforeEach(() => clearRecordedDisplays());

  it("prints one plain line per epoch outside Jupyter, with loss, accuracy, validation and ETA", () => {
    let t = 0;
    const lines: string[] = [];
    const cb = liveProgress({ print: (l) => lines.push(l), now: () => t, mode: "text" });
    const params = { epochs: 2, samples: 100, batchSize: 50 };
    call(cb, "onTrainBegin", params, {});
    for (let e = 0; e < 2; e++) {
      call(cb, "onEpochBegin", params, e, {});
      for (let b = 0; b < 2; b++) {
        t += 1000;
        call(cb, "onBatchEnd", params, b, { loss: 1 - e * 0.5, acc: 0.5 + e * 0.2 });
      }
      call(cb, "onEpochEnd", params, e, { loss: 1 - e * 0.5, acc: 0.5 + e * 0.2, val_loss: 1.1 - e * 0.5, val_acc: 0.45 + e * 0.2 });
    }
    call(cb, "onTrainEnd", params, {});
    expect(lines).to.deep.equal([
      "epoch 1/2  loss 1.0000  acc 0.5000  val_loss 1.1000  val_acc 0.4500  2s  ETA 2s",
      "epoch 2/2  loss 0.5000  acc 0.7000  val_loss 0.6000  val_acc 0.6500  4s  ETA 0s",
    ]);
    expect(recordedDisplays()).to.have.length(0);
  });

  it("in HTML mode shows one output, updated in place, throttled during epochs", () => {
    let t = 0;
    const cb = liveProgress({ mode: "html", now: () => t, throttleMs: 250 });
    const params = { epochs: 3, samples: 1000, batchSize: 100 };
    call(cb, "onTrainBegin", params, {});
    for (let e = 0; e < 3; e++) {
      call(cb, "onEpochBegin", params, e, {});
      for (let b = 0; b < 10; b++) {
        t += 100; // 10 batches per second: at most every third one redraws
        call(cb, "onBatchEnd", params, b, { loss: 2 / (e + 1), acc: 0.3 * (e + 1) });
      }
      call(cb, "onEpochEnd", params, e, { loss: 2 / (e + 1), acc: 0.3 * (e + 1), val_loss: 2.2 / (e + 1), val_acc: 0.28 * (e + 1) });
    }
    call(cb, "onTrainEnd", params, {});
    const shown = recordedDisplays();
    const ids = new Set(shown.map((d) => d.displayId));
    expect(ids.size).to.equal(1);
    expect(shown[0].update).to.equal(false);
    expect(shown.slice(1).every((d) => d.update)).to.equal(true);
    // 1 at start + 3 epoch ends + 1 train end + throttled batch redraws (at most 1 per 250 ms of 3 s).
    expect(shown.length).to.be.within(8, 17);
    const last = shown[shown.length - 1].bundle;
    expect(last["text/html"]).to.match(/^<div class="nnkit-progress"/);
    expect(last["text/html"]).to.contain("width:100%\"");
    expect(last["text/html"]).to.contain("(done)");
    expect((last["text/html"].match(/<svg/g) ?? []).length).to.equal(2);
    expect(last["text/html"]).to.contain("validation</text>");
    expect(last["text/plain"]).to.equal("epoch 3/3  loss 0.6667  acc 0.9000  val_loss 0.7333  val_acc 0.8400  3s");
  });

  it("computes progress and ETA from batches done", () => {
    const st: ProgressState = {
      title: "t", epochs: 4, batchesPerEpoch: 10, epoch: 1, batch: 5,
      running: { loss: 0.5, acc: null }, history: [{ loss: 0.9 }], startedAt: 0, now: 15000, done: false,
    };
    // 1.5 of 4 epochs in 15 s: 25 s left.
    expect(etaSeconds(st)).to.be.closeTo(25, 1e-9);
    expect(progressLine(st)).to.equal("epoch 2/4  batch 5/10  loss 0.5000  15s  ETA 25s");
    expect(progressHtml(st)).to.contain("width:37.5%");
    expect(formatDuration(125)).to.equal("2m05s");
    expect(formatDuration(3720)).to.equal("1h02m");
  });

  it("works as model.fit callbacks, reading epochs and batches from fit", async () => {
    const lines: string[] = [];
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], activation: "softmax" })] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const x = tf.randomNormal([40, 2], 0, 1, "float32", 1);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 40 }, (_, i) => i % 2), "int32"), 2);
    const cb = liveProgress({ mode: "text", print: (l) => lines.push(l) });
    const history = await model.fit(x, y, { epochs: 3, batchSize: 8, validationSplit: 0.25, callbacks: cb, verbose: 0 });
    expect(lines).to.have.length(3);
    lines.forEach((l, i) => {
      expect(l).to.match(new RegExp(`^epoch ${i + 1}/3  loss \\d\\.\\d{4}  acc \\d\\.\\d{4}  val_loss \\d\\.\\d{4}  val_acc \\d\\.\\d{4}  `));
    });
    const loss = history.history.loss[2] as number;
    expect(lines[2]).to.contain(`loss ${loss.toFixed(4)}`);
    tf.dispose([x, y]);
    model.dispose();
  });
});
