/**
 * The chat panel as a daily tool (issue 16), on the suite's one JupyterLab server:
 * - the ways in (launcher card, View menu), the empty panel's examples, the plan before a run, and WCAG AA
 *   contrast (4.5:1) of every text in the panel in the light and the dark theme;
 * - one run per notebook: Enter while a run works queues a follow-up (no second run, no new notebook), and Stop
 *   of a run paused by closing its notebook ends it, stopped, in seconds;
 * - the run list and the conversation come back after a page reload.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import { panelWithRequest } from './panel';

test.use({ autoGoto: true, kernels: null, sessions: null });

/** Texts in the panel whose colour on its effective background is under 4.5:1 (WCAG AA for normal text). */
async function lowContrast(page: IJupyterLabPageFixture): Promise<string[]> {
  return page.evaluate(() => {
    const parse = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = parse(getComputedStyle(el).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) {
          return c.slice(0, 3);
        }
      }
      return [255, 255, 255];
    };
    const bad: string[] = [];
    const root = document.querySelector('#trainer-agent-lab-panel')!;
    for (const el of Array.from(root.querySelectorAll('*'))) {
      const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && (n.textContent ?? '').trim());
      if (!own || (el as HTMLElement).offsetParent === null) {
        continue;
      }
      const fg = parse(getComputedStyle(el).color);
      const bg = background(el);
      const a = fg.length > 3 ? fg[3] : 1; // a translucent text colour, composed over its background
      const mixed = [0, 1, 2].map(i => fg[i] * a + bg[i] * (1 - a));
      const [hi, lo] = [lum(mixed), lum(bg)].sort((x, y) => y - x);
      const ratio = (hi + 0.05) / (lo + 0.05);
      if (ratio < 4.5) {
        bad.push(`${el.className || el.tagName} "${(el.textContent ?? '').trim().slice(0, 30)}" ${ratio.toFixed(2)}:1`);
      }
    }
    return bad;
  });
}

async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('trainer-agent-lab:open'));
  const panel = page.locator('#trainer-agent-lab-panel');
  await expect(panel.locator('.tal-dot-on')).toBeVisible({ timeout: 20000 });
  return panel;
}

test('ways in, examples, the plan first, and AA contrast in both themes', async ({ page }) => {
  test.setTimeout(120000);
  // a launcher card and a View menu item
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('launcher:create'));
  await expect(page.locator('.jp-LauncherCard:visible', { hasText: 'TrainerAgent chat' })).toBeVisible();
  await page.menu.open('View');
  await expect(page.locator('.lm-Menu-itemLabel', { hasText: 'Open the TrainerAgent chat' })).toBeVisible();
  await page.keyboard.press('Escape');
  await page.notebook.createNew('look.ipynb');
  const panel = await openPanel(page);
  // the empty panel offers three examples; one click fills the input and the data field
  await expect(panel.locator('.tal-example')).toHaveCount(3);
  await panel.locator('.tal-example').first().click();
  await expect(panel.locator('.tal-textarea')).toHaveValue(/iris/);
  await expect(panel.locator('.tal-data')).toHaveValue('sklearn:iris');
  // the plan before a run: what it would do, by agent, without training
  await panel.locator('.tal-plan-first').click();
  const preview = panel.locator('.tal-preview');
  await expect(preview).toContainText('run', { timeout: 30000 });
  for (const agent of ['task', 'data', 'model', 'server']) {
    await expect(preview.locator(`.tal-agent-${agent}`).first()).toBeVisible();
  }
  // a narrow sidebar: nothing sticks out of the panel
  await page.evaluate(() => {
    (document.querySelector('#trainer-agent-lab-panel') as HTMLElement).style.width = '240px';
  });
  expect(await lowContrast(page)).toEqual([]);
  await page.theme.setDarkTheme();
  await expect(page.locator('body[data-jp-theme-light="false"]')).toHaveCount(1);
  expect(await lowContrast(page)).toEqual([]);
  await page.theme.setLightTheme();
});

test('Enter while a run works queues a follow-up; Stop of a paused run', async ({ page }) => {
  test.setTimeout(180000);
  const panel = await panelWithRequest(page, 'paused.ipynb', {
    data: 'sklearn:iris',
    budget: 30,
    text: 'classify the iris species with at least 90% accuracy'
  });
  await panel.locator('.tal-textarea').press('Enter');
  const nbPath = await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.path);
  const notebook = page.locator('.jp-NotebookPanel:visible .jp-Notebook');
  await expect(notebook.locator('.jp-CodeCell').first()).toBeVisible({ timeout: 60000 });
  // the notebook's empty first cell gave way to the run's cells
  await expect(notebook.locator('.jp-Cell').first()).not.toHaveClass(/jp-CodeCell/);
  // Enter while the run works: queued as its follow-up, said in the chat; still one run of this notebook
  await panel.locator('.tal-textarea').fill('also serve it at 20 requests per second');
  await panel.locator('.tal-textarea').press('Enter');
  await expect(panel.locator('.tal-msg.tal-queued')).toHaveCount(1);
  await expect(panel.locator('.tal-msg', { hasText: 'Queued' })).toHaveCount(1);
  const runs = await page.evaluate(async (p: string) => {
    return (await (window as any).trainerAgentLab.client.runsOf(p)).length;
  }, nbPath);
  expect(runs).toBe(1);
  // close the notebook: the run pauses; Stop ends it there
  await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.dispose()); // closed, unsaved edits dropped
  await expect(panel.locator('.tal-progress .tal-state')).toHaveText(/paused/i, { timeout: 60000 });
  const stopped = Date.now();
  await panel.locator('.tal-stop').click();
  await expect(panel.locator('.tal-progress .tal-state')).toHaveText(/stopped/i, { timeout: 20000 });
  expect(Date.now() - stopped).toBeLessThan(15000);
  await expect(panel.locator('.tal-summary .tal-card-title')).toHaveText('Outcome: stopped');
  await expect(panel.locator('.tal-msg', { hasText: 'Dropped 1 queued' })).toHaveCount(1);
});

// The reload: galata's own reload waits for the Launcher tab to be active, and the restored layout brings back the
// notebook tabs instead; so the page reloads without that wait, and the test waits for the panel itself.
test('a reload restores the run list and the conversation', async ({ page }) => {
  test.setTimeout(120000);
  const panel = await panelWithRequest(page, 'reload.ipynb', {
    data: 'sklearn:iris',
    budget: 30,
    text: 'classify the iris species with at least 90% accuracy'
  });
  await panel.locator('.tal-textarea').press('Enter');
  const nbPath = await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.path);
  await expect(panel.locator('.tal-progress .tal-state')).toHaveText(/running/i, { timeout: 30000 });
  await panel.locator('.tal-stop').click();
  await expect(panel.locator('.tal-progress .tal-state')).toHaveText(/stopped/i, { timeout: 30000 });
  // a reload: the notebook's run list and its conversation come back
  await page.reload({ waitForIsReady: false });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached', timeout: 60000 });
  await page.waitForFunction(() => (window as any).jupyterapp?.commands?.hasCommand('trainer-agent-lab:open'));
  await page.evaluate(async (p: string) => {
    await (window as any).jupyterapp.commands.execute('docmanager:open', { path: p, kernel: { name: 'python3' } });
  }, nbPath);
  const again = await openPanel(page);
  await expect(again.locator('.tal-runs')).toContainText('Runs of this notebook (1)', { timeout: 20000 });
  await expect(again.locator('.tal-run .tal-state')).toHaveText(/stopped/i);
  await expect(again.locator('.tal-msg.tal-agent-user').first()).toContainText('classify the iris species');
  await expect(again.locator('.tal-summary .tal-card-title')).toHaveText('Outcome: stopped');
});
