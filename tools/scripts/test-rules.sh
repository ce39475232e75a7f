#!/usr/bin/env bash
# `npm run test:rules`: checks the Prometheus alerting rules (ops/prometheus/rules.yml) with promtool, runs their unit
# tests (ops/prometheus/rules.test.yml), and checks that every rule has a test where it fires (its alert name and
# severity expected) and one where its alert stays quiet (`exp_alerts: []`), and that each runbook_url anchor is a
# heading of ops/runbook.md. Needs promtool on PATH (Debian:
# `apt-get install prometheus`; PROMTOOL overrides). Last line: `rules: N rules, N tested, 0 failed`.
set -euo pipefail

cd "$(dirname "$0")/../.."
RULES=ops/prometheus/rules.yml
TESTS=ops/prometheus/rules.test.yml
PROMTOOL=${PROMTOOL:-promtool}

if ! command -v "$PROMTOOL" >/dev/null 2>&1; then
  echo "test-rules: promtool not found (apt-get install prometheus, or set PROMTOOL)" >&2
  exit 2
fi

status=0
"$PROMTOOL" check rules "$RULES" || status=1

test_out=$("$PROMTOOL" test rules "$TESTS" 2>&1) || status=1
printf '%s\n' "$test_out"
# promtool prints one "alertname: …, time: …" line per failed alert evaluation ("expr: …" for an expression test).
failed=$(printf '%s\n' "$test_out" | grep -cE '^\s+(alertname: .*, time: |expr: )' || true)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

# Coverage: each rule (alert name + severity) needs a firing case and a quiet case.
coverage=$(
  node - "$RULES" "$TESTS" <<'EOF'
const fs = require('node:fs');
const YAML = require('yaml');
const [rulesFile, testsFile] = process.argv.slice(2);
const rules = YAML.parse(fs.readFileSync(rulesFile, 'utf8')).groups.flatMap((g) => g.rules);
const cases = (YAML.parse(fs.readFileSync(testsFile, 'utf8')).tests ?? []).flatMap((t) => t.alert_rule_test ?? []);
// GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes.
const anchors = new Set(
  fs
    .readFileSync('ops/runbook.md', 'utf8')
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => l.replace(/^#+ /, '').trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')),
);
let tested = 0;
let badLinks = 0;
for (const rule of rules) {
  const anchor = (rule.annotations?.runbook_url ?? '').split('#')[1];
  if (!anchor || !anchors.has(anchor)) {
    badLinks += 1;
    console.error(`test-rules: ${rule.alert}: runbook_url anchor "${anchor ?? ''}" is not a heading of ops/runbook.md`);
  }
  const name = rule.alert ?? rule.record;
  const severity = rule.labels?.severity;
  const mine = cases.filter((c) => c.alertname === name);
  const fires = mine.some((c) => (c.exp_alerts ?? []).some((a) => (a.exp_labels ?? {}).severity === severity));
  const quiet = mine.some((c) => (c.exp_alerts ?? []).length === 0);
  if (fires && quiet) tested += 1;
  else console.error(`test-rules: ${name} (severity ${severity}) lacks a ${fires ? 'quiet' : 'firing'} test`);
}
console.log(`${rules.length} ${tested} ${badLinks}`);
EOF
)
read -r total tested bad_links <<<"$coverage"
failed=$((failed + bad_links))

echo "rules: ${total} rules, ${tested} tested, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$tested" -ne "$total" ]; then exit 1; fi
