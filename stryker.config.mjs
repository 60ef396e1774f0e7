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
 * Saga specs to run against the mutants as well, e.g. 'test/saga/<name>.spec.ts'. Add a spec here only if it
 * calls saga-state.ts or compensations.ts in its own process. Stryker switches a mutant on through
 * `process.env` in the process that runs the spec; workflow code runs in Temporal's sandbox (an empty vm
 * context), which never sees it. Measured with the fake-activity cancel matrix
 * (test/saga/saga-cancel-matrix.int.spec.ts, a real orderSaga on a dev server) as the only spec: 18 of the 20
 * mutants of statusOf, isTerminal, isForward and SagaStateMachine had no coverage and the other 2
 * (isTerminal and isForward returning undefined) survived, although the saga calls them. So the matrix specs
 * are not listed: they would lengthen the initial run and kill nothing.
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
