/**
 * The chat panel in a real Chromium: a wine request sent from the panel fills the open notebook with cells
 * that run in its kernel, the plan checklist completes and the summary shows the constraint table; its bundle link
 * downloads the run folder's own bundle.zip; its figures are interactive at once and leave the notebook saved; a
 * follow-up sent with Enter updates the requirements card and adds one revision section to the notebook; a second
 * notebook in the same folder gets its own run folder and bundle, the first one's intact.
 * Latencies measured on the way are written to $TAL_TRACE (benchmarks/lab_latency.py reports them).
 */
import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';
import { panelWithRequest } from './panel';

// galata's kernel and session route mocks answer an empty 204 (interrupt) with a JSON error: real routes instead
test.use({ autoGoto: true, kernels: null, sessions: null });

test('a wine request from the chat runs in the open notebook', async ({ page }) => {
  test.setTimeout(900000); // a wine run, a follow-up and an iris run, on a shared machine
  const panel = await panelWithRequest(page, 'wine.ipynb', {
    data: 'sklearn:wine',
    budget: 45,
    text: 'classify the wine data with at least 95% accuracy'
  });
  const sent = Date.now();
  await panel.locator('.tal-send').click();
  await expect(panel.locator('.tal-msg.tal-agent-task').first()).toBeVisible({ timeout: 15000 });
  const firstMessageWallMs = Date.now() - sent;

  // the requirements card and the plan come from the parsed spec
  await expect(panel.locator('.tal-requirements')).toContainText('accuracy');
  // cells appear in the notebook and execute there (an execution count in the prompt)
  const notebook = page.locator('.jp-NotebookPanel:visible .jp-Notebook');
  await expect(notebook.locator('.jp-CodeCell').first()).toBeVisible({ timeout: 30000 });
  const executed = notebook.locator('.jp-CodeCell .jp-InputPrompt', { hasText: /\[\d+\]/ });
  await expect(executed.first()).toBeVisible({ timeout: 60000 });
  await expect(panel.locator('.tal-progress')).toContainText(/\d+ s/);

  // the end: summary with the constraint table; every plan item ticked
  const summary = panel.locator('.tal-summary');
  await expect(summary).toBeVisible({ timeout: 600000 }); // ~45 s on a quiet machine
  await expect(summary).toContainText('succeeded');
  await expect(summary.locator('.tal-constraints')).toContainText('accuracy');
  await expect(summary.locator('.tal-constraints .tal-met')).not.toHaveCount(0);
  await expect(summary.locator('.tal-bundle')).toHaveAttribute('href', /bundle\.zip/);
  const items = await panel.locator('.tal-plan li').count();
  expect(items).toBeGreaterThan(5);
  await expect(panel.locator('.tal-plan li.tal-done')).toHaveCount(items);
  const codeCells = await executed.count();
  expect(codeCells).toBeGreaterThan(8);

  // a figure keeps one look: the interactive chart at once (not the static PNG first), and drawing it, or
  // hovering it, leaves the saved notebook unchanged (the static copy stays in the file, for GitHub)
  const figure = notebook.locator('.jp-RenderedPlotly').first();
  await figure.scrollIntoViewIfNeeded();
  await expect(figure.locator('.plot-container')).toBeVisible({ timeout: 30000 });
  await expect(notebook.locator('.jp-RenderedPlotly img.plot-img:visible')).toHaveCount(0);
  await figure.hover();
  await page.waitForTimeout(1500);
  expect(await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.model.dirty)).toBe(false);

  // the panel as it ends (before the click below scrolls its log): kept as the snapshot
  const snapshotDir = path.join(__dirname, '..', 'snapshots');
  fs.mkdirSync(snapshotDir, { recursive: true });
  await panel.screenshot({ path: path.join(snapshotDir, 'chat-panel.png') });

  // clicking an agent's step message scrolls the notebook to its cell and makes it the active one
  await panel.locator('.tal-msg.tal-kind-step', { hasText: 'load' }).first().click();
  await expect(notebook.locator('.jp-Cell.jp-mod-active')).toContainText('load', { ignoreCase: true });

  const trace = await page.evaluate(() => {
    const w = window as any;
    const all = [...w.trainerAgentLab.executor.timings.values()].filter(
      (t: any) => t.started !== undefined && t.inserted !== undefined
    );
    return {
      firstMessageMs: w.trainerAgentLatency?.firstMessageMs ?? null,
      insertToStartMs: all.map((t: any) => t.started - t.inserted),
      callToStartMs: all.map((t: any) => t.started - t.called),
      insertToKernelStartMs: all
        .filter((t: any) => t.kernelStarted !== undefined)
        .map((t: any) => t.kernelStarted - t.insertedWall)
    };
  });
  if (process.env.TAL_TRACE) {
    fs.writeFileSync(process.env.TAL_TRACE, JSON.stringify({ ...trace, firstMessageWallMs, codeCells }, null, 1));
  }

  // the card's link serves this run's own bundle (the run folder's bundle.zip), without the token in the URL
  await bundleOf(page, panel);
  // a follow-up sent with Enter: the requirements card shows the new QPS and container once it is applied
  await panel.locator('.tal-textarea').fill('serve it at 50 requests per second on 1 GB containers');
  await panel.locator('.tal-textarea').press('Enter');
  await expect(panel.locator('.tal-progress .tal-state')).toHaveText(/running/i, { timeout: 15000 });
  await expect(panel.locator('.tal-progress .tal-state')).toHaveText(/succeeded/i, { timeout: 300000 });
  await expect(panel.locator('.tal-requirements')).toContainText('QPS');
  await expect(panel.locator('.tal-requirements')).toContainText('container');
  await expect(panel.locator('.tal-elapsed')).toHaveText(/^\d+ s$/);
  // the notebook: one outcome of the first request (marked superseded) and one revision section with its own
  const headings = await page.evaluate(() => {
    const cells = (window as any).jupyterapp.shell.currentWidget.content.model.sharedModel.cells;
    return cells.filter((c: any) => c.cell_type === 'markdown').map((c: any) => c.getSource().split('\n')[0]);
  });
  expect(headings.filter((h: string) => h.startsWith('## Outcome'))).toHaveLength(1);
  expect(headings.filter((h: string) => h.startsWith('## Revision 1'))).toHaveLength(1);
  expect(headings.filter((h: string) => h.startsWith('### Outcome of revision 1'))).toHaveLength(1);
  // the revised bundle, as the run folder now holds it: the second notebook's run must leave it as it is
  const wine = await bundleOf(page, panel);

  // a second notebook in the same folder: its own run folder and bundle; the first one's stays intact
  await page.notebook.createNew('iris.ipynb');
  await panel.locator('.tal-link', { hasText: 'New task' }).click();
  await expect(panel.locator('.tal-target-select')).toContainText('iris.ipynb');
  await panel.locator('.tal-data').fill('sklearn:iris');
  await panel.locator('.tal-budget').fill('30');
  await panel.locator('.tal-textarea').fill('classify the iris species with at least 90% accuracy');
  await panel.locator('.tal-send').click();
  await expect(panel.locator('.tal-summary')).toContainText('succeeded', { timeout: 300000 });
  const iris = await bundleOf(page, panel);
  expect(iris.folder).not.toEqual(wine.folder);
  expect(fs.readFileSync(path.join(wine.folder, 'bundle.zip')).equals(wine.bytes)).toBe(true);
  expect(iris.bytes.equals(wine.bytes)).toBe(false);
});

/** Download the summary card's bundle.zip; check it is the run folder's own; return the folder and the bytes. */
async function bundleOf(page: any, panel: any): Promise<{ folder: string; bytes: Buffer }> {
  const link = panel.locator('.tal-summary .tal-bundle');
  const href = (await link.getAttribute('href')) ?? '';
  expect(href).not.toContain('token');
  const runId = (href.match(/runs\/([0-9a-f]{12})/) ?? [])[1];
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const bytes = fs.readFileSync((await download.path()) as string);
  const summary = await page.evaluate((id: string) => (window as any).trainerAgentLab.client.api('GET', ['runs', id]),
    runId);
  expect(bytes.equals(fs.readFileSync(path.join(summary.run_folder, 'bundle.zip')))).toBe(true);
  return { folder: summary.run_folder, bytes };
}
