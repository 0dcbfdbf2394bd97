// Headless Chromium from Debian's package, driven by playwright-core (which downloads nothing):
// the flags that work here as root and on a closed network.
import { existsSync } from "node:fs";
import { type Browser, type Page, chromium } from "playwright-core";

/** Where Chromium is: TAPEGRAD_CHROMIUM, or Debian's /usr/bin/chromium. */
export const CHROMIUM = process.env.TAPEGRAD_CHROMIUM ?? "/usr/bin/chromium";

// Without the background-networking flags Chromium keeps calling out and those connections are
// refused here; playwright-core gives every launch a fresh user-data-dir.
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** Launches Chromium; throws saying how to install it when it is missing (never a skip). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}: install it (apt-get install -y chromium) ` +
      "or set TAPEGRAD_CHROMIUM to its path");
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** Every console error and uncaught error of a page, as text. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
  return errors;
}
