// Checks deploy/compose.yaml offline: it parses (anchors and merge keys
// included), every service belongs to a profile, every scalelab service has a
// health check and a serve role, every depends_on names a service sharing a
// profile with a condition, and every http://NAME / redis://NAME / amqp://…@NAME
// in the environment names a service. compose-smoke.sh runs it for real.
//   node check-compose.mjs DEPLOY_DIR   exit 0: all good; 1: each problem printed
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const dir = process.argv[2];
const problems = new Set(); // a problem seen twice is told once
const problem = (where, what) => problems.add(`${where}: ${what}`);
const CONDITIONS = new Set(["service_started", "service_healthy", "service_completed_successfully"]);

const compose = parse(readFileSync(join(dir, "compose.yaml"), "utf8"), { merge: true });
const services = compose.services ?? {};
const shareProfile = (a, b) => (a.profiles ?? []).some((p) => (b.profiles ?? []).includes(p));

for (const [name, s] of Object.entries(services)) {
  if (!s.profiles?.length) problem(name, "no profile (it would start with every profile)");
  if (!s.healthcheck?.test) problem(name, "no health check");
  const scalelab = String(s.image).includes("SCALELAB_IMAGE");
  if (scalelab && s.command?.[0] !== "serve") problem(name, "the scalelab image without a `serve` role");
  for (const [dep, how] of Object.entries(s.depends_on ?? {})) {
    if (!services[dep]) problem(name, `depends on ${dep}, which is not a service`);
    else if (!shareProfile(s, services[dep])) problem(name, `depends on ${dep}, in none of its profiles`);
    if (!CONDITIONS.has(how?.condition)) problem(name, `depends on ${dep} without a condition`);
  }
  for (const value of Object.values(s.environment ?? {})) {
    const host = String(value).match(/^[a-z]+:\/\/(?:[^@/]*@)?([a-z0-9-]+)[:/]/)?.[1];
    if (host && !services[host]) problem(name, `${value} names no service`);
    else if (host && !shareProfile(s, services[host])) problem(name, `${value}: ${host} is in none of its profiles`);
  }
}
for (const p of problems) console.error(`FAIL ${p}`);
console.log(`compose: ${Object.keys(services).length} services, ${problems.size} problems`);
process.exit(problems.size ? 1 : 0);
