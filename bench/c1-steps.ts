// C1 step timing through the core ops (no layers): conv 1→16 5×5 pad 2 + relu, maxpool 2,
// conv 16→32 5×5 pad 2 + relu, maxpool 2, flatten, dense 1568→128 relu, dense 128→10,
// softmax cross-entropy, Adam 1e-3, batch 64, real MNIST, compiled with compileStep. Prints
// the median ms per step (after 50 warm-up steps) and the epoch that makes (937.5 steps).
// Usage: node --import tsx bench/c1-steps.ts [THREADS=2] [STEPS=300]
import { setNumThreads } from "@tapegrad/core";
import { c1Network } from "./c1-network.js";

const threads = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 300);
setNumThreads(threads);
const { step, optimizer, labels, batchStream } = await c1Network();
const [total, forwardBackward, adam] = [[], [], []] as number[][];
let lastLoss = NaN;
for (const { x, setLabels } of batchStream()) {
  const t0 = performance.now();
  setLabels();
  const t1 = performance.now();
  const value = step(x, labels);
  const t2 = performance.now();
  optimizer.step();
  const t3 = performance.now();
  total.push(t3 - t0);
  forwardBackward.push(t2 - t1);
  adam.push(t3 - t2);
  if (total.length % 100 === 0) lastLoss = value.item();
  if (total.length >= steps) break;
}
const median = (xs: number[]) => [...xs.slice(50)].sort((a, b) => a - b)[(xs.length - 50) >> 1];
console.log(`C1 through the core ops, ${threads} thread(s), ${steps} steps: median ` +
  `${median(total).toFixed(2)} ms/step (forward+backward ${median(forwardBackward).toFixed(2)}, ` +
  `Adam ${median(adam).toFixed(2)}); an epoch of 937.5 steps: ` +
  `${(937.5 * median(total) / 1000).toFixed(1)} s; loss at step ${steps}: ${lastLoss.toFixed(3)}`);
