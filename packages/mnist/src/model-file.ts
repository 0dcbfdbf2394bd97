// Reading a --model file (spec or recipe) from disk: size checked first, a BOM accepted.
import { SPEC_LIMITS, duplicateKeyMessage, findDuplicateKey } from "@tapegrad/nn";
import { readFileWithin } from "./bounded-read.js";
import type { InputLimits } from "./input-limits.js";
import { type ModelFile, parseModelFile } from "./run.js";

/**
 * Reads the model file at `path` within `limits`: its size is checked before it is read
 * (`maxSpecBytes`, default 16 MiB), then it is decoded as UTF-8 (a leading byte-order mark is
 * fine), parsed as JSON and validated as a spec or a recipe. Errors start with `label path`.
 * @example const { spec, training } = await readModelFile("examples/models/mlp-512-256.json");
 */
export async function readModelFile(
  path: string, limits: InputLimits = {}, label = "--model",
): Promise<ModelFile> {
  const where = `${label} ${path}`;
  const bytes = await readFileWithin(path, {
    where, maxBytes: limits.maxSpecBytes ?? SPEC_LIMITS.maxBytes,
    raise: "raise the maxBytes option",
  });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); // drops a byte-order mark
  } catch {
    throw new Error(`${where} is not valid UTF-8 text`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where} is not valid JSON: ${(error as Error).message}`);
  }
  const repeated = findDuplicateKey(text);
  if (repeated !== undefined) throw new Error(`${where}: ${duplicateKeyMessage(repeated)}`);
  return parseModelFile(json, path, limits);
}
