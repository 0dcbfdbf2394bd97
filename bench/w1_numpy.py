"""W1 in the seed's own NumPy style: 784-128-64-10, leaky-ReLU 0.01, sigmoid outputs, BCE summed
over outputs and averaged over the batch, He-normal init, SGD lr 0.1, batch 128, float32.
Column-major like the seed ([features, batch]). Prints one JSON line: epoch seconds, accuracy;
with --serve, answers "epoch" and "accuracy" commands on stdin, one JSON line each.
Usage: python3 bench/w1_numpy.py TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES TEST_LABELS [EPOCHS|--serve]"""
import json
import sys
import time

import numpy as np


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def lrelu(x):
    return np.where(x > 0, x, np.float32(0.01) * x)


def lrelu_der(a):
    return np.where(a > 0, np.float32(1), np.float32(0.01))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class SeedMlp:
    """The seed network and its data, trained one epoch at a time."""

    def __init__(self, paths):
        train_x, train_y, test_x, self.test_y = (read_idx(p) for p in paths)
        self.X = (train_x.reshape(len(train_x), -1).T / np.float32(255)).astype(np.float32)
        self.Y = np.eye(10, dtype=np.float32)[train_y].T
        self.Xt = (test_x.reshape(len(test_x), -1).T / np.float32(255)).astype(np.float32)
        self.rng = np.random.default_rng(0)
        sizes = [784, 128, 64, 10]
        self.w = {i: (self.rng.standard_normal((sizes[i], sizes[i - 1]))
                      * np.sqrt(2 / sizes[i - 1])).astype(np.float32) for i in range(1, 4)}
        self.b = {i: np.zeros((sizes[i], 1), np.float32) for i in range(1, 4)}
        self.cost = float("nan")

    def epoch(self):
        """One shuffled epoch of SGD; returns its seconds (the shuffle excluded)."""
        X, Y, w, b = self.X, self.Y, self.w, self.b
        layers, alpha, batch = 3, np.float32(0.1), 128
        order = self.rng.permutation(X.shape[1])
        start = time.perf_counter()
        for s in range(0, X.shape[1], batch):
            idx = order[s:s + batch]
            a = {0: X[:, idx]}
            y = Y[:, idx]
            m = a[0].shape[1]
            for i in range(1, layers):
                a[i] = lrelu(w[i] @ a[i - 1] + b[i])
            a[layers] = sigmoid(w[layers] @ a[layers - 1] + b[layers])
            yn = a[layers]
            cost = -np.sum(y * np.log(yn) + (1 - y) * np.log(1 - yn)) / m
            dz = yn - y
            for i in range(layers, 0, -1):
                dw = dz @ a[i - 1].T / m
                db = np.sum(dz, 1, keepdims=True) / m
                if i > 1:
                    dz = (w[i].T @ dz) * lrelu_der(a[i - 1])
                w[i] -= alpha * dw
                b[i] -= alpha * db
        self.cost = float(cost)
        return time.perf_counter() - start

    def accuracy(self):
        h = self.Xt
        for i in range(1, 3):
            h = lrelu(self.w[i] @ h + self.b[i])
        return float(np.mean(np.argmax(self.w[3] @ h + self.b[3], 0) == self.test_y))


def main():
    model = SeedMlp(sys.argv[1:5])
    if len(sys.argv) > 5 and sys.argv[5] == "--serve":
        # One command per line ("epoch", "accuracy"), one JSON answer per line: the caller
        # alternates its own epochs with ours, so both see the same load on a shared machine.
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "epoch":
                print(json.dumps({"seconds": model.epoch(), "lastCost": model.cost}), flush=True)
            elif command == "accuracy":
                print(json.dumps({"testAccuracy": model.accuracy()}), flush=True)
            else:
                break
        return
    epochs = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    seconds = [model.epoch() for _ in range(epochs)]
    print(json.dumps({"epochSeconds": seconds, "testAccuracy": model.accuracy(),
                      "lastCost": model.cost}))


if __name__ == "__main__":
    main()
