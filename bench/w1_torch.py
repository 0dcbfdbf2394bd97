"""W1 in PyTorch, for comparison only (tapegrad never needs Python): 784-128-64-10, leaky-ReLU
0.01, sigmoid outputs with BCE summed over the outputs and averaged over the batch (on the
logits), He-normal weights, zero biases, SGD lr 0.1, batch 128, float32, reshuffled each epoch.
Prints one JSON line; with --serve, answers "epoch" and "accuracy" commands on stdin, one JSON
line each, so a caller can alternate its epochs with ours under the same machine load.
Usage: python3 bench/w1_torch.py THREADS TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES TEST_LABELS
       [EPOCHS|--serve]"""
import json
import sys
import time

import numpy as np
import torch


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


class W1:
    """The W1 network and its data, trained one epoch at a time."""

    def __init__(self, paths):
        train_x, train_y, test_x, test_y = (read_idx(p) for p in paths)
        to_float = lambda x: torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255)
        self.x, self.xt = to_float(train_x), to_float(test_x)
        self.y = torch.nn.functional.one_hot(torch.from_numpy(train_y.astype(np.int64)), 10)
        self.y = self.y.float()
        self.yt = torch.from_numpy(test_y.astype(np.int64))
        torch.manual_seed(0)
        layers = []
        for i, (n_in, n_out) in enumerate([(784, 128), (128, 64), (64, 10)]):
            linear = torch.nn.Linear(n_in, n_out)
            torch.nn.init.kaiming_normal_(linear.weight, nonlinearity="leaky_relu", a=0.01)
            torch.nn.init.zeros_(linear.bias)
            layers.append(linear)
            if i < 2:
                layers.append(torch.nn.LeakyReLU(0.01))
        self.model = torch.nn.Sequential(*layers)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
        self.loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
        self.cost = float("nan")

    def epoch(self):
        """One shuffled epoch of SGD; returns its seconds."""
        start = time.perf_counter()
        order = torch.randperm(len(self.x))
        for s in range(0, len(order), 128):
            idx = order[s:s + 128]
            x, y = self.x[idx], self.y[idx]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss_fn(self.model(x), y) / len(idx)
            loss.backward()
            self.optimizer.step()
        self.cost = float(loss)
        return time.perf_counter() - start

    def accuracy(self):
        with torch.no_grad():
            predicted = self.model(self.xt).argmax(1)
        return float((predicted == self.yt).float().mean())


def main():
    torch.set_num_threads(int(sys.argv[1]))
    model = W1(sys.argv[2:6])
    if len(sys.argv) > 6 and sys.argv[6] == "--serve":
        print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "epoch":
                print(json.dumps({"seconds": model.epoch(), "lastCost": model.cost}), flush=True)
            elif command == "accuracy":
                print(json.dumps({"testAccuracy": model.accuracy()}), flush=True)
            else:
                break
        return
    epochs = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    seconds = [model.epoch() for _ in range(epochs)]
    print(json.dumps({"epochSeconds": seconds, "testAccuracy": model.accuracy(),
                      "lastCost": model.cost, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
