// Jest reporter: repeats, after the summary, why each suite skipped for a missing tool and how to install it.
// describeWith (needs.ts) warns with one line per missing tool, but jest prints no console output of a test file whose
// tests were all skipped, so only "N skipped" reached the output. This reporter names a file in SKIPPED_SUITES_FILE
// before any test file runs (workers inherit it), describeWith appends its line there, and onRunComplete prints each
// line once to stderr and removes the file.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

class SkippedSuitesReporter {
  constructor() {
    this.file = path.join(os.tmpdir(), `combine-papay-skipped-suites-${process.pid}-${Date.now()}.txt`);
    process.env.SKIPPED_SUITES_FILE = this.file;
  }

  onRunComplete() {
    let lines = [];
    try {
      lines = fs.readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
      fs.rmSync(this.file, { force: true });
    } catch {
      return;
    }
    const unique = [...new Set(lines)];
    if (unique.length === 0) return;
    const bar = '!'.repeat(100);
    process.stderr.write(`\n${bar}\n${unique.join('\n')}\n${bar}\n`);
  }
}

module.exports = SkippedSuitesReporter;
