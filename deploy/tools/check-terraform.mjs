// Checks deploy/terraform offline (no providers, no terraform binary): every
// .tf parses as HCL (@cdktf/hcl2json), every var./resource/data reference
// names something declared, every variable has a description and a default,
// and the course's rules hold: every task on Fargate in awsvpc with awslogs,
// every ECS service behind the ALB or registered in Cloud Map (the queue
// consumer excepted), every target group
// of type ip checking /health, target tracking on ECSServiceAverageCPUUtilization
// at 70 with 300 s cooldowns, the service ignoring desired_count, two hw2
// instances, an ALB URL output; and the flash sale's: orders behind the ALB,
// order-worker, RabbitMQ registered in Cloud Map and reachable on 5672 only
// from the orders/worker group, its data on EFS, the broker URL the orders
// and worker tasks get naming that Cloud Map name, everything toggled by
// flash_sale_enabled.
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
  const merged = { resource: {}, data: {}, variable: {}, output: {}, locals: {} };
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
    for (const block of json.locals ?? []) Object.assign(merged.locals, block);
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
    // The order worker only consumes from the broker: nothing calls it.
    const consumer = String(service.task_definition).includes('flash_sale["order_worker"]');
    if (!service.load_balancer && !service.service_registries && !consumer)
      problem(`ECS service ${name}`, "neither behind the load balancer nor registered for discovery");
  }
}

function checkCourseRules({ merged }) {
  const val = (v) => valueOf(merged, v);
  checkTasks(merged);
  for (const [name, [tg]] of Object.entries(merged.resource.aws_lb_target_group ?? {})) {
    const where = `target group ${name}`;
    if (tg.target_type !== "ip") problem(where, "target_type is not ip (Fargate tasks register by IP)");
    if (tg.health_check?.[0]?.path !== "/health") problem(where, "health check path is not /health");
  }
  named(merged, "aws_lb_target_group", "scalelab");

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

const loadedText = (body) => JSON.stringify(body ?? {});
const toggled = (body) => /var\.flash_sale_enabled|local\.flash_sale\b/.test(String(body.count ?? body.for_each ?? ""));

// The broker URL (locals.broker_url) must name RabbitMQ's Cloud Map service in
// the shop's namespace on plain amqp 5672, and both flash-sale tasks must get it.
function checkBrokerUrl(merged) {
  const url = String(merged.locals.broker_url ?? "");
  if (!/^amqp:\/\/.*@rabbitmq\.\$\{local\.internal_domain\}:5672\//.test(url))
    problem("broker URL", `"${url}" is not amqp://…@rabbitmq.\${local.internal_domain}:5672/`);
  const discovery = named(merged, "aws_service_discovery_service", "rabbitmq");
  if (discovery.name !== "rabbitmq") problem("RabbitMQ discovery", `registered as ${discovery.name}, not rabbitmq`);
  if (!loadedText(discovery.dns_config).includes("aws_service_discovery_private_dns_namespace.internal"))
    problem("RabbitMQ discovery", "not in the namespace internal_domain names");
  if (!/SCALELAB_BROKER[^,]*local\.broker_url/.test(loadedText(merged.locals.flash_sale_environment)))
    problem("flash sale environment", "SCALELAB_BROKER is not local.broker_url");
  const tasks = named(merged, "aws_ecs_task_definition", "flash_sale");
  if (!loadedText(tasks.container_definitions).includes("local.flash_sale_environment"))
    problem("flash sale tasks", "do not get local.flash_sale_environment");
  const roles = loadedText(merged.locals.flash_sale_roles);
  for (const role of ["orders", "order-worker"]) if (!roles.includes(`"${role}"`)) problem("flash sale tasks", `no ${role}`);
  if (!/command\s*=\s*\["serve", each\.value\]/.test(String(tasks.container_definitions)))
    problem("flash sale tasks", "command is not serve <role>");
}

function checkFlashSale(merged) {
  checkBrokerUrl(merged);
  const orders = named(merged, "aws_ecs_service", "orders");
  if (!loadedText(orders.load_balancer).includes("aws_lb_target_group.orders"))
    problem("orders service", "not behind the orders target group");
  const rule = named(merged, "aws_lb_listener_rule", "orders");
  if (!loadedText(rule.listener_arn).includes("aws_lb_listener.http")) problem("orders rule", "not on the :80 listener");
  if (!loadedText(rule.condition).includes("/orders/*")) problem("orders rule", "does not route /orders/*");
  named(merged, "aws_ecs_service", "order_worker");
  for (const name of ["orders", "order_worker"]) {
    const groups = loadedText(named(merged, "aws_ecs_service", name).network_configuration);
    if (!groups.includes("aws_security_group.broker_clients")) problem(`${name} service`, "not in the broker_clients group");
  }
  const sg = named(merged, "aws_security_group", "rabbitmq");
  for (const rule of sg.ingress ?? []) {
    if (rule.from_port !== 5672 || rule.to_port !== 5672) problem("RabbitMQ group", "admits a port other than 5672");
    if (rule.cidr_blocks || rule.self) problem("RabbitMQ group", "admits addresses, not only the clients' group");
    if (!loadedText(rule.security_groups).includes("aws_security_group.broker_clients"))
      problem("RabbitMQ group", "does not admit the broker_clients group");
  }
  if (!(sg.ingress ?? []).length) problem("RabbitMQ group", "admits nothing");
  const broker = named(merged, "aws_ecs_task_definition", "rabbitmq");
  if (!loadedText(broker.container_definitions).includes("var.rabbitmq_image")) problem("RabbitMQ task", "image is not var.rabbitmq_image");
  if (!loadedText(broker.container_definitions).includes("/var/lib/rabbitmq")) problem("RabbitMQ task", "no /var/lib/rabbitmq mount");
  if (!loadedText(broker.volume ?? broker.dynamic).includes("efs_volume_configuration")) problem("RabbitMQ task", "no EFS volume");
  if (!named(merged, "aws_ecs_service", "rabbitmq").service_registries) problem("RabbitMQ service", "not in Cloud Map");
  if (!/flash_sale_enabled/.test(String(named(merged, "aws_elasticache_cluster", "redis").count)))
    problem("Redis", "not created for the flash sale");
  if (merged.variable.flash_sale_enabled?.[0]?.type !== "${bool}") problem("flash_sale_enabled", "not a bool variable");
  for (const [type, name] of [["aws_ecs_service", "orders"], ["aws_ecs_service", "order_worker"], ["aws_ecs_service", "rabbitmq"],
    ["aws_ecs_task_definition", "flash_sale"], ["aws_ecs_task_definition", "rabbitmq"], ["aws_lb_target_group", "orders"],
    ["aws_security_group", "rabbitmq"], ["aws_efs_file_system", "rabbitmq"]]) {
    if (!toggled(named(merged, type, name))) problem(`${type}.${name}`, "not toggled by flash_sale_enabled");
  }
}

const loaded = await load();
checkReferences(loaded);
checkCourseRules(loaded);
checkFlashSale(loaded.merged);
for (const p of problems) console.error(`FAIL ${p}`);
console.log(`terraform: ${loaded.files.length} files, ${problems.size} problems`);
process.exit(problems.size ? 1 : 0);
