// Checks deploy/terraform offline (no providers, no terraform binary): every
// .tf parses as HCL (@cdktf/hcl2json), every var./resource/data reference
// names something declared, every variable has a description and a default,
// and the course's rules hold: every task on Fargate in awsvpc with awslogs,
// every ECS service behind the ALB or registered in Cloud Map, target group
// of type ip checking /health, target tracking on ECSServiceAverageCPUUtilization
// at 70 with 300 s cooldowns, the service ignoring desired_count, two hw2
// instances, an ALB URL output.
//   node check-terraform.mjs DEPLOY_DIR   exit 0: all good; 1: each problem printed
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import hcl from "@cdktf/hcl2json";

const dir = join(process.argv[2], "terraform");
const problems = new Set(); // a problem seen twice is told once
const problem = (where, what) => problems.add(`${where}: ${what}`);

// Merges the files' blocks: { resource: { type: { name: [body] } }, variable: ..., ... }
async function load() {
  const files = readdirSync(dir).filter((f) => f.endsWith(".tf")).sort();
  const merged = { resource: {}, data: {}, variable: {}, output: {} };
  const texts = [];
  for (const f of files) {
    const text = readFileSync(join(dir, f), "utf8");
    let json;
    try {
      json = await hcl.parse(f, text);
    } catch (e) {
      problem(f, `HCL: ${e.message ?? e}`);
      continue;
    }
    texts.push(JSON.stringify(json));
    for (const kind of ["resource", "data"]) {
      for (const [type, byName] of Object.entries(json[kind] ?? {})) {
        merged[kind][type] = { ...merged[kind][type], ...byName };
      }
    }
    for (const kind of ["variable", "output"]) Object.assign(merged[kind], json[kind] ?? {});
  }
  return { files, merged, text: texts.join("\n") };
}

function checkReferences({ merged, text }) {
  for (const [, name] of text.matchAll(/\bvar\.([a-z0-9_]+)/g)) {
    if (!merged.variable[name]) problem("references", `var.${name} is not declared`);
  }
  for (const [, data, type, name] of text.matchAll(/(data\.)?\b(aws_[a-z0-9_]+)\.([a-z0-9_]+)/g)) {
    const declared = data ? merged.data[type]?.[name] : merged.resource[type]?.[name];
    if (!declared) problem("references", `${data ?? ""}${type}.${name} is not declared`);
  }
  for (const [name, [v]] of Object.entries(merged.variable)) {
    if (!v.description) problem(`variable ${name}`, "no description");
    if (v.default === undefined) problem(`variable ${name}`, "no default");
  }
}

// The value of "${var.x}" (its default) or of a literal.
function valueOf(merged, v) {
  const m = typeof v === "string" && v.match(/^\$\{var\.([a-z0-9_]+)\}$/);
  return m ? merged.variable[m[1]]?.[0].default : v;
}

function one(merged, type, where) {
  const all = Object.values(merged.resource[type] ?? {});
  if (all.length !== 1) problem(where, `expected one ${type}, found ${all.length}`);
  return all[0]?.[0] ?? {};
}

// The body of resource TYPE.NAME.
function named(merged, type, name) {
  const body = merged.resource[type]?.[name]?.[0];
  if (!body) problem(`${type}.${name}`, "missing");
  return body ?? {};
}

function checkTasks(merged) {
  for (const [name, [task]] of Object.entries(merged.resource.aws_ecs_task_definition ?? {})) {
    const where = `task definition ${name}`;
    if (task.network_mode !== "awsvpc") problem(where, "network_mode is not awsvpc");
    if (!(task.requires_compatibilities ?? []).includes("FARGATE")) problem(where, "not FARGATE");
    for (const key of ["cpu", "memory", "execution_role_arn"]) if (!task[key]) problem(where, `no ${key}`);
    if (!/awslogs/.test(JSON.stringify(task.container_definitions))) problem(where, "no awslogs log group");
  }
  for (const [name, [service]] of Object.entries(merged.resource.aws_ecs_service ?? {})) {
    if (!service.load_balancer && !service.service_registries)
      problem(`ECS service ${name}`, "neither behind the load balancer nor registered for discovery");
  }
}

function checkCourseRules({ merged }) {
  const val = (v) => valueOf(merged, v);
  checkTasks(merged);
  const tg = one(merged, "aws_lb_target_group", "target group");
  if (tg.target_type !== "ip") problem("target group", "target_type is not ip (Fargate tasks register by IP)");
  if (tg.health_check?.[0]?.path !== "/health") problem("target group", "health check path is not /health");

  const service = named(merged, "aws_ecs_service", "scalelab");
  if (!service.load_balancer?.[0]?.target_group_arn) problem("ECS service", "not behind the target group");
  if (!JSON.stringify(service.lifecycle ?? []).includes("desired_count"))
    problem("ECS service", "lifecycle does not ignore desired_count (auto scaling owns it)");

  const policy = one(merged, "aws_appautoscaling_policy", "scaling policy");
  const conf = policy.target_tracking_scaling_policy_configuration?.[0] ?? {};
  if (policy.policy_type !== "TargetTrackingScaling") problem("scaling policy", "not TargetTrackingScaling");
  if (conf.predefined_metric_specification?.[0]?.predefined_metric_type !== "ECSServiceAverageCPUUtilization")
    problem("scaling policy", "metric is not ECSServiceAverageCPUUtilization");
  if (val(conf.target_value) !== 70) problem("scaling policy", `target is ${val(conf.target_value)}, not 70`);
  for (const c of ["scale_in_cooldown", "scale_out_cooldown"])
    if (val(conf[c]) !== 300) problem("scaling policy", `${c} is ${val(conf[c])}, not 300`);
  const target = one(merged, "aws_appautoscaling_target", "scaling target");
  if (val(target.min_capacity) !== 2 || val(target.max_capacity) !== 4) problem("scaling target", "capacity is not 2..4");

  if (!/\? 2 :/.test(String(one(merged, "aws_instance", "hw2").count))) problem("hw2", "not two instances");
  if (!merged.output.alb_url) problem("outputs", "no alb_url");
}

const loaded = await load();
checkReferences(loaded);
checkCourseRules(loaded);
for (const p of problems) console.error(`FAIL ${p}`);
console.log(`terraform: ${loaded.files.length} files, ${problems.size} problems`);
process.exit(problems.size ? 1 : 0);
