// @ts-check
// Mutation testing (`npm run test:mutation`, not part of `npm test` or CI): StrykerJS mutates the pure
// deciders, the saga state machine and the compensation stack, and runs the specs below against each
// mutant. A mutant that no spec notices survives; `scripts/mutation-score.js` then checks the score of each
// target against the bar.
//
// Runner: @stryker-mutator/tap-runner starts one `node` process per spec file (with Stryker's hook, which
// reports which mutants the file reached and the active mutant id) and reads node:test's TAP output; a
// failing test or a non-zero exit kills the mutant.

/** The unit specs: fast, pure, one process each. */
const unitSpecs = ['src/domain/**/*.unit.spec.ts', 'src/workflows/*.unit.spec.ts'];

/**
 * Fast saga specs (fake activities, no Postgres) go here when they exist, e.g. 'test/saga/<name>.spec.ts'.
 * Note: Stryker switches a mutant on through `process.env` in the process that runs the spec; workflow code
 * that runs inside Temporal's sandbox (an empty vm context) does not see it, so such a spec kills mutants
 * of saga-state.ts or compensations.ts only where it calls them outside a workflow.
 */
const sagaSpecs = [];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  packageManager: 'npm',
  plugins: ['@stryker-mutator/tap-runner'],
  testRunner: 'tap',
  tap: {
    testFiles: [...unitSpecs, ...sagaSpecs],
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap'],
    forceBail: true,
  },
  mutate: [
    'src/domain/**/*.ts',
    '!src/domain/**/*.spec.ts',
    '!src/domain/decider-spec.ts', // the given/when/then helper of the specs
    'src/workflows/saga-state.ts',
    'src/workflows/compensations.ts',
  ],
  // Only the spec files that reached a mutant run against it.
  coverageAnalysis: 'perTest',
  // The machine is shared: two processes at most.
  concurrency: 2,
  timeoutMS: 10000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  // the bar (80 % on each target) is checked per target by scripts/mutation-score.js
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  // Not copied into Stryker's sandbox: build output, local data and results.
  ignorePatterns: ['dist', '.data', '.tmp', 'coverage', 'bench/results', 'chaos/results', 'test-results'],
};

export default config;
