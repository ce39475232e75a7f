/**
 * Reading the checkout templates' test reports (tools/devstack/templates.ts): the counts that decide whether the
 * examples suite and the cluster test pass come from Surefire's XML and `go test -json`, so a misread would hide a
 * failure.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { goTestCounts, surefireCounts } from '../../tools/devstack/templates';

describe('template test reports', () => {
  it('Surefire XML: passed, failed (failure or error) and skipped test cases, with the failed names', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'surefire-'));
    fs.writeFileSync(
      path.join(dir, 'TEST-example.checkout.OrderClientIT.xml'),
      `<?xml version="1.0"?><testsuite name="x" tests="4">
  <testcase name="paysAnOrder" classname="example.checkout.OrderClientIT" time="1.2"/>
  <testcase name="refusesLate" classname="example.checkout.OrderClientIT" time="0.4"><failure message="boom">trace</failure></testcase>
  <testcase name="deadline" classname="example.checkout.OrderClientIT" time="0.1"><error type="X">trace</error></testcase>
  <testcase name="needsWorker" classname="example.checkout.OrderClientIT" time="0"><skipped/></testcase>
</testsuite>`,
    );
    fs.writeFileSync(path.join(dir, 'example.checkout.OrderClientIT.txt'), 'not a report');
    expect(surefireCounts(dir)).toEqual({
      passed: 1,
      failed: 2,
      skipped: 1,
      failures: ['example.checkout.OrderClientIT.refusesLate', 'example.checkout.OrderClientIT.deadline'],
    });
    expect(surefireCounts(path.join(dir, 'missing'))).toEqual({ passed: 0, failed: 0, skipped: 0, failures: [] });
  });

  it('go test -json: one count per test and subtest, package results and output lines ignored', () => {
    const events = [
      { Action: 'run', Package: 'example.com/checkout', Test: 'TestVerify' },
      { Action: 'output', Package: 'example.com/checkout', Test: 'TestVerify', Output: 'ok\n' },
      { Action: 'pass', Package: 'example.com/checkout', Test: 'TestVerify/stale' },
      { Action: 'pass', Package: 'example.com/checkout', Test: 'TestVerify' },
      { Action: 'skip', Package: 'example.com/checkout', Test: 'TestPayIntegration' },
      { Action: 'fail', Package: 'example.com/checkout', Test: 'TestDeadline' },
      { Action: 'fail', Package: 'example.com/checkout' },
    ];
    const text = ['go: downloading something', ...events.map((e) => JSON.stringify(e))].join('\n');
    expect(goTestCounts(text)).toEqual({
      passed: 2,
      failed: 1,
      skipped: 1,
      failures: ['example.com/checkout.TestDeadline'],
    });
  });
});
