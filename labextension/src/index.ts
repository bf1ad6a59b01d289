/**
 * TrainerAgent Lab: the sidebar chat, the frontend half of the live notebook driver, and the cells of
 * `%%traineragent` runs inserted below the magic cell. Ways in: the right sidebar's icon, a launcher card
 * ("TrainerAgent chat": a new notebook with the chat open), the View menu and the command palette. Each notebook's
 * plotly figures keep one look (./figures).
 */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';
import { LabClient } from './client';
import { Executor } from './executor';
import { oneLookFigures } from './figures';
import { MagicMirror } from './magic';
import { ChatPanel, IPanelSettings } from './panel';

const PLUGIN_ID = 'trainer-agent-lab:plugin';

const agentIcon = new LabIcon({
  name: 'trainer-agent-lab:icon',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<circle cx="6" cy="7" r="3"/><circle cx="18" cy="7" r="3"/><circle cx="6" cy="17" r="3"/>' +
    '<circle cx="18" cy="17" r="3"/><rect x="11" y="4" width="2" height="16"/><rect x="4" y="11" width="16" height="2"/>' +
    '</g></svg>'
});

const DEFAULTS: IPanelSettings = {
  llmBackend: 'offline',
  llmBaseUrl: '',
  llmModel: '',
  llmApiKeyEnv: 'OPENAI_API_KEY',
  timeBudget: 300,
  engine: 'local',
  approveCells: false
};

function slug(text: string): string {
  const words = text.toLowerCase().replace(/[^a-z0-9 ]+/g, ' ').split(/\s+/).filter(Boolean).slice(0, 6);
  return words.join('-') || 'task';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'A sidebar chat where four agents write and run the cells of your notebook.',
  autoStart: true,
  requires: [INotebookTracker, IDocumentManager, ILabShell],
  optional: [ISettingRegistry, ICommandPalette, ILauncher, IMainMenu],
  activate: async (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    docManager: IDocumentManager,
    shell: ILabShell,
    registry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    mainMenu: IMainMenu | null
  ) => {
    let settings: IPanelSettings = { ...DEFAULTS };
    if (registry) {
      try {
        const loaded = await registry.load(PLUGIN_ID);
        const read = () => {
          settings = { ...DEFAULTS, ...(loaded.composite as any) };
        };
        read();
        loaded.changed.connect(read);
      } catch (err) {
        console.warn('trainer-agent-lab: settings not loaded', err);
      }
    }
    const client = new LabClient();
    const executor = new Executor(client, tracker);
    const magic = new MagicMirror(tracker); // %%traineragent cells appear below the magic cell
    const openPaths = () => {
      const paths: string[] = [];
      tracker.forEach(panel => {
        if (!panel.isDisposed) {
          paths.push(panel.context.path);
        }
      });
      client.setNotebooks([...paths, ...executor.aliases()]);
    };
    tracker.widgetAdded.connect((_, panel: NotebookPanel) => {
      oneLookFigures(panel.content.rendermime); // plotly figures interactive at once, the notebook left unchanged
      executor.trackRenames(panel);
      void panel.context.ready.then(openPaths);
      panel.context.pathChanged.connect(openPaths);
      panel.disposed.connect(() => window.setTimeout(openPaths, 0));
    });
    client.connectionChanged.connect((_, ok) => ok && openPaths());
    client.connect();

    const newNotebook = async (request: string): Promise<string> => {
      const name = slug(request);
      const folder = `trainer-agent-runs/${name}-${Date.now().toString(36)}`;
      const contents = app.serviceManager.contents;
      await contents.save('trainer-agent-runs', { type: 'directory' }).catch(() => undefined);
      await contents.save(folder, { type: 'directory' });
      const path = `${folder}/${name}.ipynb`;
      await contents.save(path, {
        type: 'notebook',
        format: 'json',
        content: { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }
      });
      const widget = docManager.openOrReveal(path, 'Notebook', { name: 'python3' });
      if (widget) {
        await (widget as NotebookPanel).context.ready;
        await (widget as NotebookPanel).sessionContext.ready;
      }
      openPaths();
      return path;
    };

    const reveal = async (path: string, cellId: string | null) => {
      let panel = executor.panel(path);
      if (!panel) {
        panel = (docManager.openOrReveal(path, 'Notebook') as NotebookPanel) ?? null;
        if (panel) {
          await panel.context.ready;
        }
      }
      if (!panel) {
        return;
      }
      shell.activateById(panel.id);
      if (cellId) {
        const index = panel.content.widgets.findIndex(w => w.model.id === cellId);
        if (index >= 0) {
          panel.content.activeCellIndex = index;
          await panel.content.scrollToCell(panel.content.widgets[index], 'start');
        }
      }
    };

    const panel = new ChatPanel({ client, executor, tracker, settings: () => settings, newNotebook, reveal });
    panel.title.icon = agentIcon;
    panel.title.caption = 'TrainerAgent';
    shell.add(panel, 'right', { rank: 50 });

    const command = 'trainer-agent-lab:open';
    app.commands.addCommand(command, {
      label: 'Open the TrainerAgent chat',
      icon: agentIcon,
      execute: () => shell.activateById(panel.id)
    });
    palette?.addItem({ command, category: 'TrainerAgent' });
    mainMenu?.viewMenu.addGroup([{ command }], 100);

    // the launcher's card: a new notebook, with the chat open beside it
    const start = 'trainer-agent-lab:new-notebook';
    app.commands.addCommand(start, {
      label: args => (args.isPalette ? 'New notebook with the TrainerAgent chat' : 'TrainerAgent chat'),
      caption: 'A new notebook, with the chat where four agents write and run its cells',
      icon: agentIcon,
      execute: async () => {
        const model = await app.commands.execute('docmanager:new-untitled', { path: '', type: 'notebook' });
        if (model?.path) {
          docManager.openOrReveal(model.path, 'Notebook', { name: 'python3' });
        }
        shell.activateById(panel.id);
      }
    });
    launcher?.add({ command: start, category: 'Notebook', rank: 50 });
    palette?.addItem({ command: start, category: 'TrainerAgent' });
    (window as any).trainerAgentLab = { client, executor, magic };
  }
};

export default plugin;
