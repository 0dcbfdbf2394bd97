// The adversarial safetensors corpus: every case with its exact outcome.
import { encodeSafetensors } from "../src/safetensors.js";

/** What decoding a corpus file must give: this exact error message, or these values. */
export type CorpusOutcome = { readonly error: string } | { readonly value: unknown };

/** One file of a corpus. `name` is unique within its format and is the file's name. */
export interface CorpusCase {
  readonly name: string;
  /** What the case probes, in a few words. */
  readonly about: string;
  /** The file's bytes, built on demand (a few cases are megabytes). */
  readonly bytes: () => Uint8Array;
  readonly expected: CorpusOutcome;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** A file from raw parts: 8-byte LE header length (default: the header's), header, data. */
export function safetensorsFile(
  header: Uint8Array | string, data: ArrayLike<number> = [], length?: bigint,
): Uint8Array {
  const json = typeof header === "string" ? utf8(header) : header;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (...values: number[]) => new Uint8Array(new Float32Array(values).buffer);
/** Little-endian int64 bytes (BigInt64Array uses the platform's order; these do not). */
const i64Bytes = (...values: bigint[]) => {
  const out = new Uint8Array(8 * values.length);
  values.forEach((v, i) => new DataView(out.buffer).setBigInt64(8 * i, v, true));
  return out;
};
const entry = (dtype: string, shape: unknown, offsets: unknown) =>
  `{"dtype":${JSON.stringify(dtype)},"shape":${JSON.stringify(shape)},` +
  `"data_offsets":${JSON.stringify(offsets)}}`;
/** One F32 [2] tensor "a" at [0, 8]: the smallest valid file, varied below. */
const one = (over: string = entry("F32", [2], [0, 8])) => `{"a":${over}}`;
type Tensors = Array<[string, { dtype: string; shape: number[]; data: number[] }]>;
const value = (tensors: Tensors, metadata: Record<string, string> = {}) =>
  ({ value: { tensors, metadata } });

const UTF8 = (n: number) => `header is not valid UTF-8; got ${n} header bytes`;
const DUP = "(JSON.parse would silently keep the last)";
const DEEP = (at: number) => `header nests deeper than 8 levels (at character ${at}); ` +
  "a valid header nests 3";
const NON_NEGATIVE = "data_offsets must be [begin, end] of non-negative integers; got";

function validCases(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const ok = (name: string, about: string, bytes: () => Uint8Array, expected: unknown) =>
    cases.push({ name, about, bytes, expected: expected as CorpusOutcome });
  const a = ["a", { dtype: "float32", shape: [2], data: [1.5, -2] }] as Tensors[number];
  ok("valid-one.safetensors", "one F32 tensor", () => safetensorsFile(one(), f32(1.5, -2)),
    value([a]));
  ok("valid-encoded.safetensors", "F64 and F32 with metadata, as encodeSafetensors writes",
    () => encodeSafetensors({
      w: { dtype: "float32", shape: [2, 1], data: new Float32Array([0.5, 4]) },
      b: { dtype: "float64", shape: [], data: new Float64Array([-3]) },
    }, { format: "pt" }),
    value([
      ["b", { dtype: "float64", shape: [], data: [-3] }],
      ["w", { dtype: "float32", shape: [2, 1], data: [0.5, 4] }],
    ], { format: "pt" }));
  ok("valid-empty.safetensors", "no tensors at all", () => safetensorsFile("{}"), value([]));
  ok("valid-half.safetensors", "F16 and BF16 widen exactly",
    () => safetensorsFile(
      `{"h":${entry("F16", [3], [0, 6])},"g":${entry("BF16", [2], [6, 10])}}`,
      [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x80, 0x3f, 0x40, 0xc0],
    ),
    value([
      ["h", { dtype: "float32", shape: [3], data: [1, -2, 65504] }],
      ["g", { dtype: "float32", shape: [2], data: [1, -3] }],
    ]));
  ok("valid-zero-size.safetensors", "an empty tensor between two others",
    () => safetensorsFile(
      `{"a":${entry("F32", [1], [0, 4])},"e":${entry("F32", [0, 3], [4, 4])},` +
        `"z":${entry("F32", [1], [4, 8])}}`, f32(1, 2)),
    value([
      ["a", { dtype: "float32", shape: [1], data: [1] }],
      ["e", { dtype: "float32", shape: [0, 3], data: [] }],
      ["z", { dtype: "float32", shape: [1], data: [2] }],
    ]));
  ok("valid-i64.safetensors", "I64 (PyTorch's num_batches_tracked) as exact doubles",
    () => safetensorsFile(`{"n":${entry("I64", [3], [0, 24])}}`,
      i64Bytes(0n, -5n, 2n ** 53n - 1n)),
    value([["n", { dtype: "int64", shape: [3], data: [0, -5, 2 ** 53 - 1] }]]));
  ok("valid-i64-scalar.safetensors", "an I64 scalar beside F32, as a BatchNorm2d state_dict",
    () => safetensorsFile(
      `{"a":${entry("F32", [2], [8, 16])},"n":${entry("I64", [], [0, 8])}}`,
      [...i64Bytes(937n), ...f32(1.5, -2)]),
    value([a, ["n", { dtype: "int64", shape: [], data: [937] }]]));
  ok("valid-proto-name.safetensors", "a tensor named __proto__ stays a plain entry",
    () => safetensorsFile(`{"__proto__":${entry("F32", [2], [0, 8])}}`, f32(1.5, -2)),
    value([["__proto__", a[1]]]));
  ok("valid-unicode-name.safetensors", "a non-ASCII name",
    () => safetensorsFile(`{"权重.α":${entry("F32", [2], [0, 8])}}`, f32(1.5, -2)),
    value([["权重.α", a[1]]]));
  ok("valid-bom.safetensors", "a UTF-8 byte order mark before the header",
    () => safetensorsFile(`\ufeff${one()}`, f32(1.5, -2)), value([a]));
  ok("valid-padding.safetensors", "spaces after the header, as the writer pads",
    () => safetensorsFile(`${one()}       `, f32(1.5, -2)), value([a]));
  ok("valid-brackets-in-name.safetensors", "brackets inside strings do not count as nesting",
    () => safetensorsFile(`{"[[[[[[[[[[{{{{":${entry("F32", [2], [0, 8])}}`, f32(1.5, -2)),
    value([["[[[[[[[[[[{{{{", a[1]]]));
  ok("valid-depth-8.safetensors", "an unknown field nesting to the limit (8) is ignored",
    () => safetensorsFile(
      `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":[[[[[[1]]]]]]}}`, f32(1.5, -2)),
    value([a]));
  ok("valid-offsets-8.0.safetensors", "8.0 is the integer 8 in JSON",
    () => safetensorsFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}}`,
      f32(1.5, -2)),
    value([a]));
  return cases;
}

function lengthCases(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const err = (name: string, about: string, bytes: () => Uint8Array, message: string) =>
    cases.push({ name, about, bytes, expected: { error: `decodeSafetensors: ${message}` } });
  const whole = safetensorsFile(
    `{"b":${entry("F64", [1], [0, 8])},"a":${entry("F32", [2], [8, 16])}}`,
    [...new Uint8Array(new Float64Array([3]).buffer), ...f32(1.5, -2)],
  );
  const n = whole.length - 8 - 16; // header length
  // Every structural boundary: inside the length, inside the header, between and in tensors.
  for (const cut of [0, 1, 4, 7]) {
    err(`truncated-at-${cut}.safetensors`, "cut inside the 8-byte length",
      () => whole.slice(0, cut),
      `file shorter than the 8-byte header length; got ${cut} bytes`);
  }
  for (const cut of [8, 9, 8 + (n >> 1), 8 + n - 1]) {
    err(`truncated-at-${cut}.safetensors`, "cut inside the header", () => whole.slice(0, cut),
      `header length runs past the end of the file; got ${n} with ${cut - 8} bytes after the ` +
        "8-byte prefix");
  }
  for (const data of [0, 4, 8, 12, 15]) {
    const [tensor, offsets] = data < 8 ? ["b", "[0, 8]"] : ["a", "[8, 16]"];
    err(`truncated-at-${8 + n + data}.safetensors`, "cut in the data",
      () => whole.slice(0, 8 + n + data),
      `tensor "${tensor}": data_offsets ${offsets} run past the data region; got ${data} bytes`);
  }
  err("length-2^63.safetensors", "an absurd header length",
    () => safetensorsFile("{}", [], 2n ** 63n),
    "header length runs past the end of the file; got 9223372036854775808 with 2 bytes after " +
      "the 8-byte prefix");
  err("length-wraps-32.safetensors", "a length that is 2 in its low 32 bits",
    () => safetensorsFile("{}", [], 2n ** 32n + 2n),
    "header length runs past the end of the file; got 4294967298 with 2 bytes after the " +
      "8-byte prefix");
  err("length-0.safetensors", "an empty header", () => safetensorsFile(""),
    "header is not valid JSON; got Unexpected end of JSON input");
  err("length-over-max.safetensors", "a 4 MiB + 8 header (the default maxHeaderBytes is 4 MiB)",
    () => safetensorsFile(`{}${" ".repeat(4 * 1024 * 1024 + 6)}`),
    "header length exceeds maxHeaderBytes 4194304; got 4194312");
  return cases;
}

function textCases(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const err = (name: string, about: string, bytes: () => Uint8Array, message: string) =>
    cases.push({ name, about, bytes, expected: { error: `decodeSafetensors: ${message}` } });
  const withBytes = (bad: number[]) => {
    const header = new Uint8Array([...utf8('{"'), ...bad, ...utf8('":{}}')]);
    return () => safetensorsFile(header);
  };
  err("utf8-ff.safetensors", "a 0xff byte in a name", withBytes([0xff]), UTF8(8));
  err("utf8-overlong.safetensors", "an overlong '/' (0xc0 0xaf)", withBytes([0xc0, 0xaf]), UTF8(9));
  err("utf8-surrogate.safetensors", "a UTF-8-encoded surrogate", withBytes([0xed, 0xa0, 0x80]),
    UTF8(10));
  err("utf8-cut.safetensors", "a multibyte character cut at the header's end",
    () => safetensorsFile(new Uint8Array([...utf8("{}"), 0xe2, 0x82])), UTF8(4));
  err("json-open.safetensors", "an unclosed object", () => safetensorsFile("{"),
    "header is not valid JSON; got Expected property name or '}' in JSON at position 1");
  err("json-comma.safetensors", "a trailing comma",
    () => safetensorsFile(`{"a":${entry("F32", [0], [0, 0])},}`),
    "header is not valid JSON; got Expected double-quoted property name in JSON at position 54");
  for (const [name, text, got] of [
    ["array", "[1]", "[1]"], ["string", '"x"', '"x"'], ["number", "7", "7"],
    ["null", "null", "null"],
  ] as const) {
    err(`header-${name}.safetensors`, `a header that is a ${name}`, () => safetensorsFile(text),
      `header must be a JSON object; got ${got}`);
  }
  err("entry-number.safetensors", "an entry that is not an object", () => safetensorsFile(one("1")),
    'tensor "a": entry must be an object; got 1');
  err("dup-name.safetensors", "a tensor name twice (JSON.parse keeps the last)",
    () => safetensorsFile(`{"a":${entry("F32", [1], [0, 4])},"a":${entry("F32", [1], [4, 8])}}`,
      f32(1, 2)),
    `duplicate tensor name "a" in the header ${DUP}`);
  err("dup-name-escaped.safetensors", '"a" and "\\u0061" are the same name',
    () => safetensorsFile(
      `{"a":${entry("F32", [1], [0, 4])},"\\u0061":${entry("F32", [1], [4, 8])}}`, f32(1, 2)),
    `duplicate tensor name "a" in the header ${DUP}`);
  err("dup-metadata.safetensors", "__metadata__ twice",
    () => safetensorsFile('{"__metadata__":{"a":"1"},"__metadata__":{"a":"2"}}'),
    `duplicate "__metadata__" in the header ${DUP}`);
  err("dup-dtype.safetensors", "dtype twice in one entry",
    () => safetensorsFile(one('{"dtype":"F64","dtype":"F32","shape":[2],"data_offsets":[0,8]}'),
      f32(1.5, -2)),
    'tensor "a": duplicate key "dtype"');
  err("dup-metadata-key.safetensors", "a metadata key twice",
    () => safetensorsFile('{"__metadata__":{"k":"1","k":"2"}}'),
    '__metadata__: duplicate key "k"');
  for (const [label, escaped, code] of [
    ["nul", "\\u0000", "0000"], ["newline", "a\\nb", "000A"], ["del", "\\u007f", "007F"],
    ["c1", "x\\u0085", "0085"],
  ] as const) {
    err(`name-${label}.safetensors`, `a control character (U+${code}) in a name`,
      () => safetensorsFile(`{"${escaped}":${entry("F32", [0], [0, 0])}}`),
      `tensor name "${escaped}" contains a control character ` +
        `(U+${code})`);
  }
  err("name-surrogate.safetensors", "a lone surrogate in a name",
    () => safetensorsFile(`{"\\ud800":${entry("F32", [0], [0, 0])}}`),
    'tensor name "\\ud800" is not valid Unicode (a lone surrogate)');
  err("metadata-key-tab.safetensors", "a control character in a metadata key",
    () => safetensorsFile('{"__metadata__":{"a\\tb":"x"}}'),
    '__metadata__ key "a\\tb" contains a control character (U+0009)');
  const deepShape = `{"a":{"dtype":"F32","shape":${"[".repeat(1000)}${"]".repeat(1000)},` +
    '"data_offsets":[0,0]}}';
  err("deep-shape.safetensors", "a shape nested 1000 deep", () => safetensorsFile(deepShape),
    DEEP(deepShape.indexOf("[") + 6));
  const deepMeta = `{"__metadata__":${'{"k":'.repeat(50)}"v"${"}".repeat(50)}}`;
  err("deep-metadata.safetensors", "a metadata value nested 50 deep",
    () => safetensorsFile(deepMeta), DEEP(16 + 5 * 7));
  err("deep-array.safetensors", "a header of 100000 nested arrays",
    () => safetensorsFile(`${"[".repeat(100_000)}${"]".repeat(100_000)}`), DEEP(8));
  err("deep-unclosed.safetensors", "100000 unclosed brackets (not JSON either)",
    () => safetensorsFile("[".repeat(100_000)), DEEP(8));
  err("depth-9-extra-field.safetensors", "an unknown field one level past the limit",
    () => safetensorsFile(
      `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":[[[[[[[1]]]]]]]}}`, f32(1.5, -2)),
    DEEP(63));
  return cases;
}

function layoutCases(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const err = (name: string, about: string, bytes: () => Uint8Array, message: string) =>
    cases.push({ name, about, bytes, expected: { error: `decodeSafetensors: ${message}` } });
  const two = (a: unknown, b: unknown, bytes: number) => () => safetensorsFile(
    `{"a":${entry("F32", [2], a)},"b":${entry("F32", [2], b)}}`, new Uint8Array(bytes));
  err("overlap.safetensors", "two tensors sharing 4 bytes", two([0, 8], [4, 12], 12),
    'tensor "b" overlaps tensor "a"; got data_offsets [4, 12] and [0, 8]');
  err("alias.safetensors", "two tensors on the same bytes", two([0, 8], [0, 8], 8),
    'tensor "b" overlaps tensor "a"; got data_offsets [0, 8] and [0, 8]');
  err("gap-start.safetensors", "4 unused bytes before the first tensor",
    () => safetensorsFile(one(entry("F32", [2], [4, 12])), new Uint8Array(12)),
    'hole of 4 bytes before tensor "a" after the start of the data region; got data_offsets ' +
      "[4, 12], expected begin 0");
  err("gap-between.safetensors", "4 unused bytes between tensors", two([0, 8], [12, 20], 20),
    'hole of 4 bytes before tensor "b" after tensor "a"; got data_offsets [12, 20], ' +
      "expected begin 8");
  err("trailing.safetensors", "4 bytes after the last tensor",
    () => safetensorsFile(one(), new Uint8Array(12)),
    "4 trailing bytes after the last tensor; got a data region of 12 bytes with tensors " +
      "covering 8");
  const layout = (name: string, about: string, over: string, message: string, data = 8) =>
    err(name, about, () => safetensorsFile(one(over), new Uint8Array(data)),
      `tensor "a": ${message}`);
  layout("offsets-reversed.safetensors", "begin after end", entry("F32", [2], [8, 0]),
    "data_offsets begin > end; got [8, 0]");
  layout("offsets-wrap-32.safetensors", "an end that is 8 in its low 32 bits",
    entry("F32", [2], [0, 2 ** 32 + 8]),
    "data_offsets [0, 4294967304] run past the data region; got 8 bytes");
  layout("offsets-2^53.safetensors", "an end beyond exact integers",
    '{"dtype":"F32","shape":[2],"data_offsets":[0,9007199254740993]}',
    `${NON_NEGATIVE} [0,9007199254740992]`);
  layout("offsets-negative.safetensors", "a negative begin", entry("F32", [2], [-8, 0]),
    `${NON_NEGATIVE} [-8,0]`);
  layout("offsets-fraction.safetensors", "a fractional end", entry("F32", [2], [0, 7.5]),
    `${NON_NEGATIVE} [0,7.5]`);
  layout("offsets-strings.safetensors", "offsets as strings", entry("F32", [2], ["0", "8"]),
    `${NON_NEGATIVE} ["0","8"]`);
  layout("offsets-three.safetensors", "three offsets", entry("F32", [2], [0, 8, 16]),
    `${NON_NEGATIVE} [0,8,16]`);
  layout("offsets-missing.safetensors", "no data_offsets", '{"dtype":"F32","shape":[2]}',
    `${NON_NEGATIVE} undefined`);
  layout("dtype-unknown.safetensors", "dtype F128", entry("F128", [2], [0, 8]),
    'unknown dtype; got "F128"');
  layout("dtype-lowercase.safetensors", "dtype f32", entry("f32", [2], [0, 8]),
    'unknown dtype; got "f32"');
  layout("dtype-missing.safetensors", "no dtype", '{"shape":[2],"data_offsets":[0,8]}',
    "unknown dtype; got undefined");
  layout("dtype-i32.safetensors", "a known dtype tapegrad does not read",
    entry("I32", [2], [0, 8]), "dtype not supported (expected F32, F64, F16, BF16, I64); got I32");
  const i64 = (name: string, about: string, v: bigint, message: string) =>
    err(name, about, () => safetensorsFile(
      `{"n":${entry("I64", [2], [0, 16])}}`, i64Bytes(7n, v)), `tensor "n": ${message}`);
  i64("i64-2^53.safetensors", "an I64 value a double cannot hold exactly", 2n ** 53n,
    "I64 value 9007199254740992 at index 1 is beyond ±(2^53 − 1), which a double cannot hold " +
      "exactly");
  i64("i64-min.safetensors", "the most negative I64", -(2n ** 63n),
    "I64 value -9223372036854775808 at index 1 is beyond ±(2^53 − 1), which a double cannot " +
      "hold exactly");
  i64("i64-minus-2^53.safetensors", "−2^53", -(2n ** 53n),
    "I64 value -9007199254740992 at index 1 is beyond ±(2^53 − 1), which a double cannot hold " +
      "exactly");
  layout("i64-bytes.safetensors", "an I64 shape needing 16 bytes on 8", entry("I64", [2], [0, 8]),
    "shape [2] needs 16 bytes (I64) but data_offsets span 8; got data_offsets [0, 8]");
  layout("shape-bytes.safetensors", "a shape needing 12 bytes on 8", entry("F32", [3], [0, 8]),
    "shape [3] needs 12 bytes (F32) but data_offsets span 8; got data_offsets [0, 8]");
  layout("shape-wrap-32.safetensors", "65536×65536 F32: 16 GiB, 0 in 32 bits",
    entry("F32", [65536, 65536], [0, 0]),
    "shape [65536, 65536] needs 17179869184 bytes (F32) but data_offsets span 0; got " +
      "data_offsets [0, 0]", 0);
  layout("shape-2^90.safetensors", "more elements than a double counts exactly",
    entry("F32", [2 ** 30, 2 ** 30, 2 ** 30], [0, 0]),
    "shape [1073741824, 1073741824, 1073741824] has more than 2^53 elements", 0);
  layout("shape-rank-64.safetensors", "64 dimensions, the most allowed",
    entry("F32", Array(64).fill(1), [0, 8]),
    "shape [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, " +
      "1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, " +
      "1, 1, 1, 1, 1, 1] needs 4 bytes (F32) but data_offsets span 8; got data_offsets [0, 8]");
  layout("shape-rank-65.safetensors", "65 dimensions", entry("F32", Array(65).fill(1), [0, 4]),
    "shape has more than 64 dimensions; at most 64 are allowed", 4);
  layout("shape-2M-dims.safetensors", "a 4 MB shape, refused before JSON.parse builds it",
    `{"dtype":"F32","shape":[${"1,".repeat(2_000_000)}1],"data_offsets":[0,4]}`,
    "shape has more than 64 dimensions; at most 64 are allowed", 4);
  err("offsets-65.safetensors", "65 offsets",
    () => safetensorsFile(one(entry("F32", [2], Array(65).fill(0))), new Uint8Array(8)),
    'tensor "a" field "data_offsets": an array of more than 64 elements; no header field has ' +
      "so many");
  layout("shape-negative.safetensors", "a negative dimension", entry("F32", [-1], [0, 8]),
    "shape must list non-negative integers; got [-1]");
  layout("shape-fraction.safetensors", "a fractional dimension", entry("F32", [2.5], [0, 8]),
    "shape must list non-negative integers; got [2.5]");
  layout("shape-string.safetensors", "a shape that is a string", entry("F32", "2", [0, 8]),
    'shape must list non-negative integers; got "2"');
  layout("shape-nested.safetensors", "a nested shape", entry("F32", [[2]], [0, 8]),
    "shape must list non-negative integers; got [[2]]");
  layout("shape-long.safetensors", "a long bad shape is shown short",
    entry("F32", Array(60).fill(-1), [0, 8]),
    `shape must list non-negative integers; got [${Array(20).fill(-1).join(",")}]`);
  err("header-long-array.safetensors", "a header that is a long array",
    () => safetensorsFile(`[${Array(100).fill(0).join(",")}]`),
    "header must be a JSON object; got an array of more than 64");
  const meta = (name: string, about: string, text: string, message: string) =>
    err(name, about, () => safetensorsFile(`{"__metadata__":${text}}`), message);
  meta("metadata-number.safetensors", "a metadata value that is a number", '{"k":1}',
    '__metadata__ value for "k" must be a string; got 1');
  meta("metadata-object.safetensors", "a metadata value that is an object", '{"k":{"x":"y"}}',
    '__metadata__ value for "k" must be a string; got {"x":"y"}');
  meta("metadata-array.safetensors", "metadata that is an array", '["x"]',
    '__metadata__ must be an object of strings; got ["x"]');
  meta("metadata-null.safetensors", "metadata that is null", "null",
    "__metadata__ must be an object of strings; got null");
  return cases;
}

/** Every safetensors corpus case. */
export function safetensorsCorpus(): CorpusCase[] {
  return [...validCases(), ...lengthCases(), ...textCases(), ...layoutCases()];
}
