"""C1 in PyTorch, for comparison only (tapegrad never needs Python): conv 1->16 5x5 pad 2, relu,
maxpool 2; conv 16->32 5x5 pad 2, relu, maxpool 2; flatten; dense 1568->128, relu; dense
128->10; softmax cross-entropy; Adam 1e-3; batch 64; float32; pixels in [0, 1]; reshuffled
each epoch. Prints one JSON line; with --serve, answers "epoch" and "accuracy" commands on
stdin, one JSON line each, so a caller can alternate its epochs with ours.
Usage: python3 bench/c1_torch.py THREADS TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES TEST_LABELS
       [EPOCHS|--serve]"""
import json
import resource
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


class C1:
    """The C1 network and its data, trained one epoch at a time."""

    def __init__(self, paths):
        train_x, train_y, test_x, test_y = (read_idx(p) for p in paths)
        to_float = lambda x: torch.from_numpy(x.astype(np.float32)[:, None] / 255)
        self.x, self.xt = to_float(train_x), to_float(test_x)
        self.y = torch.from_numpy(train_y.astype(np.int64))
        self.yt = torch.from_numpy(test_y.astype(np.int64))
        torch.manual_seed(0)
        self.model = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.loss_fn = nn.CrossEntropyLoss()
        self.cost = float("nan")

    def epoch(self):
        """One shuffled epoch of Adam; returns its seconds."""
        self.model.train()
        start = time.perf_counter()
        order = torch.randperm(len(self.x))
        for s in range(0, len(order), 64):
            idx = order[s:s + 64]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss_fn(self.model(self.x[idx]), self.y[idx])
            loss.backward()
            self.optimizer.step()
        self.cost = float(loss)
        return time.perf_counter() - start

    def accuracy(self):
        self.model.eval()
        with torch.no_grad():
            predicted = torch.cat([self.model(self.xt[s:s + 1000]).argmax(1)
                                   for s in range(0, len(self.xt), 1000)])
        return float((predicted == self.yt).float().mean())


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    torch.set_num_threads(int(sys.argv[1]))
    model = C1(sys.argv[2:6])
    if len(sys.argv) > 6 and sys.argv[6] == "--serve":
        print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "epoch":
                print(json.dumps({"seconds": model.epoch(), "lastCost": model.cost}), flush=True)
            elif command == "accuracy":
                print(json.dumps({"testAccuracy": model.accuracy(),
                                  "peakRssMiB": peak_rss_mib()}), flush=True)
            else:
                break
        return
    epochs = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    seconds = [model.epoch() for _ in range(epochs)]
    print(json.dumps({"epochSeconds": seconds, "testAccuracy": model.accuracy(),
                      "lastCost": model.cost, "peakRssMiB": peak_rss_mib(),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
