// The C1 network written with the core ops (no layers), as bench/c1-steps.ts and
// bench/c1-profile.ts time it: conv 1→16 5×5 pad 2 + relu, maxpool 2, conv 16→32 5×5 pad 2 +
// relu, maxpool 2, flatten, dense 1568→128 relu, dense 128→10, softmax cross-entropy, Adam
// 1e-3, batch 64, real MNIST, compiled with compileStep. Call it after choosing the backend
// and the threads: it makes the parameters and traces nothing until the first step.
import {
  Rng, Tensor, classProbabilities, compileStep, conv2d, flatten, linear, logSoftmax, maxPool2d,
  mean, mul, neg, randn, residentStorage, sum, zeros,
} from "@tapegrad/core";
import { Adam, batches } from "@tapegrad/nn";
import { readMnistFiles, toImageTensor } from "@tapegrad/mnist";

/** One minibatch of 64 as the step takes it: x, and its labels copied into `labels`. */
export interface C1Batch {
  readonly x: Tensor;
  /** Copies this batch's labels into the step's label tensor. */
  readonly setLabels: () => void;
}

/** The compiled C1 step, its optimizer, and minibatches of 64 drawn from MNIST forever. */
export async function c1Network(): Promise<{
  step: (x: Tensor, labels: Tensor) => Tensor; optimizer: Adam; labels: Tensor;
  batchStream: () => Generator<C1Batch>;
}> {
  const files = await readMnistFiles();
  const images = toImageTensor(files.train);
  const indices = Int32Array.from({ length: files.train.count }, (_, i) => i);
  const he = (shape: number[], fanIn: number, seed: number) =>
    randn(shape, { seed }).mul(Math.sqrt(2 / fanIn)).detach().requireGrad();
  const p = {
    w1: he([16, 1, 5, 5], 25, 1), b1: zeros([16], { requiresGrad: true }),
    w2: he([32, 16, 5, 5], 400, 2), b2: zeros([32], { requiresGrad: true }),
    w3: he([1568, 128], 1568, 3), b3: zeros([128], { requiresGrad: true }),
    w4: he([128, 10], 128, 4), b4: zeros([10], { requiresGrad: true }),
  };
  const params = Object.values(p);
  const loss = (x: Tensor, labels: Tensor) => {
    let h = conv2d(x.reshape([-1, 1, 28, 28]), p.w1, p.b1, { padding: 2, activation: "relu" });
    h = maxPool2d(h, { kernelSize: 2 });
    h = conv2d(h, p.w2, p.b2, { padding: 2, activation: "relu" });
    h = maxPool2d(h, { kernelSize: 2 });
    const z = linear(flatten(h, 1), p.w3, p.b3, { activation: "relu" });
    const logits = linear(z, p.w4, p.b4);
    return neg(mean(sum(mul(classProbabilities(labels, 10), logSoftmax(logits, 1)), 1)));
  };
  const labels = new Tensor(residentStorage("float32", 64), [64]);
  const rng = new Rng(0);
  function* batchStream(): Generator<C1Batch> {
    for (;;) {
      for (const { x, rows } of batches(images, indices, 64, { rng, reuse: true })) {
        if (x.shape[0] !== 64) continue;
        yield {
          x, setLabels: () => {
            for (let i = 0; i < 64; i++) labels.data[i] = files.train.labels[rows[i]];
          },
        };
      }
    }
  }
  return {
    step: compileStep(loss, params), optimizer: new Adam(params, { learningRate: 1e-3 }),
    labels, batchStream,
  };
}
