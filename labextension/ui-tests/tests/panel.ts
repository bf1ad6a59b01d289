/**
 * What the chat specs share: a new notebook with the TrainerAgent panel open and connected, and a request typed
 * into it (not sent: each spec clicks Send itself, some measure from that moment).
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

export async function panelWithRequest(
  page: IJupyterLabPageFixture,
  notebook: string,
  request: { data: string; budget: number; text: string }
): Promise<Locator> {
  await page.notebook.createNew(notebook);
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('trainer-agent-lab:open'));
  const panel = page.locator('#trainer-agent-lab-panel');
  await expect(panel).toBeVisible();
  await expect(panel.locator('.tal-dot-on')).toBeVisible({ timeout: 20000 });
  await expect(panel.locator('.tal-target-select')).toContainText(notebook);
  await panel.locator('.tal-data').fill(request.data);
  await panel.locator('.tal-budget').fill(String(request.budget));
  await panel.locator('.tal-textarea').fill(request.text);
  return panel;
}
