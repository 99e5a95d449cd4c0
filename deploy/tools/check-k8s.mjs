// Checks deploy/k8s offline (no cluster): every document against the
// Kubernetes API schema of its kind (kubernetes-models), then the rules the
// schemas cannot see: probes on /health, the shutdown timing, CPU requests
// for the HPA, Services selecting a workload, referenced ConfigMaps/Secrets
// existing, the HPA's numbers, and kustomization.yaml listing every file.
//   node check-k8s.mjs DEPLOY_DIR   exit 0: all good; 1: each problem printed
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const SHUTDOWN_GRACE_S = 10; // the server's --shutdown-grace default
const dir = join(process.argv[2], "k8s");
const problems = new Set(); // a problem seen twice is told once
const problem = (where, what) => problems.add(`${where}: ${what}`);

async function modelOf(apiVersion, kind) {
  return (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
}

async function load() {
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort();
  const objects = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      if (doc.errors.length) problem(file, `YAML: ${doc.errors[0].message}`);
      const obj = doc.toJS();
      if (!obj) continue;
      const where = `${file} ${obj.kind}/${obj.metadata?.name}`;
      try {
        const Model = await modelOf(obj.apiVersion, obj.kind);
        new Model(obj).validate();
      } catch (e) {
        problem(where, `schema: ${e.message.split("\n").slice(0, 4).join(" ")}`);
      }
      objects.push({ file, where, obj });
    }
  }
  return { files, objects };
}

function checkScalelabWorkload({ where, obj }) {
  const pod = obj.spec.template.spec;
  for (const c of pod.containers.filter((c) => c.image.startsWith("scalelab"))) {
    for (const probe of ["readinessProbe", "livenessProbe"]) {
      if (c[probe]?.httpGet?.path !== "/health") problem(where, `${probe} is not GET /health`);
    }
    const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
    if (preStop <= 0) problem(where, "no preStop pause (endpoints must drop the pod before SIGTERM)");
    if ((pod.terminationGracePeriodSeconds ?? 30) < preStop + SHUTDOWN_GRACE_S)
      problem(where, `terminationGracePeriodSeconds < preStop ${preStop} s + drain ${SHUTDOWN_GRACE_S} s`);
    if (!c.resources?.requests?.cpu) problem(where, "no CPU request (the HPA measures against it)");
    if (c.args?.[0] !== "serve") problem(where, "the container does not run a `serve` role");
  }
}

function checkReferences(objects) {
  const named = (kind) => new Set(objects.filter((o) => o.obj.kind === kind).map((o) => o.obj.metadata.name));
  const configMaps = named("ConfigMap"), secrets = named("Secret"), deployments = named("Deployment");
  const workloads = objects.filter((o) => ["Deployment", "StatefulSet"].includes(o.obj.kind));
  for (const w of workloads) {
    for (const c of w.obj.spec.template.spec.containers) {
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !configMaps.has(from.configMapRef.name)) problem(w.where, `no ConfigMap ${from.configMapRef.name}`);
        if (from.secretRef && !secrets.has(from.secretRef.name)) problem(w.where, `no Secret ${from.secretRef.name}`);
      }
    }
  }
  for (const s of objects.filter((o) => o.obj.kind === "Service")) {
    const sel = s.obj.spec.selector ?? {};
    const hit = workloads.some((w) =>
      Object.entries(sel).every(([k, v]) => w.obj.spec.template.metadata.labels?.[k] === v));
    if (!hit) problem(s.where, "selects no Deployment or StatefulSet");
  }
  for (const h of objects.filter((o) => o.obj.kind === "HorizontalPodAutoscaler")) {
    if (!deployments.has(h.obj.spec.scaleTargetRef.name)) problem(h.where, "scales a Deployment that is not here");
  }
}

function checkCatalogHpa(objects) {
  const hpa = objects.find((o) => o.obj.kind === "HorizontalPodAutoscaler" && o.obj.metadata.name === "catalog");
  if (!hpa) return problem("catalog-hpa.yaml", "no HorizontalPodAutoscaler catalog");
  const { spec, apiVersion } = hpa.obj;
  if (apiVersion !== "autoscaling/v2") problem(hpa.where, "not autoscaling/v2");
  if (spec.minReplicas !== 2 || spec.maxReplicas !== 4) problem(hpa.where, "replicas are not 2..4");
  const cpu = spec.metrics?.find((m) => m.resource?.name === "cpu");
  if (cpu?.resource.target.averageUtilization !== 70) problem(hpa.where, "CPU target is not 70%");
  if (!spec.behavior?.scaleUp || !spec.behavior?.scaleDown) problem(hpa.where, "no behavior for both directions");
}

function checkKustomization(files) {
  const k = parseAllDocuments(readFileSync(join(dir, "kustomization.yaml"), "utf8"))[0].toJS();
  const listed = [...(k.resources ?? [])].sort();
  if (JSON.stringify(listed) !== JSON.stringify(files)) problem("kustomization.yaml", `resources ${listed} != files ${files}`);
}

const { files, objects } = await load();
for (const o of objects.filter((o) => o.obj.kind === "Deployment")) checkScalelabWorkload(o);
checkReferences(objects);
checkCatalogHpa(objects);
checkKustomization(files);
for (const p of problems) console.error(`FAIL ${p}`);
console.log(`k8s: ${objects.length} objects in ${files.length} files, ${problems.size} problems`);
process.exit(problems.size ? 1 : 0);
