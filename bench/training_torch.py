"""The course CNN trained with PyTorch on the CPU: the yardstick for bench/training.ts.

Protocol (stdin/stdout, one line each), so that the TypeScript bench can interleave
its repetitions with ours on a shared machine:
  start-up: loads Fashion-MNIST, trains one warm-up pass, prints "ready"
  "run"   : trains --images images once, prints "img/s <float>"
  "quit"  : exits
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def course_cnn():
    # Conv32(3x3, relu) - Conv64(3x3, relu) - MaxPool2 - Flatten - Dense10 (softmax in the loss).
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(),
        nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(12 * 12 * 64, 10),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--images", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))[: args.images]
    y = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))[: args.images]
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(y.astype(np.int64))
    model = course_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def one_pass():
        perm = torch.randperm(len(x))
        for i in range(0, len(x), args.batch):
            idx = perm[i: i + args.batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    one_pass()
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "quit":
            break
        if cmd == "run":
            t = time.perf_counter()
            one_pass()
            print(f"img/s {len(x) / (time.perf_counter() - t):.3f}", flush=True)


if __name__ == "__main__":
    main()
