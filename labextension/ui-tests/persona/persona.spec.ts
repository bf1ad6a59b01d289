/**
 * @TrainerAgent in jupyter-ai 3's chat, in a real Chromium: a `.chat` file, the TrainerAgent persona picked,
 * "@TrainerAgent classify sklearn:wine ..." sent; the reply streams the agents' messages, then the outcome with
 * the constraint table and where the run's notebook and bundle are; the notebook opens with executed cells.
 * Run by tests/test_persona_lab.py against the jupyter-ai environment's lab (`make test-persona`); what it saw is
 * written to $TAL_TRACE for that test to check on disk.
 */
import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

test.use({ autoGoto: true, kernels: null, sessions: null });

// the chat's own folder, not galata's tmpPath (which galata deletes when the test ends; the run is checked after)
const FOLDER = 'persona-chat';

test('@TrainerAgent turns a wine request into a notebook and a bundle', async ({ page }) => {
  await page.contents.createDirectory(FOLDER);
  await page.evaluate(async folder => {
    await (window as any).jupyterapp.commands.execute('jupyterlab-chat:createAndOpen', { name: 'wine', path: folder });
  }, FOLDER);
  const chat = page.locator('.jp-chat-widget:visible');
  const input = chat.locator('.jp-chat-input-textfield textarea[role="combobox"]');
  await expect(input).toBeVisible({ timeout: 30000 });

  // the persona picker: TrainerAgent (jupyter-ai routes a message to the persona it names)
  const picker = chat.locator('.jp-jai-personaControls-persona-btn');
  if (!((await picker.textContent()) || '').includes('TrainerAgent')) {
    await picker.click();
    await page.getByRole('menuitem', { name: /TrainerAgent/ }).click();
  }
  await expect(picker).toContainText('TrainerAgent');

  const request = '@TrainerAgent classify sklearn:wine with at least 90% accuracy';
  await input.fill(request);
  await page.keyboard.press('Escape'); // closes the mention completer if typing "@" opened it
  await input.fill(request);
  const sent = Date.now();
  await chat.locator('.jp-chat-send-button').click();

  const messages = chat.locator('.jp-chat-messages-container');
  await expect(messages).toContainText('Working on it', { timeout: 30000 });
  const firstReplyMs = Date.now() - sent;
  await expect(messages).toContainText(/\*?\*?(Task|Data)\*?\*?:/, { timeout: 120000 }); // an agent's message
  await expect(messages).toContainText(/Outcome: \w+/, { timeout: 420000 });
  const runMs = Date.now() - sent;
  const reply = (await messages.innerText()) || '';
  expect(reply).toContain('Outcome: succeeded');
  expect(reply).toMatch(/requirement\s+target\s+measured\s+met/);
  const notebook = /Notebook:\s*(\S+notebook\.ipynb)/.exec(reply);
  const bundle = /bundle:\s*(\S+bundle)\b/.exec(reply);
  expect(notebook, reply).not.toBeNull();
  expect(bundle, reply).not.toBeNull();

  const snapshotDir = path.join(__dirname, '..', 'snapshots');
  fs.mkdirSync(snapshotDir, { recursive: true });
  await messages.locator('table').last().scrollIntoViewIfNeeded();
  await chat.screenshot({ path: path.join(snapshotDir, 'persona-chat.png') });

  // the run's notebook, opened in the lab: its cells ran (execution counts)
  const notebookPath = `${FOLDER}/${notebook![1]}`;
  expect(await page.contents.fileExists(notebookPath)).toBe(true);
  expect(await page.contents.fileExists(`${FOLDER}/${bundle![1]}/serve.py`)).toBe(true);
  await page.evaluate(async p => {
    await (window as any).jupyterapp.commands.execute('docmanager:open', { path: p });
  }, notebookPath);
  const prompts = page.locator('.jp-NotebookPanel:visible .jp-CodeCell .jp-InputPrompt', { hasText: /\[\d+\]/ });
  await expect(prompts.first()).toBeVisible({ timeout: 60000 });
  // every code cell of the notebook's model (the view draws only the cells in sight)
  const executedCells = await page.evaluate(() => {
    const model = (window as any).jupyterapp.shell.currentWidget.content.model;
    let count = 0;
    for (let i = 0; i < model.cells.length; i++) {
      const cell = model.cells.get(i);
      count += cell.type === 'code' && cell.sharedModel.execution_count ? 1 : 0;
    }
    return count;
  });
  expect(executedCells).toBeGreaterThan(8);

  if (process.env.TAL_TRACE) {
    fs.writeFileSync(process.env.TAL_TRACE, JSON.stringify({
      folder: FOLDER, notebook: notebook![1], bundle: bundle![1], firstReplyMs, runMs, executedCells, reply
    }));
  }
});
