// Safetensors header checks JSON.parse cannot make: nesting depth, duplicate keys, bad names.
import {
  CLOSE_ARRAY, CLOSE_OBJECT, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE, decodeKey, stringEnd,
} from "./json-text.js";

/** Deepest nesting accepted in a header; a valid one nests 3 (entries, an entry, its shape). */
export const SAFETENSORS_MAX_DEPTH = 8;
/** Most elements of any header array: a shape has at most 64 dimensions (PyTorch's limit). */
export const SAFETENSORS_MAX_ARRAY = 64;

const METADATA_KEY = "__metadata__";

/** One open object or array while scanning. */
interface Frame {
  /** Keys seen so far (null for an array): a Set at the top, where there are many. */
  readonly keys: Set<string> | string[] | null;
  /** The key under which this container sits in its parent ("" at the top or in an array). */
  readonly key: string;
  expectKey: boolean;
  lastKey: string;
  /** Commas seen directly inside (elements − 1, for an array). */
  commas: number;
}


/**
 * Scans safetensors header text once, outside strings. Throws at once when brackets nest
 * deeper than {@link SAFETENSORS_MAX_DEPTH}, valid JSON or not, so neither JSON.parse nor an
 * error message builds something deep. Returns a check that throws the first duplicate key
 * (JSON.parse silently keeps the last) or tensor name with a control character or a lone
 * surrogate; call it once JSON.parse has accepted the text, as on broken JSON those findings
 * could be wrong.
 * @example
 * const afterParse = checkHeaderText("decodeSafetensors", text);
 * const json = JSON.parse(text);
 * afterParse();
 */
export function checkHeaderText(fn: string, text: string): () => void {
  const stack: Frame[] = [];
  let problem: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top !== undefined && top.expectKey) {
        const key = decodeKey(text, i, end);
        if (problem === undefined && key !== undefined) problem = checkKey(key, stack);
        top.lastKey = key ?? "";
        top.expectKey = false;
      }
      i = end - 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (stack.length === SAFETENSORS_MAX_DEPTH) {
        throw new Error(
          `${fn}: header nests deeper than ${SAFETENSORS_MAX_DEPTH} levels (at character ${i}); ` +
            "a valid header nests 3",
        );
      }
      const parent = stack[stack.length - 1];
      const key = parent?.keys ? parent.lastKey : "";
      const object = c === OPEN_OBJECT;
      const keys = !object ? null : stack.length === 0 ? new Set<string>() : [];
      stack.push({ keys, key, expectKey: object, lastKey: "", commas: 0 });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      else if (top !== undefined && ++top.commas === SAFETENSORS_MAX_ARRAY) {
        // Before JSON.parse builds it: a header array of millions of numbers costs ~100 MB.
        throw new Error(`${fn}: ${longArray(stack)}`);
      }
    }
  }
  return () => {
    if (problem !== undefined) throw new Error(`${fn}: ${problem}`);
  };
}

function longArray(stack: readonly Frame[]): string {
  const most = SAFETENSORS_MAX_ARRAY;
  if (stack.length === 1) return `header must be a JSON object; got an array of more than ${most}`;
  const top = stack[stack.length - 1];
  if (stack.length === 3 && top.key === "shape" && stack[1].key !== METADATA_KEY) {
    return `tensor ${quote(stack[1].key)}: shape has more than ${most} dimensions; at most ` +
      `${most} are allowed`;
  }
  return `${contextOf(stack)}: an array of more than ${most} elements; no header field has so many`;
}

/** Where the innermost container of `stack` sits, for messages: `tensor "w" field "x"`. */
function contextOf(stack: readonly Frame[]): string {
  const [, entry, ...rest] = stack;
  if (entry === undefined) return "header";
  const head = entry.key === METADATA_KEY ? METADATA_KEY : `tensor ${quote(entry.key)}`;
  return rest.filter((f) => f.key !== "").reduce((at, f) => `${at} field ${quote(f.key)}`, head);
}

function checkKey(key: string, stack: readonly Frame[]): string | undefined {
  const depth = stack.length;
  const keys = stack[depth - 1].keys!;
  const seen = keys instanceof Set ? keys.has(key) : keys.includes(key);
  if (seen) {
    return depth === 1
      ? `duplicate ${key === METADATA_KEY ? "" : "tensor name "}${quote(key)} in the header ` +
        "(JSON.parse would silently keep the last)"
      : `${contextOf(stack)}: duplicate key ${quote(key)}`;
  }
  if (keys instanceof Set) keys.add(key);
  else keys.push(key);
  const isName = depth === 1 || (depth === 2 && stack[1].key === METADATA_KEY);
  if (!isName) return undefined;
  const what = depth === 1 ? "tensor name" : `${METADATA_KEY} key`;
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(key);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return `${what} ${quote(key)} contains a control character (U+${code})`;
  }
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(key)) {
    return `${what} ${quote(key)} is not valid Unicode (a lone surrogate)`;
  }
  return undefined;
}

/** JSON quoting with every control character escaped (JSON.stringify leaves U+007F–U+009F). */
function quote(key: string): string {
  return JSON.stringify(key).replace(
    /[\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
