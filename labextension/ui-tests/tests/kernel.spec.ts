/**
 * The kernel dies in the middle of a cell (its process is killed while the model search runs): the chat says
 * so and offers to restart and resume; resuming re-runs the earlier cells and then the failed step, which
 * finishes; Stop then halts the run.
 */
import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'child_process';
import { panelWithRequest } from './panel';

// galata's kernel and session route mocks answer an empty 204 (interrupt) with a JSON error: real routes instead
test.use({ autoGoto: true, kernels: null, sessions: null });

test('a kernel that dies mid-cell is restarted and the run resumes from the failed step', async ({ page }) => {
  test.setTimeout(360000);
  const panel = await panelWithRequest(page, 'dies.ipynb', {
    data: 'sklearn:wine',
    budget: 60,
    text: 'classify the wine data with at least 90% accuracy'
  });
  await panel.locator('.tal-send').click();

  // the model search runs for a while: kill the notebook's kernel process then
  await expect(panel.locator('.tal-progress')).toContainText('Model · search', { timeout: 180000 });
  const kernelId: string = await page.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.id
  );
  const pids = execFileSync('pgrep', ['-f', `kernel-${kernelId}.json`]).toString().trim().split(/\s+/);
  for (const pid of pids) {
    process.kill(Number(pid), 'SIGKILL');
  }

  // JupyterLab's own "the kernel appears to have died" dialog, if it shows, is acknowledged like a person would
  const dialog = page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept');
  if (await dialog.waitFor({ state: 'visible', timeout: 15000 }).then(() => true, () => false)) {
    await dialog.click();
  }
  const card = panel.locator('.tal-kernel');
  await expect(card).toBeVisible({ timeout: 60000 });
  await expect(panel.locator('.tal-log')).toContainText('kernel died while running the search step');
  await card.locator('button', { hasText: 'Restart and resume' }).click();
  await expect(panel.locator('.tal-msg.tal-kind-step', { hasText: /search ✓/ })).toBeVisible({ timeout: 240000 });

  await panel.locator('.tal-stop').click();
  await expect(panel.locator('.tal-progress .tal-state')).toHaveText('stopped', { timeout: 60000 });
});
