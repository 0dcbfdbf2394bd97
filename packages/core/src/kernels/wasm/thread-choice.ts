// Whether the helper threads take part: threads pay on an idle core and hurt on a busy one
// (a preempted helper holds up every round it claimed a slice of, and one that spins between
// rounds takes the caller's CPU), so the pool times both modes side by side and keeps the faster.

/** The clock the choice reads (milliseconds); injectable so tests can simulate load. */
export type Clock = () => number;

/**
 * Idle time of all the machine's cores together (milliseconds since any fixed origin), or
 * undefined where the runtime cannot tell.
 */
export type IdleClock = () => number | undefined;

/** Rounds and milliseconds a window of the mode in use lasts at least. */
const WINDOW = { rounds: 64, ms: 32 } as const;
/**
 * A trial: short windows of the other mode and of the mode in use, alternating (other first),
 * so a change of load during the trial falls on both alike.
 */
const TRIAL = { windows: 4, rounds: 24, ms: 8 } as const;
/** Windows of the mode in use between trials: from MIN to MAX, doubling. */
const MIN_PERIOD = 2;
const MAX_PERIOD = 32;
/**
 * The other mode must be this much faster (time per work) in a trial to take over, in each of
 * its two pairs of windows: a pause inside one window (a garbage collection, another job's
 * burst) then cannot switch the mode alone.
 */
const MARGIN = 0.95;
/**
 * While running alone, the machine's idle time is read this often; this many idle cores mean
 * the load that made the threads lose may be gone, and a trial comes at once (not after the
 * period) unless the last trial already saw an idle machine.
 */
const IDLE_MS = 200;
const IDLE_CORES = 0.6;
/**
 * While threaded, SLOW_RUN windows in a row, each this much slower than the median of the last
 * REFERENCE windows before them, bring a trial at once: load has likely arrived (a preempted
 * helper makes every round wait). Not the one window before: a window holds a different mix of
 * products each time (C1's rates vary up to 3 × from window to window), and a single slow one
 * brought a needless trial every few seconds.
 */
const JUMP = 1.5;
const SLOW_RUN = 2;
const REFERENCE = 5;
/**
 * A gap longer than this after a round is a pause (an epoch's end, user code) rather than the
 * pace of the work, and is left out. Shorter ones count: a caller preempted in favour of a
 * spinning helper loses a few milliseconds at a time.
 */
const PAUSE_MS = 20;

/** Counters of what the choice did, for debugging and benchmarks. */
export interface ThreadChoiceStats {
  /** Rounds run on the threads and on the caller alone. */
  threadedRounds: number;
  soloRounds: number;
  /** Windows completed, trials, and switches of the mode in use. */
  windows: number;
  trials: number;
  switches: number;
}

/**
 * Chooses, round by round, between running threaded work on all threads and on the calling
 * thread alone, by time per unit of work over windows of consecutive rounds (the gaps between
 * rounds included: a spinning helper slows the caller's work there too). The mode in use runs
 * for `period` windows, then a trial times short windows of both modes in turn; the other
 * takes over if it was faster in both halves of the trial (then trials come every MIN_PERIOD
 * windows), else the period doubles up to MAX_PERIOD. So a lasting change of load is followed
 * within about a second, and the slower mode runs a few percent of the time at most. Results
 * never depend on it.
 */
export class ThreadChoice {
  /** The mode in use. */
  private preferThreads = true;
  /** The window within a trial (0 to TRIAL.windows − 1), or −1 outside trials. */
  private trialWindow = -1;
  /** A trial's elapsed milliseconds and work, window by window. */
  private trialTime: number[] = [];
  private trialWork: number[] = [];
  private period = MIN_PERIOD;
  private sinceTrial = 0;
  /** When the last round started (−1 before the first) and ended (−1 if not told). */
  private lastStart = -1;
  private lastEnd = -1;
  private elapsed = 0;
  private work = 0;
  private rounds = 0;
  /** The time per work of the last windows outside trials, since the last trial (oldest first). */
  private rates: number[] = [];
  /** Windows in a row slower than JUMP × the median of the ones before. */
  private slowRun = 0;
  /** A trial is due at the end of this window (load seems to have come or gone). */
  private wantTrial = false;
  /** What brought the trial under way (for the debug line): the period, a slow window, a core. */
  private trialCause = "";
  /** The last idle reading and when it was taken (−1: none yet in this stretch alone). */
  private idleMs = 0;
  private idleAt = -1;
  /** Whether the machine looked idle at the last reading, and when the last trial began. */
  private machineIdle = false;
  private lastTrialIdle = false;
  readonly stats: ThreadChoiceStats = {
    threadedRounds: 0, soloRounds: 0, windows: 0, trials: 0, switches: 0,
  };

  /**
   * `onMode(threaded)` is told when the mode of the rounds changes (to park the helpers);
   * `log` gets a line per trial (TAPEGRAD_DEBUG=threads); `idle` reads the machine's idle
   * time, to try the threads again as soon as a core frees up.
   */
  constructor(
    private readonly clock: Clock, private readonly onMode?: (threaded: boolean) => void,
    private readonly log?: (line: string) => void, private idle?: IdleClock,
  ) {}

  /** Whether rounds run threaded now (without counting a round). */
  get threaded(): boolean {
    // Trial windows 0 and 2 run the other mode.
    return this.preferThreads !== (this.trialWindow >= 0 && this.trialWindow % 2 === 0);
  }

  /**
   * Counts a round of `work` (any unit proportional to its time on one thread) about to run
   * and returns whether it runs threaded.
   */
  next(work: number): boolean {
    const now = this.clock();
    if (this.lastStart >= 0) {
      // The last round's own time, then the gap since it ended unless it was a pause.
      const end = this.lastEnd >= this.lastStart ? this.lastEnd : now;
      this.elapsed += end - this.lastStart + (now - end > PAUSE_MS ? 0 : now - end);
      const length = this.trialWindow >= 0 ? TRIAL : WINDOW;
      if (this.rounds >= length.rounds && this.elapsed >= length.ms) this.endWindow();
    }
    if (!this.preferThreads && this.trialWindow < 0 && now - this.idleAt >= IDLE_MS) {
      this.readIdle(now);
    }
    this.lastStart = now;
    this.work += work;
    this.rounds++;
    const threaded = this.threaded;
    if (threaded) this.stats.threadedRounds++;
    else this.stats.soloRounds++;
    return threaded;
  }

  /** Notes that the round counted last has ended (once; later calls change nothing). */
  end(): void {
    if (this.lastEnd < this.lastStart) this.lastEnd = this.clock();
  }

  /** Closes the window (before the round starting now) and picks the next window's mode. */
  private endWindow(): void {
    const wasThreaded = this.threaded;
    this.stats.windows++;
    if (this.trialWindow >= 0) {
      this.trialTime[this.trialWindow] = this.elapsed;
      this.trialWork[this.trialWindow] = this.work;
      if (++this.trialWindow === TRIAL.windows) this.decide();
    } else {
      const rate = this.elapsed / this.work;
      const slow = this.rates.length > 0 && rate > JUMP * median(this.rates);
      this.slowRun = slow ? this.slowRun + 1 : 0;
      if (this.preferThreads && this.slowRun >= SLOW_RUN) this.wantTrial = true;
      // Slow windows stay out of the reference, so a lasting slowdown keeps counting.
      if (!slow) this.rates.push(rate);
      if (this.rates.length > REFERENCE) this.rates.shift();
      if (++this.sinceTrial >= this.period || (this.wantTrial && this.sinceTrial >= MIN_PERIOD)) {
        this.trialCause = this.sinceTrial >= this.period ? "period"
          : this.preferThreads ? "slow window" : "idle core";
        this.trialWindow = 0;
        this.lastTrialIdle = !this.preferThreads && this.machineIdle;
        this.wantTrial = false;
        this.stats.trials++;
      }
    }
    this.elapsed = 0;
    this.work = 0;
    this.rounds = 0;
    if (this.threaded !== wasThreaded) this.onMode?.(this.threaded);
  }

  /** Ends a trial: the other mode takes over if it was faster by the margin in both pairs. */
  private decide(): void {
    const [time, work] = [this.trialTime, this.trialWork];
    // Even windows ran the other mode, odd ones the mode in use.
    const rate = (side: number) => (time[side] + time[side + 2]) / (work[side] + work[side + 2]);
    const [other, inUse] = [rate(0), rate(1)];
    const faster = (pair: number) =>
      time[2 * pair] / work[2 * pair] < MARGIN * time[2 * pair + 1] / work[2 * pair + 1];
    const switching = faster(0) && faster(1);
    this.log?.(`threads at ${(this.clock() / 1000).toFixed(3)} s: ` +
      `${this.preferThreads ? "alone" : "threaded"} ${(1e9 * other).toPrecision(3)}, ` +
      `${this.preferThreads ? "threaded" : "alone"} ${(1e9 * inUse).toPrecision(3)} µs per ` +
      `million units of work (${this.trialCause})${switching ? ": switching" : ""}`);
    this.trialWindow = -1;
    this.sinceTrial = 0;
    this.rates = [];
    this.slowRun = 0;
    if (switching) {
      this.preferThreads = !this.preferThreads;
      this.period = MIN_PERIOD;
      this.stats.switches++;
    } else {
      this.period = Math.min(MAX_PERIOD, 2 * this.period);
    }
    this.idleAt = -1; // idle readings start afresh after each trial
  }

  /** Reads the idle time; a trial is due if a core has freed up since the last trial. */
  private readIdle(now: number): void {
    const idle = this.idle?.();
    if (idle === undefined) {
      this.idleAt = Infinity; // not known here: trials come by the period only
      return;
    }
    if (this.idleAt >= 0) {
      this.machineIdle = (idle - this.idleMs) / (now - this.idleAt) >= IDLE_CORES;
      if (this.machineIdle && !this.lastTrialIdle) this.wantTrial = true;
    }
    this.idleMs = idle;
    this.idleAt = now;
  }
}

/** The median of a short non-empty list (the upper one of an even count's middle two). */
function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}
