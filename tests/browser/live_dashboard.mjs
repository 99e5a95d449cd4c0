// The live dashboard of `scalelab load --web`, in Debian's headless Chromium:
// the page charts the run (at least three updates), the user count is changed
// from the page and the run follows it (the page's own figure, then the final
// JSON's series and edits), Stop ends the run, the final reports are linked,
// and the console stays free of errors. Writes a screenshot of the page.
//   node live_dashboard.mjs SCALELAB_BINARY SCREENSHOT.png
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkReportLinks, collectErrors, exited, fail, start as startProcess, withChromium,
} from './common.mjs';

const [binary, screenshot] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'scalelab-live-'));
const children = [];

// Starts a scalelab process (stopped at the end) and resolves with the first
// match of `pattern` in its stderr.
const start = (args, pattern) => startProcess(binary, args, pattern, children, 15000);

const figure = (page, id) => page.locator(`#${id}`).textContent();

async function main() {
  const stub = await start(['serve', 'stub', '--port', '0', '--threads', '1'], /listening on [\d.]+:(\d+)/);
  const target = `http://127.0.0.1:${stub.match[1]}/`;
  const load = await start(['load', '--url', target, '--users', '2', '--duration', '40s', '--wait', '20ms',
    '--web', '127.0.0.1:0', '--web-percentiles', '50,90,99', '--web-linger', '60s',
    '--html', join(work, 'run.html'), '--json', join(work, 'run.json'), '--csv', join(work, 'run')],
    /live dashboard at (http:\/\/[\d.:]+\/)/);
  const url = load.match[1];

  let errors = [];
  await withChromium({ width: 1280, height: 900 }, async (context) => {
    const page = context.pages()[0] ?? await context.newPage();
    errors = collectErrors(page);
    await page.goto(url);

    await page.waitForFunction(() => Number(document.getElementById('updates').textContent) >= 3, null,
      { timeout: 20000 });
    console.log(`saw ${await figure(page, 'updates')} chart updates; users ${await figure(page, 'users-now')}, ` +
      `req/s ${await figure(page, 'rps-now')}, latency ${await figure(page, 'p-now')}`);
    if ((await figure(page, 'users-now')) !== '2') fail('the page does not show the 2 users the run started with');
    if (!(await figure(page, 'p-now')).includes('p90')) fail('the chosen percentiles are not charted');

    await page.fill('#users', '4');
    await page.fill('#spawn-rate', '0');
    await page.click('#apply');
    await page.waitForFunction(() => document.getElementById('users-now').textContent === '4', null,
      { timeout: 15000 });
    await page.waitForFunction(() => document.querySelectorAll('#edits li').length === 1, null, { timeout: 5000 });
    const updatesAtEdit = Number(await figure(page, 'updates'));
    console.log(`after the edit: users ${await figure(page, 'users-now')}; ` +
      `timeline: ${await page.locator('#edits li').first().textContent()}`);
    // Bad input is answered with a JSON error (asked from here: a 4xx in the page would log an error).
    const bad = await page.request.post(new URL('control', url).href, { data: { users: -1 } });
    const badBody = await bad.json();
    if (bad.status() !== 400 || badBody.error !== 'INVALID_INPUT') fail(`bad input answered ${bad.status()} ${JSON.stringify(badBody)}`);
    await page.waitForFunction((n) => Number(document.getElementById('updates').textContent) >= n + 2, updatesAtEdit,
      { timeout: 10000 });
    await page.screenshot({ path: screenshot, fullPage: true });

    await page.click('#stop');
    await checkReportLinks(page, url, 5, 'HTML, JSON, 3 CSV', 15000);
    const report = JSON.parse(readFileSync(join(work, 'run.json'), 'utf8'));
    const edit = report.edits[0];
    if (!edit || edit.users !== 4) fail(`the final JSON does not record the edit: ${JSON.stringify(report.edits)}`);
    // Every second from the edit on had the 4 users. The last, partial second
    // is taken once Stop has ended every user (t_s == elapsed_s, users 0).
    const after = report.series.filter((p) => p.t_s >= edit.t_s + 1.5 && p.t_s < report.elapsed_s)
      .map((p) => p.users);
    if (after.length === 0 || Math.min(...after) !== 4) fail(`users after the edit were ${after}`);
    if (report.elapsed_s >= 39) fail(`Stop did not end the run (elapsed ${report.elapsed_s} s)`);
    console.log(`final JSON: edit at ${edit.t_s.toFixed(1)} s to ${edit.users} users; users after it ${after.join(',')}; ` +
      `elapsed ${report.elapsed_s.toFixed(1)} s, ${report.total_requests} requests`);
  });
  if (errors.length) fail(`console errors: ${errors.join(' | ')}`);
  load.child.kill('SIGINT');  // ends the linger
  const code = await exited(load.child);
  if (code !== 0) fail(`scalelab load exited with ${code}`);
  console.log('PASS: live dashboard');
}

try {
  await main();
} catch (e) {
  if (!process.exitCode) console.error(e);
  process.exitCode = 1;
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
