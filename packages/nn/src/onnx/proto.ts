// The ONNX protobuf messages tapegrad writes, described by their field numbers (ONNX IR spec).
import protobuf from "protobufjs/light.js";

/** ONNX `TensorProto.DataType` values used here. */
export const ONNX_DTYPES = { float32: 1, int64: 7, float64: 11 } as const;

/** ONNX `AttributeProto.AttributeType` values used here. */
export const ATTRIBUTE_TYPES = { float: 1, int: 2, floats: 6, ints: 7 } as const;

// Field numbers and types as the ONNX specification (onnx.proto, proto2 syntax) defines them;
// only the fields tapegrad writes. Names are this file's own: the wire format carries numbers.
const field = (id: number, type: string, rule?: "repeated") =>
  (rule ? { id, type, rule } : { id, type });
const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: field(1, "int64"),
            producerName: field(2, "string"),
            producerVersion: field(3, "string"),
            docString: field(6, "string"),
            graph: field(7, "GraphProto"),
            opsetImport: field(8, "OperatorSetIdProto", "repeated"),
            metadataProps: field(14, "StringStringEntryProto", "repeated"),
          },
        },
        OperatorSetIdProto: { fields: { domain: field(1, "string"), version: field(2, "int64") } },
        StringStringEntryProto: { fields: { key: field(1, "string"), value: field(2, "string") } },
        GraphProto: {
          fields: {
            node: field(1, "NodeProto", "repeated"),
            name: field(2, "string"),
            initializer: field(5, "TensorProto", "repeated"),
            docString: field(10, "string"),
            input: field(11, "ValueInfoProto", "repeated"),
            output: field(12, "ValueInfoProto", "repeated"),
          },
        },
        NodeProto: {
          fields: {
            input: field(1, "string", "repeated"),
            output: field(2, "string", "repeated"),
            name: field(3, "string"),
            opType: field(4, "string"),
            attribute: field(5, "AttributeProto", "repeated"),
            domain: field(7, "string"),
          },
        },
        AttributeProto: {
          fields: {
            name: field(1, "string"),
            f: field(2, "float"),
            i: field(3, "int64"),
            floats: field(7, "float", "repeated"),
            ints: field(8, "int64", "repeated"),
            type: field(20, "int32"),
          },
        },
        TensorProto: {
          fields: {
            dims: field(1, "int64", "repeated"),
            dataType: field(2, "int32"),
            name: field(8, "string"),
            rawData: field(9, "bytes"),
          },
        },
        ValueInfoProto: { fields: { name: field(1, "string"), type: field(2, "TypeProto") } },
        TypeProto: { fields: { tensorType: field(1, "TypeProtoTensor") } },
        TypeProtoTensor: {
          fields: { elemType: field(1, "int32"), shape: field(2, "TensorShapeProto") },
        },
        TensorShapeProto: { fields: { dim: field(1, "Dimension", "repeated") } },
        Dimension: { fields: { dimValue: field(1, "int64"), dimParam: field(2, "string") } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);

/** The ModelProto message type: `encode(...).finish()` gives the bytes of a .onnx file. */
export const ModelProto = root.lookupType("onnx.ModelProto");

/** A model as plain data in the shape of {@link ModelProto}'s fields. */
export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion?: string;
  docString?: string;
  graph: OnnxGraph;
  opsetImport: Array<{ domain: string; version: number }>;
  metadataProps: Array<{ key: string; value: string }>;
}

/** A graph: nodes in topological order, initializers (the weights), inputs and outputs. */
export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}

/** One operator application. */
export interface OnnxNode {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

/** A named attribute; exactly one of `f`, `i`, `floats`, `ints` is set, as `type` says. */
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  floats?: number[];
  ints?: number[];
}

/** An initializer: little-endian `rawData` of `dims` elements of `dataType`. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

/** A graph input or output: a tensor type with fixed (`dimValue`) or named (`dimParam`) dims. */
export interface OnnxValueInfo {
  name: string;
  type: {
    tensorType: {
      elemType: number;
      shape: { dim: Array<{ dimValue?: number; dimParam?: string }> };
    };
  };
}

/** Serialises a model to the bytes of a .onnx file. */
export function encodeModel(model: OnnxModel): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Parses .onnx bytes back into plain data (int64 fields as numbers), for tests and checks. */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const message = ModelProto.decode(bytes);
  return ModelProto.toObject(message, { longs: Number, arrays: true }) as unknown as OnnxModel;
}
