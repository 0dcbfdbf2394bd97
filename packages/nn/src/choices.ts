// One check shared by the options that take one of a few names (loss, task, layout, …).

/**
 * `value` if it is one of `choices`; else a RangeError such as
 * `fit: loss must be one of bce, crossEntropy, mse; got "hinge"`.
 */
export function checkChoice<T extends string>(
  where: string, key: string, value: unknown, choices: readonly T[],
): T {
  if (!(choices as readonly unknown[]).includes(value)) {
    throw new RangeError(`${where}: ${key} must be one of ${choices.join(", ")}; got ` +
      JSON.stringify(value));
  }
  return value as T;
}
