// Public surface of @tapegrad/nn/onnx (a subpath, so the main entry does not carry protobuf).
export {
  exportOnnx, ONNX_OPSET, ONNX_IR_VERSION, ONNX_MODULES, type ExportOnnxOptions,
} from "./export.js";
