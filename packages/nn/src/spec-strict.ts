// Two valibot schemas of our own (valibot's guide "Extend Valibot"): strict objects whose
// problems read as zod's did, and the union of layer types discriminated on `type`.
import { suggestName } from "@tapegrad/core";
import * as v from "valibot";
import { LAYER_TYPES, missingClassMessage } from "./layer-registry.js";

/** The `expected` of the issue that lists unknown keys (no value is shown for it). */
export const UNKNOWN_KEYS = "known keys";

/** The `expected` of the issue of a layer whose class the program lacks (no value shown). */
export const LAYER_CLASS = "its layer class";

const NOT_AN_OBJECT = "must be an object";

type Run = v.GenericSchema["~run"];
type Dataset = Parameters<Run>[0];
type Config = Parameters<Run>[1];

// An object a spec can be: arrays, null and primitives are not (valibot's objects take arrays).
function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

// The issue of a value that is no object, with NOT_AN_OBJECT as its message.
function notAnObject(schema: object, dataset: Dataset, config: Config) {
  v._addIssue(schema as never, "type", dataset as never, config);
  return dataset as unknown as ReturnType<Run>;
}

/**
 * A strict object: its known keys validated, a missing one reported with that field's own
 * message (`units is missing; it must be a positive integer`), and every other own key,
 * `__proto__` and `constructor` too (valibot skips those), listed in one issue with the
 * valid keys. Its type is valibot's strictObject, so the JSON Schema converter reads it.
 */
export function strict<const E extends v.ObjectEntries>(
  entries: E,
): v.StrictObjectSchema<E, undefined> {
  const valid = Object.keys(entries);
  const fieldMessage = (issue: v.BaseIssue<unknown>): string => {
    const entry = entries[String(issue.path?.[0]?.key)] as { message?: unknown };
    return typeof entry.message === "string" ? entry.message : "is required";
  };
  const known = v.object(entries, fieldMessage);
  const schema = {
    ...known, type: "strict_object", reference: strict, message: NOT_AN_OBJECT,
    "~run"(dataset: Dataset, config: Config) {
      const input = dataset.value;
      if (!isObject(input)) return notAnObject(this, dataset, config);
      const out = known["~run"](dataset, config);
      const unknown = Object.keys(input).filter((key) => !Object.hasOwn(entries, key));
      if (unknown.length > 0) {
        v._addIssue(this as never, "key", out as never, config, {
          input, expected: UNKNOWN_KEYS, message: unknownKeysMessage(unknown, valid),
        });
      }
      return out;
    },
  };
  return v._standardSchema(schema) as unknown as v.StrictObjectSchema<E, undefined>;
}

/** `has unknown key "size"; valid keys: …`, with at most 5 keys of at most 40 characters. */
export function unknownKeysMessage(keys: readonly string[], valid: readonly string[]): string {
  const shown = keys.slice(0, 5).map((k) => {
    const text = JSON.stringify(k);
    return text.length > 40 ? `${text.slice(0, 37)}..."` : text;
  });
  const more = keys.length > shown.length ? ` and ${keys.length - shown.length} more` : "";
  const s = keys.length === 1 ? "" : "s";
  const near = keys.length === 1 ? suggestName(keys[0], valid) : undefined;
  const hint = near === undefined ? "" : ` (did you mean ${JSON.stringify(near)}?)`;
  return `has unknown key${s} ${shown.join(", ")}${more}${hint}; valid keys: ${valid.join(", ")}`;
}

/** A layer type's schema: a strict object whose `type` is one literal. */
export type LayerSchema = v.StrictObjectSchema<
  { readonly type: v.LiteralSchema<string, undefined> } & v.ObjectEntries, undefined
>;

/**
 * One layer: the schema whose `type` matches (`layers[2].type must be one of dense,
 * activation, …`, every layer type, otherwise; `layers[2] is a conv2d layer, whose class this
 * program does not include …` for a type without a schema here), and `layers[2] must be an
 * object` for an array or a primitive. Its fields are those of valibot's variant, so the JSON
 * Schema converter reads it as one.
 */
export function layerUnion<const O extends readonly [LayerSchema, ...LayerSchema[]]>(
  options: O,
): v.VariantSchema<"type", O, undefined> {
  const byType = new Map(options.map((o) => [o.entries.type.literal as unknown, o]));
  const typeMessage = `must be one of ${LAYER_TYPES.join(", ")}`;
  const schema = {
    kind: "schema" as const, type: "variant", reference: layerUnion, expects: "Object",
    async: false as const,
    key: "type", options, message: NOT_AN_OBJECT,
    "~run"(dataset: Dataset, config: Config) {
      const input = dataset.value;
      if (!isObject(input)) return notAnObject(this, dataset, config);
      const option = byType.get(input.type);
      if (option !== undefined) return option["~run"](dataset, config);
      const type = input.type;
      if (LAYER_TYPES.includes(type as never)) {
        // A layer type whose class (with this schema) the program does not include.
        v._addIssue(this as never, "type", dataset as never, config, {
          input: type, expected: LAYER_CLASS, message: missingClassMessage(String(type)),
        });
      } else {
        const path = [{ type: "object", origin: "value", input, key: "type", value: type }];
        v._addIssue(this as never, "type", dataset as never, config, {
          input: type, path: path as never, message: typeMessage,
        });
      }
      return dataset as unknown as ReturnType<Run>;
    },
  };
  return v._standardSchema(schema) as unknown as v.VariantSchema<"type", O, undefined>;
}
