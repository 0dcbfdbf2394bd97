// Whether the helper threads take part: threads pay on an idle core and hurt on a busy one
// (a preempted helper holds up every round it claimed a slice of, and one that spins between
// rounds takes the caller's CPU), so the pool times windows of each mode and keeps the faster.

/** The clock the choice reads (milliseconds); injectable so tests can simulate load. */
export type Clock = () => number;

/** Rounds and milliseconds a window of the mode in use lasts at least. */
const EXPLOIT = { rounds: 64, ms: 32 } as const;
/** A trial of the other mode: shorter, since it is likely the slower one. */
const EXPLORE = { rounds: 48, ms: 16 } as const;
/** Windows of the mode in use between trials of the other: from MIN to MAX, doubling. */
const MIN_PERIOD = 2;
const MAX_PERIOD = 32;
/**
 * The other mode must be this much faster (time per work) to take over: a busy machine's noise
 * alone should not flip the mode back and forth.
 */
const MARGIN = 0.9;
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
  /** Windows completed, trials of the other mode, and switches of the mode in use. */
  windows: number;
  trials: number;
  switches: number;
}

/**
 * Chooses, round by round, between running threaded work on all threads and on the calling
 * thread alone, by time per unit of work over windows of consecutive rounds (the gaps between
 * rounds included: a spinning helper slows the caller's work there too). The mode in use
 * runs for `period` windows, then the other gets one trial window; it takes over if faster
 * (then trials come every MIN_PERIOD windows), else the period doubles up to MAX_PERIOD. So
 * a lasting change of load is followed within about a second, and trying the slower mode costs
 * a few percent at most. Results never depend on the choice.
 */
export class ThreadChoice {
  /** The mode in use (not counting a trial). */
  private preferThreads = true;
  /** Whether the current window is a trial of the other mode. */
  private trial = false;
  private period = MIN_PERIOD;
  private sinceTrial = 0;
  /** Time per work of the last windows of the mode in use (newest last, at most 3). */
  private recent: number[] = [];
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
   * `log` gets a line per window (TAPEGRAD_DEBUG=threads).
   */
  constructor(
    private readonly clock: Clock, private readonly onMode?: (threaded: boolean) => void,
    private readonly log?: (line: string) => void,
  ) {}

  /** Whether rounds run threaded now (without counting a round). */
  get threaded(): boolean {
    return this.preferThreads !== this.trial;
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
      const length = this.trial ? EXPLORE : EXPLOIT;
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
    const rate = this.elapsed / this.work;
    const wasThreaded = this.threaded;
    this.log?.(`threads at ${(this.clock() / 1000).toFixed(3)} s: ` +
      `${wasThreaded ? "threaded" : "alone"}${this.trial ? " (trial)" : ""}, ${this.rounds} ` +
      `rounds in ${this.elapsed.toFixed(1)} ms: ${(1e9 * rate).toPrecision(3)} µs per million ` +
      `units of work; the mode in use ${(1e9 * median(this.recent)).toPrecision(3)}`);
    this.stats.windows++;
    if (this.trial) {
      this.trial = false;
      const baseline = median(this.recent);
      if (rate < MARGIN * baseline) {
        this.preferThreads = !this.preferThreads;
        this.period = MIN_PERIOD;
        this.recent = [rate];
        this.stats.switches++;
      } else {
        this.period = Math.min(MAX_PERIOD, 2 * this.period);
      }
      this.sinceTrial = 0;
    } else {
      this.recent.push(rate);
      if (this.recent.length > 3) this.recent.shift();
      if (++this.sinceTrial >= this.period) {
        this.trial = true;
        this.stats.trials++;
      }
    }
    this.elapsed = 0;
    this.work = 0;
    this.rounds = 0;
    if (this.threaded !== wasThreaded) this.onMode?.(this.threaded);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
