#!/usr/bin/env node
// The tapegrad-mnist command line: dispatch to a command, and every failure as one clear line.
import { suggestName } from "@tapegrad/core";
import { NAME, UsageError, out, withFlagHints } from "./cli-args.js";
import { evaluateCommand, exportCommand, predictCommand } from "./cli-checkpoint.js";
import { doctorCommand } from "./cli-doctor.js";
import { trainCommand } from "./cli-train.js";

const MAIN_HELP = `Usage: ${NAME} <command> [options]

Commands:
  train      train a model on MNIST and report test accuracy
  evaluate   evaluate a saved checkpoint on the test set
  predict    show one test image and the model's prediction
  doctor     diagnose an untrained model on one batch (why it may not learn)
  export     write a checkpoint's model as ONNX or PyTorch safetensors

Run '${NAME} <command> --help' for a command's options. Exit status: 0 success, 1 an error
(one line naming the file or flag; --verbose adds the stack), 2 a mistake in the command line.`;

/** Each command resolves to its exit code, or to nothing for 0. */
const COMMANDS: Record<string, (args: string[]) => Promise<number | void>> = {
  train: trainCommand,
  evaluate: evaluateCommand,
  predict: predictCommand,
  doctor: doctorCommand,
  export: exportCommand,
};

// What V8 and WebAssembly say when an allocation fails.
const OUT_OF_MEMORY = /WebAssembly\.Memory|Array buffer allocation failed|Invalid typed array len/;

/** The message of a failure as the CLI prints it: flags named, a lone spec problem inline. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const problems = (error as { problems?: ReadonlyArray<{ message: string }> }).problems;
  let message = error.message;
  if (error.name === "SpecError" && problems?.length === 1) {
    message = `${message.split("\n")[0].replace(/ \(1 problem\):$/, ":")} ${problems[0].message}`;
  }
  if (OUT_OF_MEMORY.test(message)) {
    message = `out of memory (${message}): the model, its training state and the data do not ` +
      "fit; try a smaller model";
  }
  return withFlagHints(message);
}

function report(error: unknown, verbose: boolean): void {
  process.stderr.write(`${NAME}: error: ${describeError(error)}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
}

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const verbose = args.includes("--verbose");
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      if (command !== undefined) return (out(MAIN_HELP), 0);
      process.stderr.write(`${MAIN_HELP}\n`);
      return 2;
    }
    const run = COMMANDS[command];
    if (!run) {
      const known = Object.keys(COMMANDS);
      const near = suggestName(command, known);
      throw new UsageError(
        `unknown command ${JSON.stringify(command)}` +
          (near ? `; did you mean ${near}?` : `; expected ${known.join(", ")}`),
      );
    }
    return (await run(args)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const help = `${NAME} ${command && COMMANDS[command] ? `${command} ` : ""}--help`;
      process.stderr.write(`${NAME}: ${error.message} (see '${help}')\n`);
      return 2;
    }
    report(error, verbose);
    return 1;
  }
}

// Whatever escapes main (a failure in a callback or a worker) is still one line, not a stack.
const verbose = process.argv.includes("--verbose");
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (error: unknown) => {
    report(error, verbose);
    process.exit(1);
  });
}
// A closed pipe (`... | head`) is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  report(error, verbose);
  process.exit(1);
});

process.exitCode = await main(process.argv.slice(2));
