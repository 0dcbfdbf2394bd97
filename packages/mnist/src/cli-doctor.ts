// `tapegrad-mnist doctor`: diagnose an untrained model; a verdict first, non-zero on errors.
import { formatFindings } from "@tapegrad/nn";
import {
  IDX_LIMIT_OPTIONS, NAME, SPEC_LIMIT_OPTIONS, UsageError, integer, limitsHelp, out, parse,
  readLimits, real,
} from "./cli-args.js";
import { doctorVerdict, runDoctor } from "./doctor.js";
import { readModelFile } from "./model-file.js";

const DOCTOR_HELP = `Usage: ${NAME} doctor [options]

Diagnoses a fresh, untrained model on one batch of MNIST: why it may not learn. The first
line is the verdict; the findings follow, errors first.

  --model FILE          model spec JSON or recipe (default: the seed network)
  --init NAME           spec | zeros: zeros sets every weight and bias to 0 (default spec)
  --batch-size N        samples in the batch (default 256)
  --lr X                learning rate for the update/weight-ratio check (default 0.001)
  --data-dir DIR        folder with the four IDX files
  --json                print the verdict and findings as one JSON object on stdout
  --verbose             show stack traces on errors
  -h, --help            show this help

${limitsHelp(true)}

Exit status: 0 no errors found (warnings and notes may be), 1 an error-severity finding (the
model will not learn) or a failure, 2 bad command line.`;

/** Runs `doctor` with `args`; resolves to the exit code (1 when a finding is an error). */
export async function doctorCommand(args: string[]): Promise<number> {
  const v = parse("doctor", args, {
    model: { type: "string" }, init: { type: "string" }, "batch-size": { type: "string" },
    lr: { type: "string" }, "data-dir": { type: "string" }, ...SPEC_LIMIT_OPTIONS,
    ...IDX_LIMIT_OPTIONS,
  });
  if (v.help) return (out(DOCTOR_HELP), 0);
  if (v.init !== undefined && v.init !== "spec" && v.init !== "zeros") {
    throw new UsageError(`--init must be spec or zeros; got ${JSON.stringify(v.init)}`);
  }
  const learningRate = real(v, "lr");
  if (learningRate !== undefined && !(learningRate > 0)) {
    throw new UsageError(`--lr must be a positive number; got ${learningRate}`);
  }
  const batchSize = integer(v, "batch-size", 1);
  const limits = readLimits(v);
  const modelFile = typeof v.model === "string" ? await readModelFile(v.model, limits) : undefined;
  const findings = await runDoctor({
    spec: modelFile?.spec, init: v.init as "spec" | "zeros" | undefined,
    dataDir: v["data-dir"] as string | undefined, batchSize,
    learningRate: learningRate ?? modelFile?.training.learningRate, limits,
  });
  const verdict = doctorVerdict(findings);
  const failed = findings.some((f) => f.severity === "error");
  if (v.json) out(JSON.stringify({ command: "doctor", verdict, ok: !failed, findings }));
  else out(findings.length === 0 ? verdict : `${verdict}\n\n${formatFindings(findings)}`);
  return failed ? 1 : 0;
}
