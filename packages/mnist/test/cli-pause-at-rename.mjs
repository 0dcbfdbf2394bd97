// Test preload (node --import): stops the process just before the Nth rename onto a file named
// $PAUSE_RENAME_TARGET (N = $PAUSE_RENAME_COUNT, default 1), so that the test can SIGKILL it
// while the atomic writer's temp file exists. It says "paused" on stderr, then waits forever.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { basename } from "node:path";

const target = process.env.PAUSE_RENAME_TARGET;
let left = Number(process.env.PAUSE_RENAME_COUNT ?? "1");
const rename = fs.promises.rename;
fs.promises.rename = async (from, to) => {
  if (basename(String(to)) === target && --left === 0) {
    process.stderr.write(`paused before renaming ${basename(String(from))}\n`);
    setInterval(() => undefined, 1000); // keep the process alive until it is killed
    return new Promise(() => undefined);
  }
  return rename(from, to);
};
syncBuiltinESMExports(); // `import { rename } from "node:fs/promises"` now sees the wrapper
