// The CLI's argument handling: flags parsed strictly, usage errors that say what to do.
import { parseArgs } from "node:util";
import { suggestName } from "@tapegrad/core";
import { SPEC_LIMITS } from "@tapegrad/nn";
import { IDX_DEFAULT_MAX_BYTES } from "./idx.js";
import type { InputLimits } from "./input-limits.js";

/** The command's name, as users type it. */
export const NAME = "tapegrad-mnist";

/** A mistake in the command line: one line on stderr, exit code 2. */
export class UsageError extends Error {}

/** Parsed flags: a string per string flag, true for a boolean flag given. */
export type Values = Record<string, string | boolean | undefined>;
/** The flags a command takes (parseArgs' option records). */
export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** Flags every command takes. */
const COMMON: OptionSpec = {
  json: { type: "boolean" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** Flags that raise the spec limits, for every command that reads a spec. */
export const SPEC_LIMIT_OPTIONS: OptionSpec = {
  "max-parameters": { type: "string" },
  "max-layers": { type: "string" },
  "max-spec-bytes": { type: "string" },
};

/** The flag that raises the IDX limit, for the commands that read --data-dir. */
export const IDX_LIMIT_OPTIONS: OptionSpec = { "max-idx-bytes": { type: "string" } };

const IDX_MAX = IDX_DEFAULT_MAX_BYTES;

/** The help text of the limit flags, with their defaults; `idx` adds --max-idx-bytes. */
export function limitsHelp(idx: boolean): string {
  return [
    "Limits on what is read (docs/limits.md); raise one if a legitimate input hits it:",
    `  --max-parameters N    largest model a spec may build (default ${SPEC_LIMITS.maxParameters})`,
    `  --max-layers N        most layers a spec may list (default ${SPEC_LIMITS.maxLayers})`,
    `  --max-spec-bytes N    largest spec.json or --model file (default ${SPEC_LIMITS.maxBytes})`,
    ...(idx ? [`  --max-idx-bytes N     largest data in one IDX file (default ${IDX_MAX})`] : []),
  ].join("\n");
}

// Names users reach for that are spelled differently here.
const FLAG_ALIASES: Readonly<Record<string, string>> = {
  "learning-rate": "lr", learningrate: "lr", rate: "lr", bs: "batch-size", batch: "batch-size",
  output: "out", "out-dir": "out", dir: "out", data: "data-dir", datadir: "data-dir",
};

/** The closest flag to `name` among `valid` (both without dashes), for "did you mean". */
export function suggestFlag(name: string, valid: readonly string[]): string | undefined {
  const alias = FLAG_ALIASES[name.toLowerCase()];
  if (alias !== undefined && valid.includes(alias)) return alias;
  // suggestName folds "-" and "_" out of what was typed: compare with folded names too.
  const folded = valid.map((v) => v.replace(/-/g, ""));
  const hit = suggestName(name, folded);
  return hit === undefined ? undefined : valid[folded.indexOf(hit)];
}

const NUMBER = /^-(\d|\.\d|Infinity\b)/;

/**
 * Parses `args` strictly against `options` (plus --json, --verbose, --help). Mistakes become
 * one-line UsageErrors: an unknown flag with a "did you mean", a missing value, and a negative
 * number (`--epochs -1`) is taken as the value so that its own check can say what is wrong.
 */
export function parse(command: string, args: string[], options: OptionSpec): Values {
  const all = { ...COMMON, ...options };
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : undefined;
    const next = args[i + 1];
    if (name !== undefined && all[name]?.type === "string" && next !== undefined &&
      NUMBER.test(next)) {
      joined.push(`--${name}=${next}`);
      i++;
    } else {
      joined.push(args[i]);
    }
  }
  try {
    return parseArgs({
      args: joined, options: all, strict: true, allowPositionals: false,
    }).values as Values;
  } catch (error) {
    throw new UsageError(`${command}: ${explain(error as Error & { code?: string }, all)}`);
  }
}

/** Node's parseArgs error as one line that says what to do. */
function explain(error: Error & { code?: string }, options: OptionSpec): string {
  const message = error.message;
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? "";
  const valid = Object.keys(options);
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const near = suggestFlag(flag.replace(/^-+/, ""), valid);
    return `unknown option ${flag}${near ? `; did you mean --${near}?` : ""}`;
  }
  if (error.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const word = /'([^']*)'/.exec(message)?.[1] ?? "";
    const near = suggestFlag(word, valid);
    return `unexpected argument ${JSON.stringify(word)}; flags start with --` +
      (near ? ` (did you mean --${near}?)` : "");
  }
  if (/argument missing/.test(message)) return `${flag} needs a value`;
  if (/ambiguous/.test(message)) {
    return `${flag} needs a value; the next word starts with '-' (write ${flag}=VALUE if it ` +
      "is the value)";
  }
  if (/does not take an argument/.test(message)) return `${flag} takes no value`;
  return message.split("\n")[0];
}

/** How to print a value the user typed: numbers as they are, anything else quoted. */
function shown(text: string): string {
  return text.trim() !== "" && !Number.isNaN(Number(text)) ? text : JSON.stringify(text);
}

/** The integer flag `--key`, at least `min`; undefined when absent. */
export function integer(values: Values, key: string, min = 0): number | undefined {
  const text = values[key];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== "string" || text.trim() === "" || !Number.isSafeInteger(n) || n < min) {
    const want = min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer"
      : `an integer ≥ ${min}`;
    throw new UsageError(`--${key} must be ${want}; got ${shown(String(text))}`);
  }
  return n;
}

/** The number flag `--key`; undefined when absent. */
export function real(values: Values, key: string): number | undefined {
  const text = values[key];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== "string" || text.trim() === "" || !Number.isFinite(n)) {
    throw new UsageError(`--${key} must be a number; got ${shown(String(text))}`);
  }
  return n;
}

/** The string flag `--key`, which `command` cannot do without. */
export function required(values: Values, key: string, command: string): string {
  const v = values[key];
  if (typeof v !== "string") throw new UsageError(`${command}: --${key} is required`);
  if (v === "") throw new UsageError(`${command}: --${key} needs a value; got ""`);
  return v;
}

/** The limits the {@link LIMIT_OPTIONS} flags set (absent ones keep their defaults). */
export function readLimits(values: Values): InputLimits {
  const entries = Object.entries({
    maxParameters: integer(values, "max-parameters", 1),
    maxLayers: integer(values, "max-layers", 1),
    maxSpecBytes: integer(values, "max-spec-bytes", 1),
    maxIdxBytes: integer(values, "max-idx-bytes", 1),
  });
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

// What the libraries say to raise a limit, and the flag that does it from the command line.
const LIMIT_HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/raise the maxParameters option/, "raise it with --max-parameters N"],
  [/raise the maxLayers option/, "raise it with --max-layers N"],
  [/raise the maxBytes option/, "raise it with --max-spec-bytes N"],
  [/pass \{ maxBytes \} to raise the limit/, "pass --max-idx-bytes N to raise the limit"],
];

/** `message` with each library option for raising a limit replaced by the CLI flag. */
export function withFlagHints(message: string): string {
  return LIMIT_HINTS.reduce((text, [pattern, flag]) => text.replace(pattern, flag), message);
}

/** Writes a line on stdout. */
export function out(text: string): void {
  process.stdout.write(`${text}\n`);
}
