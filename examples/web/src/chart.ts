// The live training chart on a canvas: the loss (a moving average of the steps' losses) against
// steps on the left axis, and training and validation accuracy per epoch on the right.

interface EpochPoint {
  readonly step: number;
  readonly trainAccuracy: number | null;
  readonly validationAccuracy: number | null;
}

const COLORS = { loss: "#d9480f", train: "#1c7ed6", validation: "#2f9e44", axis: "#868e96" };
const PAD = { left: 48, right: 52, top: 14, bottom: 28 };

/** A loss/accuracy chart that redraws once per animation frame as points arrive. */
export class LiveChart {
  private losses: Array<[number, number]> = [];
  private epochs: EpochPoint[] = [];
  private average: number | undefined;
  private totalSteps = 1;
  private queued = false;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.draw();
  }

  /** Forgets every point; the x axis will span `totalSteps`. */
  reset(totalSteps: number): void {
    [this.losses, this.epochs, this.average] = [[], [], undefined];
    this.totalSteps = Math.max(1, totalSteps);
    this.schedule();
  }

  /** Adds a step's loss (smoothed with the ones before it). */
  addStep(step: number, loss: number): void {
    this.average = this.average === undefined ? loss : 0.9 * this.average + 0.1 * loss;
    this.losses.push([step, this.average]);
    this.totalSteps = Math.max(this.totalSteps, step);
    this.schedule();
  }

  /** Adds an epoch's accuracies, at the step it ended. */
  addEpoch(point: EpochPoint): void {
    this.epochs.push(point);
    this.schedule();
  }

  private schedule(): void {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.draw();
    });
  }

  private draw(): void {
    const { canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    const [width, height] = [canvas.clientWidth, canvas.clientHeight];
    [canvas.width, canvas.height] = [Math.round(width * ratio), Math.round(height * ratio)];
    const g = canvas.getContext("2d")!;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const plot = { w: width - PAD.left - PAD.right, h: height - PAD.top - PAD.bottom };
    const x = (step: number) => PAD.left + (step / this.totalSteps) * plot.w;
    const maxLoss = Math.max(1e-9, ...this.losses.map(([, l]) => l));
    const yLoss = (loss: number) => PAD.top + plot.h * (1 - loss / maxLoss);
    const accuracies = this.epochs.flatMap((e) => [e.trainAccuracy, e.validationAccuracy])
      .filter((a): a is number => a !== null);
    const low = Math.min(0.8, Math.floor(Math.min(1, ...accuracies) * 20) / 20);
    const yAcc = (a: number) => PAD.top + plot.h * (1 - (a - low) / (1 - low));
    this.axes(g, plot, maxLoss, low);
    this.line(g, this.losses.map(([s, l]) => [x(s), yLoss(l)]), COLORS.loss);
    for (const key of ["trainAccuracy", "validationAccuracy"] as const) {
      const color = key === "trainAccuracy" ? COLORS.train : COLORS.validation;
      const points = this.epochs.flatMap((e): Array<[number, number]> =>
        e[key] === null ? [] : [[x(e.step), yAcc(e[key])]]);
      this.line(g, points, color, true);
    }
  }

  private axes(
    g: CanvasRenderingContext2D, plot: { w: number; h: number }, maxLoss: number, low: number,
  ): void {
    g.strokeStyle = COLORS.axis;
    g.fillStyle = COLORS.axis;
    g.font = "11px system-ui, sans-serif";
    g.strokeRect(PAD.left, PAD.top, plot.w, plot.h);
    for (let i = 0; i <= 4; i++) {
      const y = PAD.top + (plot.h * i) / 4;
      g.textAlign = "right";
      g.fillText((maxLoss * (1 - i / 4)).toFixed(2), PAD.left - 4, y + 4);
      g.textAlign = "left";
      g.fillText(`${(100 * (1 - ((1 - low) * i) / 4)).toFixed(1)}%`, PAD.left + plot.w + 4, y + 4);
    }
    g.textAlign = "center";
    g.fillText(`step (of ${this.totalSteps})`, PAD.left + plot.w / 2, PAD.top + plot.h + 20);
    const legend: Array<[string, string]> = [
      ["loss", COLORS.loss], ["train accuracy", COLORS.train],
      ["validation accuracy", COLORS.validation],
    ];
    g.textAlign = "left";
    legend.forEach(([label, color], i) => {
      g.fillStyle = color;
      g.fillText(`● ${label}`, PAD.left + 8 + i * 120, PAD.top + 14);
    });
  }

  private line(
    g: CanvasRenderingContext2D, points: Array<[number, number]>, color: string, dots = false,
  ): void {
    g.strokeStyle = color;
    g.fillStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    points.forEach(([px, py], i) => (i === 0 ? g.moveTo(px, py) : g.lineTo(px, py)));
    g.stroke();
    if (dots) for (const [px, py] of points) g.fillRect(px - 3, py - 3, 6, 6);
  }
}
