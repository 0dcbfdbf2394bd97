// Whether the helper threads take part: threads pay on an idle core and hurt on a busy one
// (a preempted helper holds up every round it claimed a slice of, and one that spins between
// rounds takes the caller's CPU), so the pool times both modes side by side and keeps the faster.

/** The clock the choice reads (milliseconds); injectable so tests can simulate load. */
export type Clock = () => number;

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
/** The other mode must be this much faster (time per work) in a trial to take over. */
const MARGIN = 0.95;
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
 * takes over if it was faster (then trials come every MIN_PERIOD windows), else the period
 * doubles up to MAX_PERIOD. So a lasting change of load is followed within about a second,
 * and the slower mode runs a few percent of the time at most. Results never depend on it.
 */
export class ThreadChoice {
  /** The mode in use. */
  private preferThreads = true;
  /** The window within a trial (0 to TRIAL.windows − 1), or −1 outside trials. */
  private trialWindow = -1;
  /** A trial's elapsed milliseconds and work: [other mode, mode in use]. */
  private trialTime = [0, 0];
  private trialWork = [0, 0];
  private period = MIN_PERIOD;
  private sinceTrial = 0;
  /** When the last round started (−1 before the first) and ended (−1 if not told). */
  private lastStart = -1;
  private lastEnd = -1;
  private elapsed = 0;
  private work = 0;
  private rounds = 0;
  readonly stats: ThreadChoiceStats = {
    threadedRounds: 0, soloRounds: 0, windows: 0, trials: 0, switches: 0,
  };

  /**
   * `onMode(threaded)` is told when the mode of the rounds changes (to park the helpers);
   * `log` gets a line per trial (TAPEGRAD_DEBUG=threads).
   */
  constructor(
    private readonly clock: Clock, private readonly onMode?: (threaded: boolean) => void,
    private readonly log?: (line: string) => void,
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
      const side = this.trialWindow % 2; // 0: the other mode, 1: the mode in use
      this.trialTime[side] += this.elapsed;
      this.trialWork[side] += this.work;
      if (++this.trialWindow === TRIAL.windows) this.decide();
    } else if (++this.sinceTrial >= this.period) {
      this.trialWindow = 0;
      this.trialTime = [0, 0];
      this.trialWork = [0, 0];
      this.stats.trials++;
    }
    this.elapsed = 0;
    this.work = 0;
    this.rounds = 0;
    if (this.threaded !== wasThreaded) this.onMode?.(this.threaded);
  }

  /** Ends a trial: the other mode takes over if it was faster by the margin. */
  private decide(): void {
    const [other, inUse] = [0, 1].map((s) => this.trialTime[s] / this.trialWork[s]);
    const switching = other < MARGIN * inUse;
    this.log?.(`threads at ${(this.clock() / 1000).toFixed(3)} s: ` +
      `${this.preferThreads ? "alone" : "threaded"} ${(1e9 * other).toPrecision(3)}, ` +
      `${this.preferThreads ? "threaded" : "alone"} ${(1e9 * inUse).toPrecision(3)} µs per ` +
      `million units of work${switching ? ": switching" : ""}`);
    this.trialWindow = -1;
    this.sinceTrial = 0;
    if (switching) {
      this.preferThreads = !this.preferThreads;
      this.period = MIN_PERIOD;
      this.stats.switches++;
    } else {
      this.period = Math.min(MAX_PERIOD, 2 * this.period);
    }
  }
}
