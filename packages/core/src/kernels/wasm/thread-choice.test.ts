// The choice between threaded rounds and the caller alone, on a simulated clock: it keeps the
// faster mode, follows changes of load both ways, and pauses between rounds cannot decide it.
import { describe, expect, it } from "vitest";
import { ThreadChoice } from "./thread-choice.js";

/**
 * A training loop on a simulated clock: each step runs rounds of the given works with `gap` ms
 * of other work between them; a round of work w takes w·threaded or w·alone ms (ms per unit),
 * times a random factor in [1 − jitter, 1 + jitter] (a busy machine's noise).
 */
class Simulation {
  now = 0;
  /** Idle cores of the machine (the idle clock advances by this much per millisecond). */
  idleCores = 0;
  private idle = 0;
  readonly modes: boolean[] = [];
  /** The choice's debug lines, one a trial. */
  readonly lines: string[] = [];
  readonly choice: ThreadChoice;
  private seed = 12345;

  constructor(
    public threaded: number, public alone: number, readonly gap = 0.05, readonly jitter = 0.3,
    withIdleClock = false,
  ) {
    this.choice = new ThreadChoice(() => this.now, (threaded) => this.modes.push(threaded),
      (line) => this.lines.push(line), withIdleClock ? () => this.idle : undefined);
  }

  advance(ms: number): void {
    this.now += ms;
    this.idle += ms * this.idleCores;
  }

  /** Runs `steps` steps; returns the fraction of rounds that ran threaded. */
  steps(steps: number, works: readonly number[] = [1, 0.05, 1, 0.1]): number {
    let threaded = 0;
    for (let s = 0; s < steps; s++) {
      for (const work of works) {
        const onThreads = this.choice.next(work);
        if (onThreads) threaded++;
        this.advance(work * (onThreads ? this.threaded : this.alone) * this.noise());
        this.choice.end();
        this.advance(this.gap * this.noise());
      }
    }
    return threaded / (steps * works.length);
  }

  /** Runs whole steps for `ms` simulated milliseconds; the fraction of rounds threaded. */
  runFor(ms: number): number {
    const [end, before] = [this.now + ms, { ...this.choice.stats }];
    while (this.now < end) this.steps(1);
    const { threadedRounds: t, soloRounds: s } = this.choice.stats;
    return (t - before.threadedRounds) / (t + s - before.threadedRounds - before.soloRounds);
  }

  private noise(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    return 1 + this.jitter * (2 * (this.seed / 2147483648) - 1);
  }
}

describe("ThreadChoice", () => {
  it("keeps the threads where they are faster, trying the caller alone rarely", () => {
    const sim = new Simulation(0.06, 0.1);
    sim.runFor(2000);
    // Once the trial period has grown, about 1 % of the rounds run alone.
    const trials = sim.choice.stats.trials;
    expect(sim.runFor(20000)).toBeGreaterThan(0.97);
    expect(sim.choice.stats.switches).toBe(0);
    expect(sim.choice.stats.trials - trials).toBeGreaterThan(10);
    // Only trials leave the threads: alone, back, alone, back for each.
    expect(sim.modes.length).toBe(4 * (sim.choice.stats.trials));
  });

  it("runs alone within a few windows when the threads are slower, and stays there", () => {
    const sim = new Simulation(0.25, 0.1);
    sim.runFor(150);
    expect(sim.choice.stats.switches).toBe(1);
    expect(sim.runFor(20000)).toBeLessThan(0.03);
    expect(sim.choice.stats.switches).toBe(1);
  });

  it("goes back to the threads when the load goes, and away again when it returns", () => {
    const sim = new Simulation(0.25, 0.1);
    sim.runFor(5000);
    expect(sim.choice.threaded).toBe(false);
    sim.threaded = 0.06;
    // Trials come at most every 32 windows of 32 ms: back within about a second.
    const start = sim.now;
    while (!sim.choice.threaded && sim.now - start < 5000) sim.steps(1);
    expect(sim.now - start).toBeLessThan(1200);
    expect(sim.runFor(5000)).toBeGreaterThan(0.95);
    sim.threaded = 0.25;
    sim.runFor(1200);
    expect(sim.choice.threaded).toBe(false);
    expect(sim.choice.stats.switches).toBe(3);
  });

  it("tries the threads at once when a core frees up, once per change", () => {
    const sim = new Simulation(0.25, 0.1, 0.05, 0.3, true);
    sim.runFor(5000);
    expect(sim.choice.threaded).toBe(false);
    const trials = sim.choice.stats.trials;
    sim.threaded = 0.06;
    sim.idleCores = 1;
    const start = sim.now;
    while (!sim.choice.threaded && sim.now - start < 5000) sim.steps(1);
    expect(sim.now - start).toBeLessThan(300); // not a period of up to a second
    expect(sim.choice.stats.trials).toBe(trials + 1);
    // An idle machine where the threads still lose: one early trial, then the period again.
    const idleSlow = new Simulation(0.25, 0.1, 0.05, 0.3, true);
    idleSlow.idleCores = 1;
    idleSlow.runFor(20000);
    expect(idleSlow.choice.stats.trials).toBeLessThan(30);
  });

  it("tries running alone at once when the threads' windows slow down", () => {
    const sim = new Simulation(0.06, 0.1);
    for (let arrival = 0; arrival < 6; arrival++) {
      sim.threaded = 0.06;
      sim.runFor(3000 + 170 * arrival); // the period has grown; its phase differs each time
      expect(sim.choice.threaded).toBe(true);
      sim.threaded = 0.25; // load arrives
      const [start, switches] = [sim.now, sim.choice.stats.switches];
      while (sim.choice.stats.switches === switches && sim.now - start < 5000) sim.steps(1);
      expect(sim.now - start).toBeLessThan(200);
      sim.threaded = 0.06;
      while (!sim.choice.threaded) sim.steps(1);
    }
  });

  it("is sent into no trial or switch by short pauses (a garbage collection) in a window", () => {
    const sim = new Simulation(0.06, 0.1);
    sim.runFor(2000);
    const { trials, switches } = sim.choice.stats;
    // 15 ms (shorter than a pause left out) every 300 steps, about every 3.5 windows, 100 times.
    for (let i = 0; i < 100; i++) {
      sim.steps(300);
      sim.advance(15);
    }
    expect(sim.choice.stats.switches).toBe(switches);
    expect(sim.lines.filter((line) => line.includes("(slow window"))).toEqual([]);
    expect(sim.choice.stats.trials - trials).toBeLessThan(25);
  });

  it("switches on a trial only if both its pairs of windows agree", () => {
    let now = 0;
    const lines: string[] = [];
    const choice = new ThreadChoice(() => now, undefined, (line) => lines.push(line));
    // Threads 1 ms a round, alone 1.2: two windows threaded, then a trial of four windows of 24
    // rounds (alone, threaded, alone, threaded) with an 18 ms pause (shorter than the pauses
    // left out) inside a round of the last. Added up, threaded looks slower (1.375 against 1.2).
    for (let i = 0; i < 2 * 64 + 4 * 24 + 1; i++) {
      const threaded = choice.next(1);
      now += threaded ? 1 : 1.2;
      if (i === 2 * 64 + 3 * 24 + 5) now += 18;
      choice.end();
    }
    expect(lines).toEqual([expect.stringMatching(/alone 1\.20e\+9, threaded 1\.38e\+9 µs/)]);
    expect(choice.stats.switches).toBe(0);
    expect(choice.threaded).toBe(true);
  });

  it("cannot be decided by pauses between rounds", () => {
    const sim = new Simulation(0.06, 0.1);
    sim.runFor(500);
    // A pause of a second after every 40 steps (an epoch's end, evaluation): still threaded.
    for (let epoch = 0; epoch < 200; epoch++) {
      sim.steps(40);
      sim.advance(1000);
    }
    expect(sim.choice.stats.switches).toBe(0);
  });

  it("times a long round fully: big products still show which mode is faster", () => {
    // One round per step, 40 ms alone and 22 ms threaded; windows take 64 rounds.
    const sim = new Simulation(22, 40);
    sim.steps(400, [1]);
    expect(sim.choice.stats.switches).toBe(0);
    expect(sim.choice.stats.trials).toBeGreaterThan(0);
    const slow = new Simulation(60, 40);
    slow.steps(400, [1]);
    expect(slow.choice.threaded).toBe(false);
  });

  it("counts a round's end once, so a pause after it is left out", () => {
    let now = 0;
    const lines: string[] = [];
    const choice = new ThreadChoice(() => now, undefined, (line) => lines.push(line));
    // Two windows of the mode in use, then a trial of 4 windows of 24 rounds and 8 ms each.
    const rounds = 2 * 64 + 4 * 24 + 1;
    for (let i = 0; i < rounds; i++) {
      const threaded = choice.next(1);
      now += threaded ? 1 : 2; // alone is half as fast
      choice.end();
      if (i === 130) {
        now += 500; // a pause within the trial's first window, then a second end: ignored
        choice.end();
      }
    }
    // Without the pause left out, alone would look 20 times slower.
    expect(lines).toEqual([expect.stringMatching(
      /threads at 0\.\d+ s: alone 2\.00e\+9, threaded 1\.00e\+9 µs per million units of work/),
    ]);
    expect(lines[0]).toMatch(/ \(period\)$/);
  });
});
