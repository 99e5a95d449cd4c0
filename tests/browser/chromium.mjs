// What every browser test shares: Debian's Chromium, headless, driven by
// playwright-core (never a browser download), in a throwaway profile; and
// the page errors a test must find none of.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

// Runs `use(context)` in a fresh headless Chromium; closes it and removes
// its profile afterwards, whatever `use` did.
export async function withChromium(viewport, use) {
  const profile = mkdtempSync(join(tmpdir(), 'scalelab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
  });
  try {
    return await use(context);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

// The console errors and uncaught exceptions of `page` from now on, as they come.
export function collectErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}
