// Option records checked at runtime: from JavaScript a misspelled key would be silently ignored
// (`{ lr: 0.01 }` training at the default rate), so unknown keys are errors with a suggestion.

/** Names users often type for an option, mapped to tapegrad's spelling. */
const ALIASES: Readonly<Record<string, string>> = {
  lr: "learningRate",
  learning_rate: "learningRate",
  rate: "learningRate",
  wd: "weightDecay",
  weight_decay: "weightDecay",
  batch_size: "batchSize",
  bs: "batchSize",
  keepdim: "keepdims",
  requires_grad: "requiresGrad",
  in_features: "inputSize",
  out_features: "outputSize",
  betas: "beta1",
  slope: "alpha",
  negative_slope: "alpha",
  retain_graph: "retainGraph",
  create_graph: "createGraph",
};

/**
 * Edit distance between two short strings: insertions, deletions, substitutions and swaps of
 * two neighbours ("alhpa" is one edit from "alpha").
 */
function distance(a: string, b: string): number {
  const rows = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2][j - 2] + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length][b.length];
}

/**
 * The valid name closest to `key`: a known alias, the same name in another case, a name it
 * begins (`step` → `stepSize`, three letters at least), or one within a third of its length in
 * edits; undefined when nothing is close.
 */
export function suggestName(key: string, valid: readonly string[]): string | undefined {
  const alias = ALIASES[key] ?? ALIASES[key.toLowerCase()];
  if (alias !== undefined && valid.includes(alias)) return alias;
  const folded = key.toLowerCase().replace(/[_-]/g, "");
  const sameLetters = valid.find((v) => v.toLowerCase() === folded);
  if (sameLetters !== undefined) return sameLetters;
  const begun = valid.find((v) => folded.length >= 3 && v.toLowerCase().startsWith(folded));
  if (begun !== undefined) return begun;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const v of valid) {
    // The lengths alone bound the edits from below: a megabyte-long key costs nothing here.
    if (Math.abs(folded.length - v.length) >= bestDistance) continue;
    const d = distance(folded, v.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [v, d];
  }
  return best;
}

/**
 * Throws a TypeError unless `options` is undefined or a plain object whose own keys are all in
 * `valid`. The message names `where`, the unknown key, a "did you mean" and the valid keys:
 * `Adam: unknown option "lr"; did you mean "learningRate"? Valid options: learningRate, …`.
 * Returns the options (an empty object for undefined).
 * @example const { learningRate = 1e-3 } = checkOptions("Adam", options, ["learningRate"]);
 */
export function checkOptions<T extends object>(
  where: string, options: T | undefined, valid: readonly string[],
): T {
  if (options === undefined) return {} as T;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    const got = options === null ? "null" : Array.isArray(options) ? "an array" : typeof options;
    throw new TypeError(`${where}: options must be an object; got ${got}`);
  }
  for (const key of Object.keys(options)) {
    if (valid.includes(key)) continue;
    const suggestion = suggestName(key, valid);
    const hint = suggestion === undefined ? "" : `; did you mean ${JSON.stringify(suggestion)}?`;
    const list = valid.length === 0 ? "none" : valid.join(", ");
    throw new TypeError(
      `${where}: unknown option ${JSON.stringify(key)}${hint}${hint ? " " : "; "}` +
        `Valid options: ${list}`,
    );
  }
  return options;
}
