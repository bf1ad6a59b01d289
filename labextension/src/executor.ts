/**
 * Carries out the live driver's operations in the notebook they name: by path and cell id, never "the active
 * notebook". Cells run with that notebook's own kernel session; the answer carries the nbformat outputs
 * (the agents read their structured results from them) and the timings of the cell.
 *
 * A request id is never done twice: a repeated one (the socket dropped, the server sent it again) is answered
 * from a cache, or waits for the same execution.
 */
import { CodeCell, MarkdownCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import { IOperation, LabClient } from './client';

export interface ICellTiming {
  /** ms (performance.now) when the cell was inserted. */
  inserted?: number;
  /** ms when the kernel said it began executing it (execute_input). */
  started?: number;
  /** Wall clock (Date.now) at insertion, and the kernel's own timestamp of execute_input (same machine clock). */
  insertedWall?: number;
  kernelStarted?: number;
  /** ms when the cell was handed to the kernel (CodeCell.execute). */
  called?: number;
  /** ms when its reply arrived. */
  finished?: number;
}

/** Asks the person before a cell runs (the "approve each cell" setting); resolves true to run. */
export type Approver = (op: IOperation, source: string) => Promise<boolean>;

export class Executor {
  /** Inserted cells, by id: which run, which step, and when. */
  readonly cells = new Map<string, { runId: string; path: string; step?: string; agent?: string }>();
  readonly timings = new Map<string, ICellTiming>();
  approver: Approver | null = null;
  private _activity = new Signal<this, { runId: string; cellId: string; index: number; state: string }>(this);
  private _done = new Map<string, any>();
  private _renamed = new Map<string, string>();
  private _running = new Map<string, Promise<any>>();

  constructor(
    private _client: LabClient,
    private _tracker: INotebookTracker
  ) {
    _client.operation.connect((_, op) => void this.handle(op));
  }

  /** A cell of a run starts (``running``) or ends (``done``). */
  get activity(): ISignal<this, { runId: string; cellId: string; index: number; state: string }> {
    return this._activity;
  }

  /** The open notebook panel with this path (or a path it had before a rename), if any. */
  panel(path: string): NotebookPanel | null {
    const current = this._renamed.get(path) ?? path;
    return this._tracker.find(p => p.context.path === current && !p.isDisposed) ?? null;
  }

  /** Follow a notebook's renames: a run keeps writing into it under its old path. */
  trackRenames(panel: NotebookPanel): void {
    let last = panel.context.path;
    panel.context.pathChanged.connect((_, path) => {
      for (const [old, now] of this._renamed) {
        if (now === last) {
          this._renamed.set(old, path);
        }
      }
      this._renamed.set(last, path);
      last = path;
    });
  }

  /** Old paths of notebooks that are open under a new name. */
  aliases(): string[] {
    return [...this._renamed.keys()].filter(old => this.panel(old) !== null);
  }

  async handle(op: IOperation): Promise<void> {
    const rid = op.request_id;
    if (this._done.has(rid)) {
      this._client.send(this._done.get(rid));
      return;
    }
    let work = this._running.get(rid);
    if (!work) {
      work = this._do(op).catch(err => ({ ok: false, reason: `error: ${err?.message ?? err}` }));
      this._running.set(rid, work);
    }
    const result = await work;
    this._running.delete(rid);
    const reply = { type: 'reply', request_id: rid, ...result };
    if (result.reason !== 'notebook_closed') {
      this._done.set(rid, reply);
      if (this._done.size > 2000) {
        this._done.delete(this._done.keys().next().value as string);
      }
    }
    this._client.send(reply);
  }

  private async _do(op: IOperation): Promise<any> {
    const panel = this.panel(op.notebook_path);
    if (!panel) {
      return { ok: false, reason: 'notebook_closed' };
    }
    await panel.context.ready;
    const notebook = panel.content;
    const model = panel.model!;
    const index = () => {
      for (let i = 0; i < model.cells.length; i++) {
        if (model.cells.get(i).id === op.cell_id) {
          return i;
        }
      }
      return -1;
    };
    switch (op.op) {
      case 'insert': {
        this._insert(panel, op, index());
        return { ok: true };
      }
      case 'update': {
        const i = index();
        if (i < 0) {
          return { ok: false, reason: 'no such cell' };
        }
        model.cells.get(i).sharedModel.setSource(op.source);
        const widget = notebook.widgets[i];
        if (widget instanceof MarkdownCell) {
          widget.rendered = true;
        }
        return { ok: true };
      }
      case 'metadata':
        model.setMetadata(op.key, op.value);
        return { ok: true };
      case 'save':
        await panel.context.save();
        return { ok: true };
      case 'interrupt':
        await panel.sessionContext.session?.kernel?.interrupt();
        return { ok: true };
      case 'restart': {
        const kernel = panel.sessionContext.session?.kernel;
        if (!kernel) {
          return { ok: false, reason: 'the notebook has no kernel' };
        }
        try {
          await kernel.restart();
        } catch (err) {
          // the server has usually restarted a dead kernel by itself already (and some versions answer the
          // restart request with a status the client refuses): what matters is a fresh kernel that answers
          console.warn('trainer-agent-lab: kernel restart request:', err);
        }
        let current = panel.sessionContext.session?.kernel ?? kernel;
        await this._idle(current, 150);
        if (current.status !== 'idle') {
          await current.reconnect(); // the connection can stay "starting" after a refused restart request
          current = panel.sessionContext.session?.kernel ?? current;
          await this._idle(current, 450);
        }
        return current.status === 'idle' ? { ok: true } : { ok: false, reason: `the kernel is ${current.status}` };
      }
      case 'execute':
        if (index() < 0 && op.source !== undefined) {
          this._insert(panel, op, -1); // a new cell (or one a closed notebook had not saved): insert it now
        }
        return this._execute(panel, op, index());
    }
    return { ok: false, reason: `unknown op ${op.op}` };
  }

  private _insert(panel: NotebookPanel, op: IOperation, existing: number): void {
    if (existing >= 0) {
      return;
    }
    const notebook = panel.content;
    const model = panel.model!;
    let at = model.cells.length;
    if (op.after) {
      for (let i = 0; i < model.cells.length; i++) {
        if (model.cells.get(i).id === op.after) {
          at = i + 1;
        }
      }
    }
    model.sharedModel.insertCell(at, {
      id: op.cell_id!,
      cell_type: op.cell_type,
      source: op.source,
      metadata: op.metadata ?? {}
    });
    // a new notebook's one empty cell (nobody's work) gives way to the run's first cell instead of staying on top
    const first = model.cells.length === 2 && at === 1 ? model.cells.get(0) : null;
    if (first && !this.cells.has(first.id) && first.sharedModel.getSource().trim() === '' &&
      (first.type !== 'code' || (first as any).outputs?.length === 0)) {
      model.sharedModel.deleteCell(0);
      at = 0;
    }
    const widget = notebook.widgets[at];
    if (widget instanceof MarkdownCell) {
      widget.rendered = true;
    }
    this.cells.set(op.cell_id!, {
      runId: op.run_id,
      path: op.notebook_path,
      step: op.metadata?.trainer_agent?.step,
      agent: op.metadata?.trainer_agent?.agent
    });
    this.timings.set(op.cell_id!, { inserted: performance.now(), insertedWall: Date.now() });
    if (widget && op.cell_type !== 'code') {
      void notebook.scrollToCell(widget, 'auto'); // code cells are shown when they start running
    }
  }

  private async _idle(kernel: Kernel.IKernelConnection, tenths = 600): Promise<void> {
    for (let i = 0; i < tenths && kernel.status !== 'idle'; i++) {
      await new Promise(r => setTimeout(r, 100));
    }
  }

  private async _execute(panel: NotebookPanel, op: IOperation, i: number): Promise<any> {
    if (i < 0) {
      return { ok: false, reason: 'no such cell' };
    }
    const cell = panel.content.widgets[i];
    if (!(cell instanceof CodeCell)) {
      return { ok: false, reason: 'not a code cell' };
    }
    if (this.approver && !(await this.approver(op, cell.model.sharedModel.getSource()))) {
      return { ok: false, reason: 'stopped' };
    }
    const session = panel.sessionContext;
    if (!session.isReady) {
      await session.ready;
    }
    if (!session.session?.kernel) {
      await session.startKernel();
    }
    const timing = this.timings.get(op.cell_id!) ?? {};
    this.timings.set(op.cell_id!, timing);
    let died = false;
    const onStatus = (_: any, status: string) => {
      if (status === 'dead' || status === 'autorestarting' || status === 'restarting') {
        died = true;
      }
    };
    const onIopub = (_: any, msg: any) => {
      if (msg.header.msg_type === 'execute_input' && timing.started === undefined) {
        timing.started = performance.now();
        const stamp = Date.parse(String(msg.header.date ?? ''));
        timing.kernelStarted = Number.isNaN(stamp) ? undefined : stamp;
      }
    };
    session.statusChanged.connect(onStatus);
    session.iopubMessage.connect(onIopub);
    const began = performance.now();
    timing.called = began;
    let reply: any;
    try {
      // the kernel gets the cell first; moving the selection and the progress display wait for the next frame
      const running = CodeCell.execute(cell, session, { trainer_agent: { run: op.run_id } });
      requestAnimationFrame(() => {
        if (!panel.isDisposed && !cell.isDisposed) {
          panel.content.activeCellIndex = panel.content.widgets.indexOf(cell);
          void panel.content.scrollToCell(cell, 'auto');
        }
        this._activity.emit({ runId: op.run_id, cellId: op.cell_id!, index: i, state: 'running' });
      });
      reply = await running;
    } catch (err) {
      if (panel.isDisposed) {
        return { ok: false, reason: 'notebook_closed' }; // closed mid-cell: sent again once it is open
      }
      if (died || session.session?.kernel?.status !== 'idle') {
        died = true;
      } else {
        throw err;
      }
    } finally {
      session.statusChanged.disconnect(onStatus);
      session.iopubMessage.disconnect(onIopub);
    }
    timing.finished = performance.now();
    this._activity.emit({ runId: op.run_id, cellId: op.cell_id!, index: i, state: 'done' });
    if (panel.isDisposed) {
      return { ok: false, reason: 'notebook_closed' };
    }
    if (died || (reply === undefined && cell.model.executionCount === null)) {
      return { ok: false, reason: died ? 'kernel_died' : 'not executed' };
    }
    return {
      ok: true,
      outputs: cell.model.outputs.toJSON(),
      execution_count: cell.model.executionCount,
      duration_s: (timing.finished - began) / 1000,
      timing: {
        insert_to_start_ms:
          timing.started !== undefined && timing.inserted !== undefined ? timing.started - timing.inserted : null,
        execute_to_start_ms: timing.started !== undefined ? timing.started - began : null
      }
    };
  }
}
