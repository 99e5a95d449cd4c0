// What the browser tests share: Debian's Chromium, headless, driven by
// playwright-core (never a browser download), in a throwaway profile; the
// page errors a test must find none of; scalelab processes started for a
// test; and the report links a live page shows once its run has ended.
import { spawn } from 'node:child_process';
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

// Fails the test: says why and throws (the caller's cleanup still runs).
export function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

// Starts `binary args` (added to `children`, for the caller to stop) and
// resolves with the first match of `pattern` in its stderr (e.g. the port
// it listens on, its page's URL) within `timeoutMs`; rejects if it exits first.
export function start(binary, args, pattern, children, timeoutMs) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stdout.on('data', () => {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${pattern}' from ${args.join(' ')}:\n${stderr}`)), timeoutMs);
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = stderr.match(pattern);
      if (m) { clearTimeout(timer); resolve({ child, match: m }); }
    });
    child.on('exit', (code) => reject(new Error(`${args[0]} exited (${code}):\n${stderr}`)));
  });
}

// Resolves with the child's exit code, once it has exited.
export function exited(child) {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve)));
}

// After Stop: waits up to `timeoutMs` for the page (served at `url`) to
// link the run's reports, checks it links `expected` of them (`what` says
// which) and that each answers 200; returns their hrefs.
export async function checkReportLinks(page, url, expected, what, timeoutMs) {
  await page.waitForSelector('#files-box', { state: 'visible', timeout: timeoutMs });
  const links = await page.locator('#files a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  console.log(`after Stop: status ${await page.locator('#status').textContent()}; links ${links.join(' ')}`);
  if (links.length !== expected) fail(`expected ${expected} report links (${what}), got ${links.length}`);
  for (const href of links) {
    const r = await page.request.get(new URL(href, url).href);
    if (r.status() !== 200) fail(`${href} answered ${r.status()}`);
  }
  return links;
}
