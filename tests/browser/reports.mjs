// Every report a person reads, in Debian's headless Chromium: report_samples
// writes each lab's page, the tour's index, a compare page and a load page
// from hand-made results; each page must load without a console error, draw
// every chart with data, tell each chart's series apart (an explicit colour
// each, all different; a legend when there are several) and, where the
// report has phases or faults, mark their boundaries. The tour's index must
// link pages that exist. Writes a screenshot of each page to OUT_DIR.
//   node reports.mjs REPORT_SAMPLES_BINARY OUT_DIR
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { collectErrors, withChromium } from './common.mjs';

const [binary, outDir] = process.argv.slice(2);
const pagesDir = join(resolve(outDir), 'pages');
mkdirSync(outDir, { recursive: true });
execFileSync(binary, [pagesDir], { stdio: 'inherit' });
const reports = JSON.parse(readFileSync(join(pagesDir, 'reports.json'), 'utf8'));

// Runs in the page: what each chart shows, from Chart.js's own objects.
function readCharts() {
  const colourOf = (chart, ds) => {
    const type = ds.type || chart.config.type;
    // Bars and scatter points show their fill; lines their stroke.
    const c = type === 'bar' || type === 'scatter' ? ds.backgroundColor : ds.borderColor;
    return c === undefined ? undefined : JSON.stringify(c);
  };
  return [...document.querySelectorAll('canvas')].map((canvas) => {
    const chart = Chart.getChart(canvas);
    if (!chart) return { id: canvas.id, missing: true };
    const datasets = chart.data.datasets.map((ds, i) => ({
      label: ds.label,
      colour: colourOf(chart, ds),
      points: chart.getDatasetMeta(i).data.filter((el) => Number.isFinite(el.x) && Number.isFinite(el.y)).length,
      values: ds.data.filter((v) => v !== null && v !== undefined).length,
    }));
    const legend = chart.options.plugins.legend.display !== false && chart.legend
      ? chart.legend.legendItems.length : 0;
    const markers = chart.options.plugins.markers?.lines?.length ?? 0;
    return { id: canvas.id, width: canvas.width, height: canvas.height, datasets, legend, markers };
  });
}

// The problems of one page's charts, as sentences.
function chartProblems(charts, marks) {
  const problems = [];
  for (const c of charts) {
    if (c.missing) { problems.push(`${c.id}: no chart drawn`); continue; }
    if (!c.width || !c.height) problems.push(`${c.id}: empty canvas`);
    if (c.datasets.length === 0) problems.push(`${c.id}: no series`);
    // A series may be empty (no failures in a phase: its legend says so), not a whole chart.
    if (!c.datasets.some((d) => d.values > 0 && d.points > 0)) problems.push(`${c.id}: no data drawn`);
    for (const d of c.datasets)
      if (d.colour === undefined) problems.push(`${c.id}: series '${d.label}' has Chart.js's default grey`);
    const colours = c.datasets.map((d) => d.colour);
    if (new Set(colours).size !== colours.length) problems.push(`${c.id}: series share a colour (${colours.join(' ')})`);
    if (c.datasets.length > 1 && c.legend < c.datasets.length) problems.push(`${c.id}: ${c.datasets.length} series but no legend`);
  }
  if (marks && !charts.some((c) => c.markers > 0)) problems.push('no chart marks the phase or fault boundaries');
  return problems;
}

async function checkPage(context, report) {
  const file = join(pagesDir, report.page);
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const hasChartJs = await page.evaluate(() => typeof Chart !== 'undefined');
  const charts = hasChartJs ? await page.evaluate(readCharts) : [];
  const canvases = await page.locator('canvas').count();
  const problems = errors.map((e) => `console error: ${e}`);
  if (canvases > 0 && !hasChartJs) problems.push('charts but no Chart.js');
  if (hasChartJs && !(await page.evaluate(() => Boolean(Chart.registry.plugins.get('markers')))))
    problems.push('the markers plugin is not registered');
  problems.push(...chartProblems(charts, report.marks));
  if (report.name === 'tour-index') {
    const links = await page.locator('a[href$=".html"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    if (links.length === 0) problems.push('the index links no report');
    for (const href of links) if (!existsSync(join(dirname(file), href))) problems.push(`link to missing ${href}`);
  }
  await page.screenshot({ path: join(outDir, `${report.name}.png`), fullPage: true });
  await page.close();
  const series = charts.reduce((n, c) => n + (c.datasets?.length ?? 0), 0);
  const marked = charts.filter((c) => c.markers > 0).length;
  console.log(`${problems.length ? 'FAIL' : 'ok  '} ${report.name}: ${charts.length} chart(s), ${series} series, ` +
    `${marked} with boundary markers${problems.length ? `\n  - ${problems.join('\n  - ')}` : ''}`);
  return problems.length === 0;
}

async function main() {
  let failed = 0;
  await withChromium({ width: 1200, height: 900 }, async (context) => {
    for (const report of reports) if (!(await checkPage(context, report))) ++failed;
  });
  console.log(`${reports.length - failed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
  else console.log(`PASS: every report (screenshots in ${outDir})`);
}

try {
  await main();
} catch (e) {
  console.error(e);
  process.exitCode = 1;
}
