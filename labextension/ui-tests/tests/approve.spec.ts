/**
 * "Approve each cell before it runs" (the panel's setting): every generated code cell is inserted, then waits
 * for Run in the chat; nothing runs before the click, and "Stop the run" at a waiting cell stops the run there.
 */
import { expect, galata, test } from '@jupyterlab/galata';
import { panelWithRequest } from './panel';

// galata's kernel and session route mocks answer an empty 204 (interrupt) with a JSON error: real routes instead.
// The settings are galata's in-page ones: approval is on for this file's page only.
test.use({
  autoGoto: true,
  kernels: null,
  sessions: null,
  mockSettings: { ...galata.DEFAULT_SETTINGS, 'trainer-agent-lab:plugin': { approveCells: true } }
});

test('with approval on, each cell waits for Run and Stop ends the run there', async ({ page }) => {
  test.setTimeout(240000);
  const panel = await panelWithRequest(page, 'approve.ipynb', {
    data: 'sklearn:wine',
    budget: 60,
    text: 'classify the wine data with at least 90% accuracy'
  });
  const cells = page.locator('.jp-NotebookPanel:visible .jp-Notebook .jp-CodeCell');
  // the new notebook's own empty cell: it gives way to the run's first cell (nobody's work is lost)
  await expect(cells).toHaveCount(1);
  await panel.locator('.tal-send').click();

  // code cells that ran, from the notebook model (a collapsed cell shows no prompt to count)
  const executed = () => page.evaluate(() => {
    const model = (window as any).jupyterapp.shell.currentWidget.content.model;
    let count = 0;
    for (let i = 0; i < model.cells.length; i++) {
      const cell = model.cells.get(i);
      count += cell.type === 'code' && cell.executionCount ? 1 : 0;
    }
    return count;
  });
  const card = panel.locator('.tal-approval');
  // the first code cell (it moves the kernel into the run's own folder) is in the notebook and waits: nothing has run
  await expect(card).toBeVisible({ timeout: 60000 });
  await expect(card.locator('pre')).toContainText("this run's own folder");
  await expect(cells).toHaveCount(1); // the waiting cell; the empty one is gone
  await page.waitForTimeout(1500);
  expect(await executed()).toBe(0);
  await card.getByRole('button', { name: 'Run', exact: true }).click();
  await expect.poll(executed, { timeout: 60000 }).toBe(1);

  // the next one waits in turn
  await expect(card.locator('pre')).not.toContainText("this run's own folder", { timeout: 60000 });
  const second = (await card.locator('pre').textContent()) ?? '';
  await card.getByRole('button', { name: 'Run', exact: true }).click();
  await expect.poll(executed, { timeout: 60000 }).toBe(2);

  // the third: stop there; it is in the notebook, never run, and the run ends stopped
  await expect(card.locator('pre')).not.toHaveText(second, { timeout: 60000 });
  await expect(card).toBeVisible();
  await card.getByRole('button', { name: 'Stop the run' }).click();
  await expect(panel.locator('.tal-progress .tal-state')).toHaveText('stopped', { timeout: 60000 });
  await expect(card).toHaveCount(0);
  await expect(cells).toHaveCount(3);
  expect(await executed()).toBe(2);
});
