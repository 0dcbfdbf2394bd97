// @tapegrad/core/testing: gradient checks and reference comparisons for users' own tests.
export {
  gradcheck, GradcheckError, type GradcheckOptions, type GradcheckReport,
} from "./gradcheck.js";
export {
  numericGrad, allClose, maxDifferences, referenceMismatches, type ReferenceTolerance,
} from "./numeric.js";
