// The parity run in Node, for the browser test to compare with the page's: `node
// [--experimental-wasm-relaxed-simd] --import tsx node-parity.ts '<settings JSON>' <threads>`
// prints the result as one JSON line. The flag gives Node 20 the kernels Chromium has.
import { setNumThreads, threadsReady } from "@tapegrad/core";
import { readMnistFiles } from "@tapegrad/mnist";
import { parityRun } from "../src/parity.js";

const [settings, threads] = [JSON.parse(process.argv[2]), Number(process.argv[3])];
setNumThreads(threads);
await threadsReady();
const result = await parityRun(await readMnistFiles(), settings);
console.log(JSON.stringify(result));
