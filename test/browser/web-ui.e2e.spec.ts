/**
 * The Temporal Web UI as an operator uses it, driven by a real browser (playwright-core with Debian's
 * Chromium, headless): the whole stack runs as `npm start` runs it, orders are placed through the API, and
 * the test checks what the Web UI shows for them — the workflow id, the OrderStatus/CustomerId search
 * attributes, the summary, each activity by name, the compensations of a failed saga, the list filtered by
 * CustomerId and OrderStatus, and the `sagaState` query answered from the Queries tab.
 * Screenshots: test-results/web-ui-order.png, web-ui-failed-order.png, web-ui-list-filtered.png; with
 * UPDATE_README_IMAGES=1 each is also copied to docs/images/ for the README.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { sagaStateQuery } from '../../src/workflows/contracts';
import {
  placeOrder,
  type PlacedOrder,
  type RunningStack,
  startStack,
  stopStack,
  waitForOrderStatus,
} from '../support/stack-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureChromium } = require('../../scripts/ensure-chromium.js') as { ensureChromium: () => string };

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS_DIR = path.join(ROOT, 'test-results');
const README_IMAGES = path.join(ROOT, 'docs', 'images');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const FORWARD_STEPS = [
  'placeOrder',
  'validateDestination',
  'reserveStock',
  'chargePayment',
  'createShipment',
  'completeOrder',
];
const COMPENSATIONS_AFTER_CHARGE_FAILED = ['refundPayment', 'releaseStock', 'rejectOrder'];

describe('the Temporal Web UI shows the order sagas', { timeout: 600_000 }, () => {
  let stack: RunningStack | undefined;
  let browser: BrowserContext | undefined;
  let userDataDir: string;
  let page: Page;
  let completed: PlacedOrder;
  let failed: PlacedOrder;

  const workflowUrl = (workflowId: string, tab = '') =>
    `${stack!.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}${tab}`;
  const listUrl = (query: string) =>
    `${stack!.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;

  /** Opens a workflow page and waits until the workflow and its event history have rendered. */
  async function openWorkflow(workflowId: string): Promise<void> {
    await page.goto(workflowUrl(workflowId));
    await page.getByRole('heading', { name: workflowId }).or(page.getByText(workflowId)).first().waitFor();
    await page.getByText('Event History').first().waitFor();
  }

  async function openTab(name: string): Promise<void> {
    await page
      .getByRole('link', { name, exact: true })
      .or(page.getByRole('tab', { name, exact: true }))
      .first()
      .click();
  }

  /** A test that, when it fails, leaves a screenshot of what the browser showed in test-results/. */
  function uiTest(name: string, fn: () => Promise<void>): void {
    it(name, async () => {
      try {
        await fn();
      } catch (err) {
        const file = `web-ui-failure-${name.replace(/\W+/g, '-').slice(0, 60)}.png`;
        await page.screenshot({ path: path.join(RESULTS_DIR, file), fullPage: true }).catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * Saves test-results/<name> on every run; with UPDATE_README_IMAGES=1 also refreshes the committed copy
   * the README shows, docs/images/<name> (so an ordinary `npm test` leaves the work tree clean).
   */
  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: path.join(RESULTS_DIR, name) });
    if (process.env.UPDATE_README_IMAGES === '1') {
      fs.mkdirSync(README_IMAGES, { recursive: true });
      fs.copyFileSync(path.join(RESULTS_DIR, name), path.join(README_IMAGES, name));
    }
  }

  /** Text of the page including its iframes (the UI renders summaries in sandboxed frames). */
  async function pageText(): Promise<string> {
    const parts = await Promise.all(
      page.frames().map((f) =>
        f
          .locator('body')
          .innerText({ timeout: 5000 })
          .catch(() => ''),
      ),
    );
    return parts.join('\n');
  }

  async function waitForText(text: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let all = '';
    while (Date.now() < deadline) {
      all = await pageText();
      if (all.includes(text)) return all;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`"${text}" did not appear on ${page.url()}:\n${all.slice(0, 3000)}`);
  }

  /** Visibility is eventually consistent: reload the filtered list until it shows what we expect. */
  async function listShows(query: string, mustShow: string[], mustNotShow: string[]): Promise<string> {
    const deadline = Date.now() + 60_000;
    let text = '';
    while (Date.now() < deadline) {
      await page.goto(listUrl(query));
      await page.getByText('Workflow ID').first().waitFor();
      await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => undefined);
      text = await page.locator('main').innerText();
      if (mustShow.every((id) => text.includes(id))) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const id of mustShow) assert.ok(text.includes(id), `list ${query} does not show ${id}:\n${text}`);
    for (const id of mustNotShow) assert.ok(!text.includes(id), `list ${query} shows ${id}`);
    return text;
  }

  before(async () => {
    const executablePath = ensureChromium();
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    stack = await startStack();
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'order-saga-chromium-'));
    // a fresh profile per run (launchPersistentContext is playwright's way to pass --user-data-dir)
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1100 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30_000);

    // Alice orders a cable (completes); Bob orders a monitor he cannot afford (fails at the charge).
    completed = await placeOrder(stack, 'ALICE_TOKEN', [{ sku: 'SKU-CABLE', quantity: 2 }]);
    failed = await placeOrder(stack, 'BOB_TOKEN', [{ sku: 'SKU-MONITOR', quantity: 1 }]);
    await waitForOrderStatus(stack, 'ALICE_TOKEN', completed.orderId, 'COMPLETED');
    await waitForOrderStatus(stack, 'BOB_TOKEN', failed.orderId, 'FAILED');
  });

  after(async () => {
    await browser?.close();
    if (stack) await stopStack(stack);
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  uiTest(
    'a completed order shows its workflow id, summary, OrderStatus and every activity by name',
    async () => {
      await openWorkflow(completed.workflowId);
      // the timeline renders its rows after the page: wait for the last one before reading the page
      for (const step of FORWARD_STEPS) await waitForText(step);
      const history = await page.locator('main').innerText();
      assert.match(history, /orderSaga/);
      for (const step of FORWARD_STEPS) assert.ok(history.includes(step), `activity ${step} not on the page`);
      // each activity's summary says what it did
      assert.match(history, /Charge \$19\.98 to cust-alice/);
      await screenshot('web-ui-order.png');

      await openTab('Search Attributes');
      await page.getByText('OrderStatus').first().waitFor();
      const attributes = await page.locator('main').innerText();
      assert.match(attributes, /"OrderStatus":\s*"COMPLETED"/);
      assert.match(attributes, /"CustomerId":\s*"cust-alice"/);

      // The summary is rendered as markdown inside a sandboxed iframe.
      await openTab('User Metadata');
      await page.getByText('Summary').first().waitFor();
      const summary = `Order ${completed.orderId} · customer cust-alice · $19.98`;
      await waitForText(summary);
    },
  );

  uiTest('a failed saga shows its compensation activities by name, newest step first', async () => {
    await openWorkflow(failed.workflowId);
    for (const undo of COMPENSATIONS_AFTER_CHARGE_FAILED) await waitForText(undo);
    const history = await page.locator('main').innerText();
    for (const undo of COMPENSATIONS_AFTER_CHARGE_FAILED)
      assert.ok(history.includes(undo), `compensation ${undo} not on the page`);
    assert.match(history, /"type":\s*"InsufficientFunds"/);
    assert.match(
      history,
      /"compensationsRun":\s*\[\s*"refundPayment",\s*"releaseStock",\s*"rejectOrder"\s*\]/,
    );
    await screenshot('web-ui-failed-order.png');
  });

  uiTest('the workflow list can be filtered by OrderStatus and by CustomerId', async () => {
    await listShows('OrderStatus="COMPLETED"', [completed.workflowId], [failed.workflowId]);
    await listShows('OrderStatus="FAILED"', [failed.workflowId], [completed.workflowId]);
    await listShows('CustomerId="cust-bob"', [failed.workflowId], [completed.workflowId]);
    await listShows(
      'CustomerId="cust-alice" AND OrderStatus="COMPLETED"',
      [completed.workflowId],
      [failed.workflowId],
    );
    await screenshot('web-ui-list-filtered.png');
  });

  uiTest('the sagaState query answers in the Queries tab and through the client', async () => {
    await openWorkflow(failed.workflowId);
    await openTab('Queries');
    const run = page.getByRole('button', { name: 'Run Query' });
    await run.waitFor();
    await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => undefined);
    // the query types load asynchronously; click again if the first click came too early
    let answered = '';
    for (let i = 0; i < 4 && !answered; i++) {
      await run.click();
      answered = await waitForText('"compensationsRun"', 8_000).catch(() => '');
    }
    assert.ok(answered, 'the sagaState query answered in the Queries tab');
    assert.match(answered, /"state":\s*"FAILED"/);

    const connection = await Connection.connect({ address: `127.0.0.1:${stack!.env.TEMPORAL_PORT}` });
    try {
      const client = new Client({ connection });
      const view = await client.workflow.getHandle(completed.workflowId).query(sagaStateQuery);
      assert.equal(view.state, 'COMPLETED');
      assert.equal(view.customerId, 'cust-alice');
      assert.deepEqual(view.compensationsRun, []);
    } finally {
      await connection.close();
    }
  });
});
