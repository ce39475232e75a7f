// Runs the secret-hygiene suite last, so that it searches everything the other suites produced.
const Sequencer = require('@jest/test-sequencer').default;

class SecretsLastSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const last = (t) => (t.path.includes('/test/secrets/') ? 1 : 0);
    return [...sorted].sort((a, b) => last(a) - last(b));
  }
}

module.exports = SecretsLastSequencer;
