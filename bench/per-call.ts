// How long one call of a kernel takes, for the kernel benchmarks (bench/conv.ts, bench/norm.ts).

/** Median milliseconds per call over 7 timed batches of ≥ 40 ms each, after a warm-up. */
export function msPerCall(call: () => void): number {
  for (let t0 = performance.now(); performance.now() - t0 < 200;) call();
  const t0 = performance.now();
  call();
  const reps = Math.max(1, Math.ceil(40 / Math.max(performance.now() - t0, 1e-3)));
  const samples: number[] = [];
  for (let r = 0; r < 7; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) call();
    samples.push((performance.now() - start) / reps);
  }
  return samples.sort((a, b) => a - b)[3];
}
