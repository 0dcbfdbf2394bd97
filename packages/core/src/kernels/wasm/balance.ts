// Balancing threaded work: how much of a round the calling thread takes (learned from timings,
// by each pool) and how work is cut into slices (pool-runs.ts runs work split that way).

/**
 * How work is shared between the calling thread (slice 0) and the others, learned from the
 * rounds run so far. Cores are not equally fast: on a shared host one may run a third slower
 * than the other for seconds at a time, and a helper may start late. Equal slices would leave
 * the faster thread waiting, so each round's slice 0 gets the share that would have made the
 * last rounds finish together. Which thread computes what never changes the arithmetic.
 */
export class Balance {
  /** Estimated speed of a helper thread relative to the caller's (moving average). */
  #ratio = 1;

  constructor(private readonly threads: number, private readonly fixed?: number) {}

  /** The caller's share of the next round's work, in (0, 1). */
  share(): number {
    return this.fixed ?? 1 / (1 + this.#ratio * (this.threads - 1));
  }

  /**
   * Learns from one round: the caller did `fraction` of the work in `mainMs`; the slowest
   * helper finished its part `helperMs` after the round started.
   */
  learn(fraction: number, mainMs: number, helperMs: number): void {
    if (!(mainMs > 0 && helperMs > 0 && fraction > 0 && fraction < 1)) return;
    const helperShare = (1 - fraction) / (this.threads - 1);
    const observed = (helperShare / helperMs) / (fraction / mainMs);
    const clamped = Math.min(5, Math.max(0.2, observed));
    this.#ratio += 0.2 * (clamped - this.#ratio);
  }
}

/**
 * Cuts `length` items into `parts` slices of whole `unit`s: slice 0 (the caller's) about
 * `share` of them, the rest equal. Returns the parts+1 boundaries (empty slices allowed).
 */
export function shareCuts(length: number, parts: number, share: number, unit: number): number[] {
  const units = Math.ceil(length / unit);
  const first = parts === 1 ? units : Math.min(units, Math.max(1, Math.round(units * share)));
  const cuts = [0, Math.min(length, first * unit)];
  const rest = Math.ceil((units - first) / Math.max(parts - 1, 1));
  for (let t = 1; t < parts; t++) cuts.push(Math.min(length, (first + t * rest) * unit));
  return cuts;
}

/** A number for a product's shape and layout (m, n, k below 2¹⁶ never collide). */
export const productKey = (
  m: number, k: number, n: number, transA: boolean, transB: boolean,
): number => ((m * 65536 + n) * 65536 + k) * 4 + (transA ? 2 : 0) + (transB ? 1 : 0);

/**
 * The caller's learned shares of a pool's rounds (each pool has its own, so a program without
 * threads carries none of this): one per product shape (a path with other costs, the sparse
 * one, passes its own key), one per convolution call kernel and shape (conv-space.ts), one for
 * elementwise updates and one for maps. Kept for 4096 keys at most of each kind.
 */
export class Balances {
  readonly updates: Balance;
  readonly maps: Balance;
  readonly #products = new Map<number, Balance>();
  private readonly calls = new Map<string, Balance>();

  constructor(private readonly threads: number, private readonly mainShare?: number) {
    this.updates = new Balance(threads, mainShare);
    this.maps = new Balance(threads, mainShare);
  }

  /** The share for products of this key (see productKey). */
  product(key: number): Balance {
    return this.#learned(this.#products, key);
  }

  /** The share for call slices of this key (conv-space.ts). */
  call(key: string): Balance {
    return this.#learned(this.calls, key);
  }

  #learned<K>(map: Map<K, Balance>, key: K): Balance {
    let balance = map.get(key);
    if (balance === undefined) {
      if (map.size >= 4096) map.clear();
      balance = new Balance(this.threads, this.mainShare);
      map.set(key, balance);
    }
    return balance;
  }
}
