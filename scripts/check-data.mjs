#!/usr/bin/env node
// Validates the question bank, roles and rubrics under data/.
// Usage: node scripts/check-data.mjs [DATA_DIR]   (default: <repo>/data)
// Prints a summary of counts; exits 1 on any failure. No npm dependencies.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = resolve(process.argv[2] ?? join(here, "..", "data"));

const ROLE_IDS = [
  "backend_engineer", "frontend_engineer", "fullstack_engineer", "data_scientist",
  "devops_engineer", "mobile_engineer", "ml_engineer", "qa_engineer",
  "security_engineer", "data_engineer",
];
const CATEGORIES = ["introduction", "resume", "technical", "behavioral", "wrap_up"];
const PLACEHOLDERS = new Set(["role_title", "skill", "skill2", "project", "company", "years"]);
const ID_PREFIX = { introduction: "intro", resume: "resume", behavioral: "beh", wrap_up: "wrap" };
const MIN = { introduction: 20, resume: 45, behavioral: 90, wrap_up: 20 };
const MIN_GENERAL_PER_DIFF = 20;
const MIN_ROLE_PER_DIFF = 9;
const MIN_TOTAL = 471; // "must exceed 470"
const NEAR_DUP_JACCARD = 0.8;

const errors = [];
const warnings = [];
const fail = (m) => errors.push(m);

function load(rel) {
  const p = join(dataDir, rel);
  try {
    return JSON.parse(readFileSync(p, "utf8"));
  } catch (e) {
    fail(`${rel}: ${e.message}`);
    return null;
  }
}

const isLowerStr = (s) => typeof s === "string" && s.trim() !== "" && s === s.toLowerCase() && s === s.trim();

// ---------- roles.json ----------
const roles = load("roles.json");
if (roles) {
  if (roles.version !== 1) fail("roles.json: version must be 1");
  const ids = (roles.roles ?? []).map((r) => r.id);
  const want = [...ROLE_IDS].sort().join(",");
  if ([...ids].sort().join(",") !== want) fail(`roles.json: role ids must be exactly ${want}, got ${ids.join(",")}`);
  for (const r of roles.roles ?? []) {
    if (typeof r.title !== "string" || !r.title) fail(`roles.json: ${r.id}: missing title`);
    const sk = r.skills ?? [];
    if (!Array.isArray(sk) || sk.length < 8 || sk.length > 12) fail(`roles.json: ${r.id}: needs 8-12 skills, has ${sk.length}`);
    if (new Set(sk).size !== sk.length) fail(`roles.json: ${r.id}: duplicate skills`);
    for (const s of sk) if (!isLowerStr(s)) fail(`roles.json: ${r.id}: skill not lowercase: ${JSON.stringify(s)}`);
  }
}

// ---------- questions ----------
const all = [];
const seenIds = new Map();
const perFile = {};
for (const cat of CATEGORIES) {
  const rel = `questions/${cat}.json`;
  const doc = load(rel);
  perFile[cat] = { total: 0, byDiff: { 1: 0, 2: 0, 3: 0 } };
  if (!doc) continue;
  if (doc.version !== 1) fail(`${rel}: version must be 1`);
  if (!Array.isArray(doc.questions)) { fail(`${rel}: questions must be an array`); continue; }
  for (const q of doc.questions) {
    const where = `${rel}: ${q.id ?? "(no id)"}`;
    if (typeof q.id !== "string" || !/^[a-z_]+(\.[a-z_]+)*\.\d{3}$/.test(q.id)) fail(`${where}: bad id format`);
    if (seenIds.has(q.id)) fail(`${where}: duplicate id (also in ${seenIds.get(q.id)})`);
    seenIds.set(q.id, rel);
    if (q.category !== cat) fail(`${where}: category ${JSON.stringify(q.category)} does not match file ${cat}`);
    if (![1, 2, 3].includes(q.difficulty)) fail(`${where}: difficulty must be 1, 2 or 3`);
    if (!Array.isArray(q.roles) || q.roles.length === 0) fail(`${where}: roles must be a non-empty array`);
    else {
      if (q.roles.includes("*") && q.roles.length > 1) fail(`${where}: "*" must be the only role`);
      for (const r of q.roles) if (r !== "*" && !ROLE_IDS.includes(r)) fail(`${where}: unknown role ${r}`);
    }
    if (typeof q.text !== "string" || q.text.trim().length < 15) fail(`${where}: text missing or too short`);
    else {
      for (const m of q.text.matchAll(/\{([^}]*)\}/g))
        if (!PLACEHOLDERS.has(m[1])) fail(`${where}: placeholder {${m[1]}} not allowed`);
      if (/[{}]/.test(q.text.replace(/\{[a-z_0-9]+\}/g, ""))) fail(`${where}: stray brace in text`);
      if (!/[?.]$/.test(q.text.trim())) fail(`${where}: text should end with '?' or '.'`);
    }
    const kw = q.keywords;
    if (!Array.isArray(kw) || kw.length < 3 || kw.length > 8) fail(`${where}: needs 3-8 keywords`);
    else for (const k of kw) if (!isLowerStr(k)) fail(`${where}: keyword not lowercase: ${JSON.stringify(k)}`);
    // category-specific rules
    if (cat !== "technical") {
      if (!(q.roles?.length === 1 && q.roles[0] === "*")) fail(`${where}: ${cat} questions must have roles ["*"]`);
      if (typeof q.id === "string" && !q.id.startsWith(ID_PREFIX[cat] + ".")) fail(`${where}: id must start with ${ID_PREFIX[cat]}.`);
      if ((cat === "introduction" || cat === "wrap_up") && q.difficulty !== 1) fail(`${where}: ${cat} questions must be difficulty 1`);
    } else if (typeof q.id === "string") {
      const m = /^tech\.([a-z_]+)\.\d{3}$/.exec(q.id);
      if (!m) fail(`${where}: technical id must be tech.<gen|role>.NNN`);
      else if (m[1] === "gen") {
        if (!(q.roles?.length === 1 && q.roles[0] === "*")) fail(`${where}: tech.gen questions must have roles ["*"]`);
      } else if (!ROLE_IDS.includes(m[1])) fail(`${where}: unknown role in id`);
      else if (!q.roles?.includes(m[1])) fail(`${where}: roles must include ${m[1]}`);
    }
    perFile[cat].total++;
    if ([1, 2, 3].includes(q.difficulty)) perFile[cat].byDiff[q.difficulty]++;
    all.push(q);
  }
}

// ---------- topic and reference (issues 13, 15) ----------
// Every template names its topic (templates a candidate would hear as the same question share
// one) and carries a reference: 3-6 key points a strong answer covers and a model-answer outline.
const templatesPerTopic = new Map();
for (const q of all) {
  const where = `questions/${q.category}.json: ${q.id}`;
  if (typeof q.topic !== "string" || !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(q.topic) || q.topic.length > 48)
    fail(`${where}: needs "topic", a snake_case slug of at most 48 characters`);
  else templatesPerTopic.set(q.topic, (templatesPerTopic.get(q.topic) ?? 0) + 1);
  const ref = q.reference, kp = ref?.key_points;
  if (!Array.isArray(kp) || kp.length < 3 || kp.length > 6) fail(`${where}: reference.key_points needs 3-6 entries`);
  else for (const k of kp)
    if (typeof k !== "string" || k.trim() === "" || k.length > 160) fail(`${where}: key point must be a non-empty string of at most 160 characters`);
  if (typeof ref?.outline !== "string" || ref.outline.trim() === "" || ref.outline.length > 1000)
    fail(`${where}: reference.outline must be a non-empty string of at most 1000 characters`);
  for (const t of [...(Array.isArray(kp) ? kp : []), ref?.outline])
    if (typeof t === "string") for (const m of t.matchAll(/\{([^}]*)\}/g))
      if (!PLACEHOLDERS.has(m[1])) fail(`${where}: reference placeholder {${m[1]}} not allowed`);
}
const sharedTopics = [...templatesPerTopic.values()].filter((n) => n > 1).length;

// minimum counts
for (const [cat, min] of Object.entries(MIN))
  if (perFile[cat].total < min) fail(`${cat}: ${perFile[cat].total} questions, need >= ${min}`);
const beh = perFile.behavioral.byDiff;
for (const d of [1, 2, 3])
  if (beh[d] < Math.floor(perFile.behavioral.total / 4))
    fail(`behavioral: difficulty ${d} has only ${beh[d]} of ${perFile.behavioral.total}; aim for roughly a third each`);
if (perFile.resume.total > 0 && new Set(all.filter((q) => q.category === "resume").map((q) => q.difficulty)).size < 3)
  fail("resume: difficulties must be mixed across 1-3");

const tech = all.filter((q) => q.category === "technical");
const grid = {}; // group -> {1,2,3}
for (const g of ["*", ...ROLE_IDS]) grid[g] = { 1: 0, 2: 0, 3: 0 };
for (const q of tech) {
  if (!Array.isArray(q.roles)) continue;
  for (const r of q.roles) if (grid[r] && grid[r][q.difficulty] !== undefined) grid[r][q.difficulty]++;
}
for (const d of [1, 2, 3]) {
  if (grid["*"][d] < MIN_GENERAL_PER_DIFF) fail(`technical general: difficulty ${d} has ${grid["*"][d]}, need >= ${MIN_GENERAL_PER_DIFF}`);
  for (const r of ROLE_IDS)
    if (grid[r][d] < MIN_ROLE_PER_DIFF) fail(`technical ${r}: difficulty ${d} has ${grid[r][d]}, need >= ${MIN_ROLE_PER_DIFF}`);
}
if (all.length < MIN_TOTAL) fail(`total templates ${all.length}, need > 470`);

// near-duplicate wording (content-word Jaccard)
const STOP = new Set(("a an the and or of to in on for with at by from is are was were be been it its this that these those " +
  "you your yours i me my we our how what when where which who why would do does did have has had can could should will " +
  "tell about time describe give example walk through some any as so if than then there their them they into out up").split(" "));
const tokens = (t) => new Set(t.toLowerCase().replace(/\{[a-z_0-9]+\}/g, " ").split(/[^a-z0-9]+/).filter((w) => w && !STOP.has(w)));
const toks = all.map((q) => tokens(q.text ?? ""));
let worst = { j: 0 };
for (let i = 0; i < all.length; i++)
  for (let k = i + 1; k < all.length; k++) {
    const a = toks[i], b = toks[k];
    if (!a.size || !b.size) continue;
    let inter = 0;
    for (const w of a) if (b.has(w)) inter++;
    const j = inter / (a.size + b.size - inter);
    if (j > worst.j) worst = { j, a: all[i].id, b: all[k].id };
    if (j >= NEAR_DUP_JACCARD) fail(`near-duplicate wording (${j.toFixed(2)}): ${all[i].id} / ${all[k].id}`);
    if (all[i].text?.trim().toLowerCase() === all[k].text?.trim().toLowerCase()) fail(`identical text: ${all[i].id} / ${all[k].id}`);
  }

// ---------- rubrics.json ----------
const rub = load("rubrics.json");
const rubSummary = [];
if (rub) {
  if (typeof rub.version !== "string" || !rub.version) fail("rubrics.json: version must be a non-empty string");
  const cats = Object.keys(rub.categories ?? {});
  if ([...cats].sort().join(",") !== [...CATEGORIES].sort().join(","))
    fail(`rubrics.json: categories must be exactly ${CATEGORIES.join(",")}, got ${cats.join(",")}`);
  for (const cat of cats) {
    const crit = rub.categories[cat]?.criteria;
    const where = `rubrics.json: ${cat}`;
    if (!Array.isArray(crit) || crit.length < 3 || crit.length > 4) { fail(`${where}: needs 3-4 criteria`); continue; }
    // the category's own 1/3/5 anchors: what a model is shown (short prompts, issue 16)
    for (const a of ["1", "3", "5"]) {
      const v = rub.categories[cat].anchors?.[a];
      if (typeof v !== "string" || v.trim().length < 10) fail(`${where}: category anchor ${a} missing or too short`);
      else if (v.split(/\s+/).length > 30) fail(`${where}: category anchor ${a} longer than 30 words`);
    }
    let sum = 0;
    const names = new Set();
    for (const c of crit) {
      const cw = `${where}.${c.name}`;
      if (typeof c.name !== "string" || !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(c.name)) fail(`${cw}: name must be snake_case`);
      if (names.has(c.name)) fail(`${cw}: duplicate criterion name`);
      names.add(c.name);
      if (typeof c.weight !== "number" || !(c.weight > 0 && c.weight <= 1)) fail(`${cw}: weight must be in (0,1]`);
      else sum += c.weight;
      if (typeof c.description !== "string" || !c.description) fail(`${cw}: missing description`);
      for (const a of ["1", "3", "5"])
        if (typeof c.anchors?.[a] !== "string" || c.anchors[a].trim().length < 10) fail(`${cw}: anchor ${a} missing or too short`);
      const s = c.signals;
      if (!Array.isArray(s) || s.length < 8 || s.length > 20) fail(`${cw}: needs 8-20 signals`);
      else {
        if (new Set(s).size !== s.length) fail(`${cw}: duplicate signals`);
        for (const x of s) if (!isLowerStr(x)) fail(`${cw}: signal not lowercase: ${JSON.stringify(x)}`);
      }
    }
    if (Math.abs(sum - 1) > 0.001) fail(`${where}: weights sum to ${sum.toFixed(4)}, must be 1.0`);
    rubSummary.push(`${cat}: ${crit.length} criteria (${crit.map((c) => c.name).join(", ")})`);
  }
  const beh = rub.categories?.behavioral?.criteria ?? [];
  const star = beh.find((c) => /star/.test(c.name ?? ""));
  if (!star) fail("rubrics.json: behavioral needs a STAR-structure criterion (name containing 'star')");
  else for (const need of ["the situation", "my role", "i decided", "as a result", "%"])
    if (!star.signals?.includes(need)) fail(`rubrics.json: behavioral STAR criterion should include signal ${JSON.stringify(need)}`);
}

// ---------- summary ----------
const pad = (s, n) => String(s).padEnd(n);
console.log(`data dir: ${dataDir}`);
console.log("questions per file:            total   d1   d2   d3");
for (const cat of CATEGORIES) {
  const f = perFile[cat];
  console.log(`  ${pad(cat + ".json", 28)}${String(f.total).padStart(5)} ${String(f.byDiff[1]).padStart(4)} ${String(f.byDiff[2]).padStart(4)} ${String(f.byDiff[3]).padStart(4)}`);
}
console.log(`  ${pad("TOTAL", 28)}${String(all.length).padStart(5)}`);
console.log("technical by role:             total   d1   d2   d3");
for (const g of ["*", ...ROLE_IDS]) {
  const c = grid[g];
  console.log(`  ${pad(g === "*" ? "general (*)" : g, 28)}${String(c[1] + c[2] + c[3]).padStart(5)} ${String(c[1]).padStart(4)} ${String(c[2]).padStart(4)} ${String(c[3]).padStart(4)}`);
}
const withPh = all.filter((q) => /\{[a-z_0-9]+\}/.test(q.text ?? "")).length;
console.log(`templates with placeholders: ${withPh}; most similar pair: ${worst.a} / ${worst.b} (jaccard ${worst.j.toFixed(2)})`);
console.log(`topics: ${templatesPerTopic.size} distinct; ${sharedTopics} shared by more than one template`);
if (rubSummary.length) console.log("rubrics:\n  " + rubSummary.join("\n  "));
for (const w of warnings) console.log(`WARN: ${w}`);
if (errors.length) {
  for (const e of errors) console.error(`FAIL: ${e}`);
  console.error(`${errors.length} problem(s) found`);
  process.exit(1);
}
console.log("OK: all data checks passed");
