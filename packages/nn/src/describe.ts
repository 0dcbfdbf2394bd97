// What a caller passed, in words, for error messages that say what came instead of what.

/** A value for an error message: `the number 3`, `null`, `a Sequential`, `an object`. */
export function describeValue(value: unknown): string {
  if (typeof value === "number") return `the number ${value}`;
  if (value === null || typeof value !== "object") return String(value);
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

/** A value passed where a tensor belongs, with how to make one from arrays and numbers. */
export function describeInput(x: unknown): string {
  if (Array.isArray(x)) return "an array (wrap it with tensor())";
  if (ArrayBuffer.isView(x)) {
    return `a ${x.constructor.name} (wrap it with tensor(data, shape))`;
  }
  if (typeof x === "number") return `the number ${x} (wrap it with tensor())`;
  if (typeof x === "string") return `the string ${JSON.stringify(x.slice(0, 40))}`;
  return describeValue(x);
}
