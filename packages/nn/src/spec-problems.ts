// Spec validation problems: paths (`layers[2].units`), bounded previews of values, SpecError.
import type * as v from "valibot";
import { LAYER_CLASS, UNKNOWN_KEYS } from "./spec-strict.js";

/** One validation problem: where (`layers[2].units`), what is wrong, and the value found. */
export interface SpecProblem {
  readonly path: string;
  readonly message: string;
}

/** How many problems a SpecError's message lists; `problems` holds all of them. */
const LISTED = 20;

/** An invalid model spec; `problems` lists every issue, the message shows one per line. */
export class SpecError extends Error {
  override name = "SpecError";
  constructor(
    readonly problems: readonly SpecProblem[],
    source = "parseSpec",
  ) {
    const n = problems.length;
    const lines = problems.slice(0, LISTED).map((p) => `  ${p.message}`);
    if (n > LISTED) lines.push(`  … and ${n - LISTED} more (the error's problems list them all)`);
    const count = `${n} problem${n === 1 ? "" : "s"}`;
    super(`${source}: invalid model spec (${count}):\n${lines.join("\n")}`);
  }
}

/** A valibot issue as a problem: its path, its message and (unless missing) the value found. */
export function toProblem(issue: v.BaseIssue<unknown>, root: unknown): SpecProblem {
  const keys = (issue.path ?? []).map((item) => item.key as PropertyKey);
  const path = formatPath(keys);
  let parent: unknown;
  let value: unknown = root;
  for (const key of keys) {
    parent = value;
    value = isRecord(value) ? value[key as string] : undefined;
  }
  const key = keys[keys.length - 1];
  const missing = isRecord(parent) && !Object.hasOwn(parent, key as string);
  const bare = issue.expected === UNKNOWN_KEYS || issue.expected === LAYER_CLASS;
  const message = bare ? `${path} ${issue.message}`
    : missing ? `${path} is missing; it ${issue.message}`
    : `${path} ${issue.message}; got ${describe(value)}`;
  return { path, message };
}

/** ["layers", 2, "units"] -> "layers[2].units"; the root is "spec". */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "spec";
  const part = (k: PropertyKey, i: number): string =>
    typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`;
  return path.map(part).join("");
}

/** Whether `x` is an object or an array (something a path can step into). */
export function isRecord(x: unknown): x is Record<string | number, unknown> {
  return typeof x === "object" && x !== null;
}

const PREVIEW = 60;

/**
 * A short JSON-like preview of a value found in a spec: at most 60 characters, however large,
 * deep or cyclic the value is (a JSON.stringify of 100,000 nested arrays overflows the stack).
 */
export function describe(x: unknown): string {
  if (typeof x === "number" || typeof x === "bigint" || x === undefined) return String(x);
  const out: string[] = [];
  let length = 0;
  // Appends until the budget is spent; returns false once it is, which stops every caller.
  const put = (text: string): boolean => {
    out.push(text);
    length += text.length;
    return length <= PREVIEW;
  };
  const walk = (v: unknown): boolean => {
    if (typeof v === "string") return put(JSON.stringify(v.slice(0, PREVIEW)));
    if (!isRecord(v)) return put(v === undefined || typeof v === "function" ? "null" : String(v));
    if (Array.isArray(v)) {
      if (!put("[")) return false;
      for (let i = 0; i < v.length; i++) {
        if ((i > 0 && !put(",")) || !walk(v[i])) return false;
      }
      return put("]");
    }
    if (!put("{")) return false;
    let first = true;
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      if ((!first && !put(",")) || !put(`${JSON.stringify(key.slice(0, PREVIEW))}:`)) return false;
      if (!walk(v[key])) return false;
      first = false;
    }
    return put("}");
  };
  walk(x);
  const text = out.join("");
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW - 3)}...` : text;
}
