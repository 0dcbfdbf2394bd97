"""W1 in the seed's own NumPy style: 784-128-64-10, leaky-ReLU 0.01, sigmoid outputs, BCE summed
over outputs and averaged over the batch, He-normal init, SGD lr 0.1, batch 128, float32.
Column-major like the seed ([features, batch]). Prints one JSON line: epoch seconds, accuracy.
Usage: python3 bench/w1_numpy.py TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES TEST_LABELS [EPOCHS]"""
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


def main():
    train_x, train_y, test_x, test_y = (read_idx(p) for p in sys.argv[1:5])
    epochs = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    X = (train_x.reshape(len(train_x), -1).T / np.float32(255)).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[train_y].T
    Xt = (test_x.reshape(len(test_x), -1).T / np.float32(255)).astype(np.float32)
    rng = np.random.default_rng(0)
    sizes = [784, 128, 64, 10]
    w = {i: (rng.standard_normal((sizes[i], sizes[i - 1])) * np.sqrt(2 / sizes[i - 1])).astype(np.float32)
         for i in range(1, 4)}
    b = {i: np.zeros((sizes[i], 1), np.float32) for i in range(1, 4)}
    layers, alpha, batch = 3, np.float32(0.1), 128
    seconds = []
    for _ in range(epochs):
        order = rng.permutation(X.shape[1])
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
        seconds.append(time.perf_counter() - start)
    h = Xt
    for i in range(1, layers):
        h = lrelu(w[i] @ h + b[i])
    accuracy = float(np.mean(np.argmax(w[layers] @ h + b[layers], 0) == test_y))
    print(json.dumps({"epochSeconds": seconds, "testAccuracy": accuracy, "lastCost": float(cost)}))


if __name__ == "__main__":
    main()
