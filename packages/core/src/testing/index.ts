// @tapegrad/core/testing: gradient checking helpers for users' own tests.
export {
  gradcheck, GradcheckError, type GradcheckOptions, type GradcheckReport,
} from "./gradcheck.js";
export { numericGrad, allClose, maxDifferences } from "./numeric.js";
