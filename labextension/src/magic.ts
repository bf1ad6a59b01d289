/**
 * The lab half of `%%traineragent`: the cells a magic run writes appear, with their outputs, below the magic
 * cell.
 *
 * The kernel side (trainer_agent_lab/notebook/lab_mirror.py) opens a comm with the target
 * `trainer_agent_lab.cells` when a run starts, sends every cell of its run notebook as it is written and again
 * when it has run, and closes the comm when the run ends. This registers that target on the kernel of every
 * notebook and inserts the cells after the magic cell, in order. The cells are not executed here: they already
 * ran in the kernel, their outputs come with them. A later run of the same magic cell first removes the cells
 * the earlier one inserted (they carry `trainer_agent.magic_cell` in their metadata). They also carry the run's
 * token (`trainer_agent.magic_run`): the kernel then tells the new cells from the stale copies a Run All had
 * already queued, and does not run those again.
 */
import { MarkdownCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';

export const MAGIC_TARGET = 'trainer_agent_lab.cells';

/** One magic run as seen here (tests and the console read `window.trainerAgentLab.magic.runs`). */
export interface IMirroredRun {
  magicCellId: string;
  notebookPath: string;
  runDir: string;
  request: string;
  /** The kernel's token for this run (written into the inserted cells' metadata). */
  token: string;
  /** Run-notebook cell id -> id of the cell inserted here, in insertion order. */
  inserted: Map<string, string>;
  ended: { status: string | null; reason: string | null; bundle: string | null } | null;
  /** Date.now() when the run started, its first cell was inserted, and it ended. */
  openedAt: number;
  firstCellAt: number | null;
  endedAt: number | null;
}

function text(source: unknown): string {
  return Array.isArray(source) ? source.join('') : String(source ?? '');
}

export class MagicMirror {
  readonly runs: IMirroredRun[] = [];
  private _kernels = new WeakSet<Kernel.IKernelConnection>();

  constructor(tracker: INotebookTracker) {
    tracker.forEach(panel => this.watch(panel));
    tracker.widgetAdded.connect((_, panel) => this.watch(panel));
  }

  /** Listen for magic runs on this notebook's kernel, now and after a kernel change. */
  watch(panel: NotebookPanel): void {
    const register = (kernel: Kernel.IKernelConnection | null | undefined) => {
      if (!kernel || this._kernels.has(kernel)) {
        return;
      }
      this._kernels.add(kernel);
      kernel.registerCommTarget(MAGIC_TARGET, (comm, msg) => this._open(panel, comm, msg));
    };
    panel.sessionContext.kernelChanged.connect((_, change) => register(change.newValue));
    void panel.sessionContext.ready.then(() => register(panel.sessionContext.session?.kernel));
  }

  private _open(panel: NotebookPanel, comm: Kernel.IComm, msg: KernelMessage.ICommOpenMsg): void {
    const data = msg.content.data as any;
    const magicCellId = (data.magic_cell_id as string) || this._executing(panel, msg.parent_header);
    if (panel.isDisposed || !magicCellId || this._index(panel, magicCellId) < 0) {
      console.warn('trainer-agent-lab: a %%traineragent run whose cell is not in this notebook; cells stay in',
        data.notebook);
      return;
    }
    this._removeEarlier(panel, magicCellId);
    const run: IMirroredRun = {
      magicCellId,
      notebookPath: panel.context.path,
      runDir: String(data.run_dir ?? ''),
      request: String(data.request ?? ''),
      token: String(data.run_token ?? ''),
      inserted: new Map(),
      ended: null,
      openedAt: Date.now(),
      firstCellAt: null,
      endedAt: null
    };
    this.runs.push(run);
    comm.onMsg = (message: KernelMessage.ICommMsgMsg) => {
      const body = message.content.data as any;
      if (panel.isDisposed) {
        return;
      }
      if (body.kind === 'cell') {
        this._cell(panel, run, body.cell);
      } else if (body.kind === 'end') {
        run.ended = { status: body.status ?? null, reason: body.reason ?? null, bundle: body.bundle ?? null };
        run.endedAt = Date.now();
      }
    };
  }

  /** The id of the code cell whose execution request is `parent` (when the kernel did not say). */
  private _executing(panel: NotebookPanel, parent: any): string {
    const msgId = parent?.msg_id;
    for (const widget of panel.content.widgets) {
      const future = (widget as any).outputArea?.future;
      if (msgId && future?.msg?.header?.msg_id === msgId) {
        return widget.model.id;
      }
    }
    return '';
  }

  private _index(panel: NotebookPanel, cellId: string): number {
    const cells = panel.model!.cells;
    for (let i = 0; i < cells.length; i++) {
      if (cells.get(i).id === cellId) {
        return i;
      }
    }
    return -1;
  }

  private _removeEarlier(panel: NotebookPanel, magicCellId: string): void {
    const model = panel.model!;
    for (let i = model.cells.length - 1; i >= 0; i--) {
      const mark = model.cells.get(i).getMetadata('trainer_agent') as any;
      if (mark?.magic_cell === magicCellId) {
        model.sharedModel.deleteCell(i);
      }
    }
  }

  private _cell(panel: NotebookPanel, run: IMirroredRun, cell: any): void {
    const model = panel.model!;
    const known = run.inserted.get(cell.id);
    const at = known ? this._index(panel, known) : -1;
    const outputs = cell.cell_type === 'code' ? (cell.outputs ?? []) : undefined;
    if (at >= 0) {
      const shared = model.cells.get(at).sharedModel as any;
      if (shared.getSource() !== text(cell.source)) {
        shared.setSource(text(cell.source));
      }
      if (outputs) {
        shared.setOutputs(outputs);
        shared.execution_count = null; // the run's own counts would read as this notebook's, under the magic cell's
        const mark = (model.cells.get(at).getMetadata('trainer_agent') as any) ?? {};
        if (mark.run_execution_count !== (cell.execution_count ?? null)) {
          // whether (and as which) the run executed it: kept in the metadata, not as this notebook's own count
          model.cells.get(at).setMetadata('trainer_agent', { ...mark, run_execution_count: cell.execution_count ?? null });
        }
      }
      this._render(panel, at);
      return;
    }
    // after the cells this run inserted so far (or right after the magic cell)
    let position = this._index(panel, run.magicCellId) + 1;
    if (position === 0) {
      return; // the magic cell was deleted meanwhile: the run notebook on disk keeps everything
    }
    for (const id of run.inserted.values()) {
      position = Math.max(position, this._index(panel, id) + 1);
    }
    const metadata = {
      ...(cell.metadata ?? {}),
      trusted: true, // produced by this notebook's own kernel, as the outputs of any cell it runs
      trainer_agent: {
        ...(cell.metadata?.trainer_agent ?? {}),
        magic_cell: run.magicCellId,
        magic_run: run.token,
        run_dir: run.runDir,
        ...(outputs ? { run_execution_count: cell.execution_count ?? null } : {})
      }
    };
    model.sharedModel.insertCell(position, {
      cell_type: cell.cell_type,
      source: text(cell.source),
      metadata,
      ...(outputs ? { outputs, execution_count: null } : {})
    } as any);
    run.inserted.set(cell.id, model.cells.get(position).id);
    run.firstCellAt = run.firstCellAt ?? Date.now();
    this._render(panel, position);
  }

  private _render(panel: NotebookPanel, index: number): void {
    const widget = panel.content.widgets[index];
    if (widget instanceof MarkdownCell) {
      widget.rendered = true;
    }
  }
}
