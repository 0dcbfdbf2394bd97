// Lint rule: ops never read or write element data on the host. Every piece of data work is a
// kernel call through the backend, so compileStep sees it and replays it; a host read in an op
// would be frozen into a trace. Checked with the TypeScript type checker over core/src/ops/.
import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import ts from "typescript";

const OPS = "packages/core/src/ops";
const TYPED_ARRAYS = new Set([
  "Float32Array", "Float64Array", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array",
  "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array", "ArrayLike",
  "ArrayBufferView", "DataView",
]);
/**
 * Functions an op may hand an element array to whole: they keep it or test its identity, they
 * do not read its elements (copyIndices copies an index array the caller gave, not a tensor).
 */
const TAKES_ARRAY_WHOLE = new Set(["Tensor", "record", "copyIndices", "isReleased"]);
/** Functions outside ops/ an op may pass a tensor to: they record it or read its shape. */
const TAKES_TENSOR = new Set(["record", "zerosLike", "Tensor"]);
/**
 * Kernel modules an op may import values from: the backend switch, index copies, releases, and
 * the installer of the CNN kernels (wiring only: it touches no data).
 */
const KERNEL_VALUE_IMPORTS = new Set(["backend.js", "indices.js", "released.js", "cnn-install.js"]);
/** Tensor methods that read element data on the host. */
const HOST_READS = new Set(["item", "toArray"]);

/** Problems with ops/ touching element data, as "path:line: message". */
export function lintOpsData(root: string): string[] {
  const dir = join(root, OPS);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => join(dir, f));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const problems: string[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (source === undefined) continue;
    const path = relative(root, file).split(sep).join("/");
    const report = (node: ts.Node, message: string): void => {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      problems.push(`${path}:${line + 1}: ${message} (ops never touch element data; ` +
        "call a kernel through getBackend(), see docs/contributing-kernels.md)");
    };
    const visit = (node: ts.Node): void => {
      check(node, checker, report);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return problems;
}

function isElementArray(type: ts.Type): boolean {
  if (type.isUnion() || type.isIntersection()) return type.types.some(isElementArray);
  const name = (type.aliasSymbol ?? type.getSymbol())?.getName();
  return name !== undefined && TYPED_ARRAYS.has(name);
}

const isAny = (type: ts.Type): boolean => (type.flags & ts.TypeFlags.Any) !== 0;
const typeName = (type: ts.Type): string | undefined => type.getSymbol()?.getName();

/** Whether the function called is declared in ops/ (and so checked by this same rule). */
function declaredInOps(node: ts.CallExpression | ts.NewExpression, checker: ts.TypeChecker) {
  let symbol = checker.getSymbolAtLocation(node.expression);
  if (symbol !== undefined && (symbol.flags & ts.SymbolFlags.Alias) !== 0) {
    symbol = checker.getAliasedSymbol(symbol);
  }
  const file = symbol?.declarations?.[0]?.getSourceFile().fileName.split(sep).join("/");
  return file !== undefined && file.includes(`/${OPS}/`) && !file.endsWith(".test.ts");
}

function calleeName(node: ts.CallExpression | ts.NewExpression): string {
  const e = node.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return "";
}

function check(
  node: ts.Node, checker: ts.TypeChecker, report: (node: ts.Node, message: string) => void,
): void {
  const typeOf = (e: ts.Node): ts.Type => checker.getTypeAtLocation(e);
  const elementArray = (e: ts.Node): boolean => isElementArray(typeOf(e));
  if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
    const from = node.moduleSpecifier.text;
    const kernel = /^\.\.\/kernels\/(.+)$/.exec(from);
    const typeOnly = node.importClause?.isTypeOnly === true;
    if (kernel !== null && !typeOnly && !KERNEL_VALUE_IMPORTS.has(kernel[1])) {
      report(node, `imports kernel code from ${from}; ops reach kernels only through the backend`);
    }
    if (/^\.\.\/(anomaly|testing)/.test(from) && !typeOnly &&
      !/^\{\s*isAnomalyDetectionEnabled\s*\}$/.test(node.importClause?.getText() ?? "")) {
      report(node, `imports ${from}, which reads element data`);
    }
    return;
  }
  if (ts.isElementAccessExpression(node)) {
    const target = typeOf(node.expression);
    if (isElementArray(target) || isAny(target)) report(node, "indexes element data");
    return;
  }
  if (ts.isPropertyAccessExpression(node)) {
    const target = typeOf(node.expression);
    if (isElementArray(target) && node.name.text !== "length") {
      report(node, `uses .${node.name.text} of element data`);
    }
    if (typeName(target) === "Tensor" && HOST_READS.has(node.name.text)) {
      report(node, `reads a tensor's values with .${node.name.text}()`);
    }
    return;
  }
  if ((ts.isSpreadElement(node) || ts.isSpreadAssignment(node)) && elementArray(node.expression)) {
    report(node, "spreads element data");
  } else if ((ts.isForOfStatement(node) || ts.isForInStatement(node)) &&
    elementArray(node.expression)) {
    report(node, "loops over element data");
  } else if (ts.isTemplateSpan(node) && elementArray(node.expression)) {
    report(node, "formats element data into a string");
  } else if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
    if (elementArray(node.expression) && !elementArray(node)) {
      report(node, "casts element data to another type");
    }
  } else if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
    const name = calleeName(node);
    const inOps = declaredInOps(node, checker);
    for (const arg of node.arguments ?? []) {
      if (elementArray(arg) && !inOps && !TAKES_ARRAY_WHOLE.has(name)) {
        report(arg, `passes element data to ${name || "a function"}, which may read it`);
      }
      // A helper outside ops/ could read a tensor's data for the op; only these may have one.
      if (typeName(typeOf(arg)) === "Tensor" && !inOps && !TAKES_TENSOR.has(name) &&
        !isTensorMethod(node, typeOf)) {
        report(arg, `passes a tensor to ${name || "a function"} outside ops/, which may read it`);
      }
    }
  } else if (ts.isForStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)) {
    const condition = ts.isForStatement(node) ? node.condition : node.expression;
    if (condition !== undefined && countsElements(condition, typeOf)) {
      report(node, "loops over elements (its bound is a size or an array length)");
    }
  }
}

/** Whether the call is a method of a tensor (`x.add(y)`: an op, defined in ops/). */
function isTensorMethod(
  node: ts.CallExpression | ts.NewExpression, typeOf: (e: ts.Node) => ts.Type,
): boolean {
  const e = node.expression;
  return ts.isPropertyAccessExpression(e) && typeName(typeOf(e.expression)) === "Tensor";
}

/** Whether an expression mentions a tensor's size or an element array's length. */
function countsElements(node: ts.Node, typeOf: (e: ts.Node) => ts.Type): boolean {
  if (ts.isPropertyAccessExpression(node)) {
    const target = typeOf(node.expression);
    if (node.name.text === "size" && typeName(target) === "Tensor") return true;
    if (node.name.text === "length" && isElementArray(target)) return true;
  }
  return ts.forEachChild(node, (child) => countsElements(child, typeOf) || undefined) ?? false;
}
