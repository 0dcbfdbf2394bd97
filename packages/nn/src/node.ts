// Node-only entry of @tapegrad/nn (`@tapegrad/nn/node`): the helpers that touch the file system.
export { saveModel, loadModel, type LoadModelOptions } from "./model-files.js";
export {
  writeFileAtomic, writeFileAtomicSync, atomicTempPath, isAtomicTempName, removeStaleTempFiles,
} from "./atomic-write.js";
