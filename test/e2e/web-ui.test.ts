/**
 * The operator's view: Debian's chromium, driven by playwright-core, opens the dev server's Web UI, finds orders by
 * search attribute and checks that their phase, search attributes and summaries are visible. Screenshots go to
 * test-results/web-ui/; with `UPDATE_SCREENSHOTS=1` the three docs/operations.md shows (one also in the README) are
 * written to docs/ as well (`UPDATE_SCREENSHOTS=1 npx jest test/e2e/web-ui.test.ts`; then date their captions).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { startOrder } from '../../client';
import { launchChromium } from '../../tools/devstack/chromium';
import { resolveSignal, workflowIdFor } from '../../workflows/contract';
import { connectClient, serverAddress, uniqueId } from '../harness/env';
import { orderInput, waitForPhase } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';
import { describeWith, CHROMIUM } from '../harness/needs';

const SHOTS = path.resolve(__dirname, '..', '..', 'test-results', 'web-ui');
const DOCS = path.resolve(__dirname, '..', '..', 'docs');

/** The docs' images, each the page as the suite saw it (the viewport, 1600×1200) at the step named in the doc. */
const DOC_SHOTS = {
  needsAttention: 'web-ui-needs-attention.png',
  reversed: 'web-ui-reversed.png',
  resolveDialog: 'web-ui-resolve-dialog.png',
} as const;

describeWith([CHROMIUM])('Temporal Web UI (browser)', () => {
  let client: Client;
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const ui = () => serverAddress().uiUrl;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    client = await connectClient();
    stack = await startStack();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await client?.connection.close();
  });

  /** A screenshot to test-results/web-ui/ and, with `UPDATE_SCREENSHOTS=1` and a `doc` name, the viewport to docs/. */
  async function shot(name: string, opts: { fullPage?: boolean; doc?: string } = {}): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, name), fullPage: opts.fullPage });
    if (opts.doc && process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: path.join(DOCS, opts.doc) });
  }

  /** The page's text including its frames (the UI renders summaries and details as markdown in iframes). */
  async function allText(): Promise<string> {
    const parts = await Promise.all(
      page.frames().map((f) =>
        f
          .locator('body')
          .innerText({ timeout: 5_000 })
          .catch(() => ''),
      ),
    );
    return parts.join('\n');
  }

  async function waitForText(re: RegExp, timeoutMs = 30_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const text = await allText();
      if (re.test(text)) return text;
      if (Date.now() > until) throw new Error(`text ${re} not found on the page; it shows:\n${text.slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Sends a signal through the Web UI's "Send a Signal" dialog, with optional JSON input. */
  async function signalFromUi(name: string, jsonInput?: string, screenshot?: string, doc?: string): Promise<void> {
    await page.getByRole('button', { name: 'More Actions' }).click();
    await page.locator('[data-testid=signal-button]:visible').first().click();
    await page.locator('[data-testid=signal-select-button]:visible').click();
    await page.getByRole('option', { name, exact: true }).click();
    if (jsonInput !== undefined) {
      await page.locator('.cm-content[contenteditable=true]:visible').first().click();
      await page.keyboard.type(jsonInput);
    }
    if (screenshot) await shot(screenshot, { doc });
    await page.locator('[data-testid=confirm-modal-button]:visible').click();
  }

  async function openWorkflow(workflowId: string): Promise<void> {
    await page.goto(`${ui()}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
  }

  it('finds a REVERSED order by CombineOutTradeNo and shows its summary, phase and activities', async () => {
    const input = orderInput({ dueInMs: 300, subOrderCount: 2 });
    await seedOrder(stack.peer, input);
    const { handle } = await startOrder(client, input, { taskQueue: stack.taskQueue });
    await handle.result();

    const query = `CombineOutTradeNo="${input.combineOutTradeNo}"`;
    await page.goto(`${ui()}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    const row = page.getByText(workflowIdFor(input.combineOutTradeNo)).first();
    await row.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SHOTS, 'list-by-order-number.png') });

    await openWorkflow(workflowIdFor(input.combineOutTradeNo));
    await page.getByText(`Combined order ${input.combineOutTradeNo}`).first().waitFor({ timeout: 30_000 });
    const text = await page.locator('body').innerText();
    expect(text).toContain('Completed');
    expect(text).toContain(`query ${input.combineOutTradeNo}`);
    expect(text).toContain(`reverse ${input.combineOutTradeNo}`);
    expect(text).toContain(`confirming query ${input.combineOutTradeNo}`);
    expect(text).toContain(`compensate sub-order ${input.subOrders[0]!.outTradeNo}`);
    await shot('reversed-order.png', { fullPage: true, doc: DOC_SHOTS.reversed });
  });

  it('finds an order waiting for a human with PaymentPhase="NEEDS_ATTENTION" and shows why', async () => {
    const input = orderInput({ dueInMs: 300 });
    await seedOrder(stack.peer, input);
    stack.peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: input.combineOutTradeNo });
    const { handle } = await startOrder(client, input, { taskQueue: stack.taskQueue });
    await waitForPhase(handle, 'NEEDS_ATTENTION');

    const query = `PaymentPhase="NEEDS_ATTENTION" AND CombineOutTradeNo="${input.combineOutTradeNo}"`;
    await page.goto(`${ui()}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    await page.getByText(workflowIdFor(input.combineOutTradeNo)).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SHOTS, 'list-needs-attention.png') });

    await openWorkflow(workflowIdFor(input.combineOutTradeNo));
    await page.getByText('Running').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SHOTS, 'needs-attention-history.png'), fullPage: true });

    // Summary, details and the current "what it waits for" sentence.
    await page.getByText('User Metadata', { exact: true }).first().click();
    await page.getByText('Current Details').first().waitFor({ timeout: 30_000 });
    const metadata = await waitForText(/Waiting for an operator because/);
    expect(metadata).toContain(`Combined order ${input.combineOutTradeNo}`);
    expect(metadata).toMatch(/REVERSE_REJECTED/);
    await shot('needs-attention-metadata.png', { fullPage: true, doc: DOC_SHOTS.needsAttention });

    // The search attributes an operator filters on.
    await page.getByText('Search Attributes', { exact: true }).first().click();
    await page.getByText('PaymentPhase').first().waitFor({ timeout: 30_000 });
    const attrs = await page.locator('body').innerText();
    expect(attrs).toContain('NEEDS_ATTENTION');
    expect(attrs).toContain('PaymentDeadline');
    expect(attrs).toContain(input.subOrders[0]!.subMchid);
    await page.screenshot({ path: path.join(SHOTS, 'needs-attention-search-attributes.png'), fullPage: true });

    // The operator fixed the cause: "retry" from the signal dialog (no input) drives the reverse again.
    await signalFromUi('retry');
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.reverse?.rounds).toBe(2);
  });

  it('resolves an order from the Web UI signal dialog with a JSON string note', async () => {
    const input = orderInput({ dueInMs: 300 });
    await seedOrder(stack.peer, input);
    stack.peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: input.combineOutTradeNo });
    const { handle } = await startOrder(client, input, { taskQueue: stack.taskQueue });
    await waitForPhase(handle, 'NEEDS_ATTENTION');
    await openWorkflow(workflowIdFor(input.combineOutTradeNo));
    await signalFromUi(
      'resolve',
      '"closed by hand in the merchant portal, ticket OPS-1"',
      'resolve-signal-dialog.png',
      DOC_SHOTS.resolveDialog,
    );
    const result = await handle.result();
    expect(result.outcome).toBe('RESOLVED_MANUALLY');
    expect(result.resolution?.note).toBe('closed by hand in the merchant portal, ticket OPS-1');
    expect(stack.orderService.log.some((e) => e.combineOutTradeNo === input.combineOutTradeNo)).toBe(false);
  });

  it('shows notes and order numbers as text: no link, image, HTML or emphasis comes out of them (Markdown escaped)', async () => {
    const no = `W|*_${uniqueId('x').slice(-8)}`;
    const input = orderInput({ dueInMs: 300, subOrderCount: 1, combineOutTradeNo: no });
    input.subOrders = [{ ...input.subOrders[0]!, outTradeNo: 'S|1*_x_*' }];
    await seedOrder(stack.peer, input);
    stack.peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: no });
    const { handle } = await startOrder(client, input, { taskQueue: stack.taskQueue });
    await waitForPhase(handle, 'NEEDS_ATTENTION');
    const note = '[x](http://e.vil) <http://e.vil> ![i](http://e.vil/i.png) <b>bold</b> **strong** |cell|';
    await handle.signal(resolveSignal, { note });
    expect((await handle.result()).outcome).toBe('RESOLVED_MANUALLY');

    await openWorkflow(workflowIdFor(no));
    await page.getByText('User Metadata', { exact: true }).first().click();
    // The renderer shows text only; the invisible word joiners that keep bare URLs from becoming links are dropped.
    const text = (await waitForText(/resolved the order by hand/)).replace(/\u2060/g, '');
    await page.screenshot({ path: path.join(SHOTS, 'escaped-markdown.png'), fullPage: true });
    // Rendered as written: the note, the order number in the summary, the sub-order in the details.
    expect(text).toContain(note);
    expect(text).toContain(`Combined order ${no}`);
    expect(text).toContain('S|1*_x_*');
    // The UI renders summary, details and current details (GFM) in frames of its /render page: none holds a link, an
    // image, HTML or emphasis, and the only table cells are the details' own.
    const rendered = page.frames().filter((f) => f.url().includes('/render'));
    expect(rendered.length).toBeGreaterThanOrEqual(3);
    for (const frame of rendered) {
      const found = await frame.locator('a, img, b, strong:text-is("strong"), em, td:text-is("cell")').count();
      expect({ frame: decodeURIComponent(frame.url()).slice(0, 80), found }).toEqual({
        frame: decodeURIComponent(frame.url()).slice(0, 80),
        found: 0,
      });
    }
  });
});
