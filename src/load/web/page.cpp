// The dashboard page: one HTML document, Chart.js and the settings inlined,
// no request leaves the dashboard's own server (the page works offline).
#include <cmath>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/json.h"
#include "load/web/dashboard.h"
#include "report/html.h"

namespace scalelab::load::web {

namespace {

constexpr const char* kStyle = R"css(
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.4em;margin:0 0 .3em}
#status{font-weight:600}
.figures{display:flex;gap:1.5em;flex-wrap:wrap;margin:.8em 0}
.figures div{background:#f4f6f8;border-radius:6px;padding:.5em .9em}
.figures b{display:block;font-size:1.4em}
form,.controls{display:flex;gap:.6em;align-items:end;flex-wrap:wrap;margin:.8em 0}
label{display:flex;flex-direction:column;font-size:.85em}
input{width:7em;padding:.3em}
button{padding:.45em 1em;cursor:pointer}
#stop{background:#e15759;color:#fff;border:0;border-radius:4px}
#message{min-height:1.2em}
#message.error{color:#b00}
#message.ok{color:#2a7a2a}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.chart{position:relative;height:260px}
#edits li,#files li,#phases li{margin:.2em 0}
#step progress{width:16em;vertical-align:middle}
)css";

// The script; __SETTINGS__ is replaced by the settings object.
constexpr const char* kScript = R"js(
const settings = __SETTINGS__;
const colors = ['#4e79a7','#e15759','#59a14f','#f28e2b','#76b7b2','#b07aa1','#edc948','#ff9da7','#9c755f','#bab0ac'];
const $ = (id) => document.getElementById(id);
function lineChart(id, yTitle, names, offset) {
  return new Chart($(id), {
    type: 'line',
    data: {labels: [], datasets: names.map((n, i) => ({label: n, data: [], borderColor: colors[(i + offset) % colors.length],
      backgroundColor: colors[(i + offset) % colors.length], pointRadius: 0, borderWidth: 2, tension: 0}))},
    options: {animation: false, maintainAspectRatio: false, interaction: {mode: 'index', intersect: false},
      scales: {x: {title: {display: true, text: 'seconds'}}, y: {beginAtZero: true, title: {display: true, text: yTitle}}}}
  });
}
const pctNames = settings.percentiles.map((q) => 'p' + (Math.round(q * 10000) / 100));
// An experiment's load runs may be closed or open: its page charts both.
const mixed = settings.kind !== 'load';
const loadNames = mixed ? ['users (closed) / in flight (open)', 'arrival rate (open, /s)']
  : settings.model === 'closed' ? ['users'] : ['arrival rate (target, /s)', 'iterations in flight'];
const charts = {
  rps: lineChart('rps', 'per second', ['requests/s', 'failures/s'], 0),
  latency: lineChart('latency', 'ms', pctNames, 2),
  load: lineChart('load', mixed ? 'users / per second' : settings.model === 'closed' ? 'users' : 'per second / in flight',
    loadNames, 5),
};
const extra = {};  // an experiment's own charts, by name, made as their first value arrives
let updates = 0;
function push(chart, t, values) {
  chart.data.labels.push(t);
  values.forEach((v, i) => chart.data.datasets[i].data.push(v));
  chart.update('none');
}
function onPoint(e) {
  push(charts.rps, e.t, [e.rps, e.fps]);
  push(charts.latency, e.t, e.p);
  push(charts.load, e.t, mixed ? [e.users, e.rate] : settings.model === 'closed' ? [e.users] : [e.rate, e.users]);
  updates++;
  $('updates').textContent = updates;
  $('rps-now').textContent = e.rps.toFixed(1);
  $('fps-now').textContent = e.fps.toFixed(1);
  $('users-now').textContent = mixed ? e.users + (e.rate > 0 ? ' · ' + e.rate.toFixed(1) + '/s' : '')
    : settings.model === 'closed' ? e.users : e.rate.toFixed(1) + '/s';
  $('p-now').textContent = pctNames.map((n, i) => n + ' ' + e.p[i].toFixed(1)).join(' · ');
  $('total-now').textContent = e.total + ' (' + e.failures + ' failed)';
  $('t-now').textContent = e.t.toFixed(0) + ' s';
}
function onEdit(e) {
  const li = document.createElement('li');
  li.textContent = e.t.toFixed(1) + ' s: ' + (settings.model === 'closed'
    ? e.users + ' users, spawn rate ' + e.spawn_rate + '/s' : 'arrival rate ' + e.rate + '/s');
  $('edits').appendChild(li);
  $('edits-none').hidden = true;
}
function onSeries(e) {
  if (!extra[e.chart]) {
    const fig = document.createElement('figure');
    fig.innerHTML = '<div class="chart"><canvas></canvas></div><figcaption></figcaption>';
    fig.querySelector('figcaption').textContent = e.chart;
    $('extra').appendChild(fig);
    extra[e.chart] = new Chart(fig.querySelector('canvas'), {type: 'line', data: {datasets: []},
      options: {animation: false, maintainAspectRatio: false, parsing: true,
        scales: {x: {type: 'linear', title: {display: true, text: 'seconds'}}, y: {beginAtZero: true, title: {display: true, text: e.chart}}}}});
  }
  const chart = extra[e.chart];
  let set = chart.data.datasets.find((d) => d.label === e.name);
  if (!set) {
    const c = colors[chart.data.datasets.length % colors.length];
    set = {label: e.name, data: [], borderColor: c, backgroundColor: c, pointRadius: 0, borderWidth: 2, stepped: true};
    chart.data.datasets.push(set);
  }
  set.data.push({x: e.t, y: e.value});
  chart.update('none');
}
function onPhase(e) {
  $('phase').textContent = e.name;
  $('step').hidden = false;
  $('step-progress').hidden = true;
  const li = document.createElement('li');
  li.textContent = e.t.toFixed(0) + ' s: ' + e.name;
  $('phases').appendChild(li);
  $('phases-box').hidden = false;
}
function onProgress(e) {
  $('step').hidden = false;
  $('step-progress').hidden = false;
  $('step-progress').max = e.total > 0 ? e.total : 1;
  $('step-progress').value = e.done;
  $('step-what').textContent = e.done + ' of ' + e.total + ' ' + e.what;
}
function clearAll() {  // the tour's next experiment starts on fresh charts
  for (const c of Object.values(charts)) { c.data.labels = []; c.data.datasets.forEach((d) => { d.data = []; }); c.update('none'); }
  for (const k of Object.keys(extra)) { extra[k].destroy(); delete extra[k]; }
  $('extra').innerHTML = '';
  $('phases').innerHTML = '';
  $('step-what').textContent = '';
  $('step-progress').hidden = true;
}
let experiment = '';
function onExperiment(e) {
  if (e.name !== experiment) clearAll();
  experiment = e.name;
  $('tour').hidden = false;
  $('exp-k').textContent = e.k + ' of ' + e.n;
  $('exp-name').textContent = e.name;
  $('exp-left').textContent = Math.floor(e.left / 60) + ':' + String(Math.floor(e.left % 60)).padStart(2, '0');
}
function addLinks(files, heading) {
  if (heading) {
    const h = document.createElement('li');
    h.textContent = heading;
    $('files').appendChild(h);
  }
  for (const f of files) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = f.href;
    a.textContent = f.label;
    li.appendChild(a);
    li.appendChild(document.createTextNode(' — ' + f.path));
    $('files').appendChild(li);
  }
  $('files-box').hidden = false;
}
function onEnd(e) {
  source.close();
  $('status').textContent = 'finished';
  document.querySelectorAll('form button, form input, #stop').forEach((b) => { b.disabled = true; });
  addLinks(e.files, settings.kind === 'tour' ? 'the tour' : '');
}
const source = new EventSource('/events');
source.onmessage = (m) => {
  const e = JSON.parse(m.data);
  if (e.type === 'point') onPoint(e);
  else if (e.type === 'edit') onEdit(e);
  else if (e.type === 'series') onSeries(e);
  else if (e.type === 'phase') onPhase(e);
  else if (e.type === 'progress') onProgress(e);
  else if (e.type === 'experiment') onExperiment(e);
  else if (e.type === 'files') addLinks(e.files, e.experiment);
  else if (e.type === 'end') onEnd(e);
};
source.onopen = () => { if ($('status').textContent === 'connecting') $('status').textContent = 'running'; };
async function control(body) {
  $('message').textContent = '';
  try {
    const r = await fetch('/control', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
    const answer = await r.json();
    $('message').textContent = r.ok ? 'asked: applied within a second' : answer.message;
    $('message').className = r.ok ? 'ok' : 'error';
  } catch (err) {
    $('message').textContent = 'the run is no longer reachable';
  }
}
if ($('edit')) $('edit').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (settings.model === 'closed') control({users: Number($('users').value), spawn_rate: Number($('spawn-rate').value)});
  else control({rate: Number($('rate').value)});
});
$('stop').addEventListener('click', () => { control({stop: true}); $('status').textContent = 'stopping'; });
)js";

std::string edit_form(DashboardKind kind, Model model) {
  if (kind != DashboardKind::kLoad) return "";
  if (model == Model::kClosed)
    return R"(<form id="edit"><label>users<input id="users" type="number" min="0" step="1" required></label>)"
           R"(<label>spawn rate (users/s, 0: at once)<input id="spawn-rate" type="number" min="0" step="any" value="0"></label>)"
           R"(<button id="apply" type="submit">Apply</button></form>)";
  return R"(<form id="edit"><label>arrival rate (iterations/s)<input id="rate" type="number" min="0" step="any" required></label>)"
         R"(<button id="apply" type="submit">Apply</button></form>)";
}

const char* kind_name(DashboardKind kind) {
  switch (kind) {
    case DashboardKind::kLoad: return "load";
    case DashboardKind::kLab: return "lab";
    case DashboardKind::kTour: return "tour";
  }
  return "load";
}

// The edit form (load runs only) and Stop.
std::string page_controls(DashboardKind kind, Model model) {
  return edit_form(kind, model) + R"(<button id="stop" type="button">Stop the run</button>)";
}

}  // namespace

std::string dashboard_page(const std::string& chartjs, const DashboardOptions& options, Model model) {
  boost::json::array pcts;
  for (double q : options.percentiles) pcts.emplace_back(q);
  const std::string settings =
      to_json(boost::json::object{{"percentiles", pcts},
                                  {"model", model == Model::kClosed ? "closed" : "open"},
                                  {"kind", kind_name(options.kind)}});
  std::string script = kScript;
  script.replace(script.find("__SETTINGS__"), std::string_view("__SETTINGS__").size(), settings);
  const std::string title = report::html_escape(options.title);
  return fmt::format(
      R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{0}</title>
<link rel="icon" href="data:,">
<style>{1}</style>
<script>{2}</script>
</head><body>
<h1>{0}</h1>
<p id="tour" hidden>Experiment <b id="exp-k"></b>: <b id="exp-name"></b> · about <span id="exp-left"></span> of the tour left</p>
<p>Status: <span id="status">connecting</span> · <span id="t-now">0 s</span> · chart updates: <span id="updates">0</span></p>
<p id="step" hidden>Phase: <b id="phase">-</b> <progress id="step-progress" hidden></progress> <span id="step-what"></span></p>
<div class="figures">
<div>requests/s<b id="rps-now">-</b></div><div>failures/s<b id="fps-now">-</b></div>
<div>{3}<b id="users-now">-</b></div><div>latency (ms)<b id="p-now">-</b></div><div>requests<b id="total-now">-</b></div>
</div>
<div class="controls">{4}</div>
<p id="message" role="status"></p>
<div class="charts">
<figure><div class="chart"><canvas id="rps"></canvas></div><figcaption>Requests and failures per second</figcaption></figure>
<figure><div class="chart"><canvas id="latency"></canvas></div><figcaption>Latency percentiles per second (ms)</figcaption></figure>
<figure><div class="chart"><canvas id="load"></canvas></div><figcaption>{5}</figcaption></figure>
<div><div {7}><h2>Changes during the run</h2><p id="edits-none">none yet</p><ul id="edits"></ul></div>
<div id="phases-box" hidden><h2>Phases</h2><ol id="phases"></ol></div>
<div id="files-box" hidden><h2>Final reports</h2><ul id="files"></ul></div></div>
</div>
<div class="charts" id="extra"></div>
<script>{6}</script>
</body></html>
)",
      title, kStyle, chartjs,
      options.kind != DashboardKind::kLoad ? "users · arrival rate" : model == Model::kClosed ? "users" : "arrival rate",
      page_controls(options.kind, model),
      options.kind != DashboardKind::kLoad ? "Users (closed model) or iterations in flight, and arrival rate (open model)"
      : model == Model::kClosed            ? "Active users"
                                           : "Intended arrival rate and iterations in flight",
      script, options.kind == DashboardKind::kLoad ? "" : "hidden");
}

}  // namespace scalelab::load::web
