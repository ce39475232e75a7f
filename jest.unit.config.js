/** `npm run test:unit`: jest's `unit` project alone (test/unit, no dev server); arguments after `--` filter as usual. */
const { projects, ...shared } = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = { ...shared, projects: projects.filter((p) => p.displayName === 'unit') };
