// The live page of a `scalelab lab` experiment (hw6-bottleneck, shortened),
// in Debian's headless Chromium: the load charts update, the phase is shown,
// the experiment's own series (the catalog's CPU) gets a chart of its own,
// the page offers Stop and no edit of the load, Stop ends the experiment
// early with its reports linked, and the console stays free of errors.
// Writes a screenshot of the page.
//   node lab_dashboard.mjs SCALELAB_BINARY SCREENSHOT.png
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkReportLinks, collectErrors, exited, fail, start as startProcess, withChromium,
} from './common.mjs';

const [binary, screenshot] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'scalelab-lab-live-'));
let lab;

// Starts the experiment and resolves with its page's URL.
async function start() {
  const children = [];
  const started = startProcess(binary, ['lab', 'hw6-bottleneck', '--cpu', '0', '--duration-1', '30s', '--duration-2',
    '30s', '--no-progress', '--out', work, '--web', '127.0.0.1:0', '--web-linger', '60s'],
  /live dashboard at (http:\/\/[\d.:]+\/)/, children, 20000);
  lab = children[0];
  return (await started).match[1];
}

const text = (page, id) => page.locator(`#${id}`).textContent();

async function main() {
  const url = await start();
  let errors = [];
  await withChromium({ width: 1280, height: 1100 }, async (context) => {
    const page = context.pages()[0] ?? await context.newPage();
    errors = collectErrors(page);
    await page.goto(url);
    await page.waitForFunction(() => Number(document.getElementById('updates').textContent) >= 3, null,
      { timeout: 30000 });
    await page.waitForFunction(() => document.querySelectorAll('#extra canvas').length >= 1, null, { timeout: 10000 });
    const phase = await text(page, 'phase');
    const captions = await page.locator('#extra figcaption').allTextContents();
    console.log(`saw ${await text(page, 'updates')} updates; phase '${phase}'; own charts: ${captions.join(', ')}`);
    if (!phase.includes('phase 1')) fail(`the phase shown is '${phase}'`);
    if (!captions.some((c) => c.includes('CPU'))) fail('no chart of the catalog CPU');
    if (await page.locator('#edit').count() !== 0) fail('an experiment page offers to edit its load');
    await page.screenshot({ path: screenshot, fullPage: true });

    await page.click('#stop');
    await checkReportLinks(page, url, 3, 'HTML, CSV, JSON', 30000);
    const summary = JSON.parse(readFileSync(join(work, 'summary.json'), 'utf8'));
    console.log(`summary: ${JSON.stringify(summary).slice(0, 200)}`);
  });
  if (errors.length) fail(`console errors: ${errors.join(' | ')}`);
  lab.kill('SIGINT');  // ends the linger
  const code = await exited(lab);
  if (code !== 0) fail(`scalelab lab exited with ${code}`);
  console.log('PASS: lab dashboard');
}

try {
  await main();
} catch (e) {
  if (!process.exitCode) console.error(e);
  process.exitCode = 1;
} finally {
  if (lab && lab.exitCode === null) lab.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
