/**
 * The connection to the server extension: authenticated REST calls and one websocket that reconnects.
 *
 * On every (re)connect the socket says hello with this tab's stable client id, the notebooks it has open and,
 * for every run it follows, the last event number it saw: the server replays what came after, so a dropped
 * socket loses no event, and resends the operations that were out, which the executor answers from its cache.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

export interface IRunEvent {
  type: 'event';
  run_id: string;
  seq: number;
  time: number;
  kind: string;
  agent: string;
  text: string;
  data: any;
}

export interface IOperation {
  type: 'op';
  request_id: string;
  run_id: string;
  notebook_path: string;
  cell_id: string | null;
  op: 'insert' | 'execute' | 'update' | 'metadata' | 'save' | 'interrupt' | 'restart';
  [key: string]: any;
}

export interface IRunSummary {
  run_id: string;
  notebook_path: string;
  request: string;
  state: string;
  busy: boolean;
  last_seq: number;
  report: any;
  bundle_zip: boolean;
  created: number;
  stored: boolean;
  queued: number;
  run_folder: string;
}

const PREFIX = 'trainer-agent-lab';

function clientId(): string {
  const key = 'trainer-agent-lab:client-id';
  let id = window.sessionStorage.getItem(key);
  if (!id) {
    id = `tab-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    window.sessionStorage.setItem(key, id);
  }
  return id;
}

export class LabClient {
  readonly settings = ServerConnection.makeSettings();
  readonly clientId = clientId();
  private _ws: WebSocket | null = null;
  private _lastSeq = new Map<string, number>();
  private _notebooks: string[] = [];
  private _event = new Signal<this, IRunEvent>(this);
  private _op = new Signal<this, IOperation>(this);
  private _connection = new Signal<this, boolean>(this);
  private _welcome = new Signal<this, IRunSummary[]>(this);
  private _disposed = false;
  private _retry = 250;
  private _loading = new Map<string, 'busy' | 'again'>(); // 'again': an event came while its history loaded

  get event(): ISignal<this, IRunEvent> {
    return this._event;
  }
  get operation(): ISignal<this, IOperation> {
    return this._op;
  }
  get connectionChanged(): ISignal<this, boolean> {
    return this._connection;
  }
  get welcome(): ISignal<this, IRunSummary[]> {
    return this._welcome;
  }
  get connected(): boolean {
    return this._ws !== null && this._ws.readyState === WebSocket.OPEN;
  }

  connect(): void {
    if (this._disposed) {
      return;
    }
    let url = URLExt.join(this.settings.wsUrl, PREFIX, 'ws');
    if (this.settings.token) {
      url += `?token=${encodeURIComponent(this.settings.token)}`;
    }
    const ws = new WebSocket(url);
    this._ws = ws;
    ws.onopen = () => {
      this._retry = 250;
      this.send({
        type: 'hello',
        client_id: this.clientId,
        notebooks: this._notebooks,
        resume: Object.fromEntries(this._lastSeq)
      });
      this._connection.emit(true);
    };
    ws.onmessage = msg => {
      const data = JSON.parse(msg.data as string);
      if (data.type === 'event') {
        const last = this._lastSeq.get(data.run_id) ?? 0;
        if (data.seq <= last) {
          return; // already seen (replayed after a reconnect)
        }
        if (this._loading.has(data.run_id) || data.seq > last + 1) {
          void this.load(data.run_id); // a gap (this tab came later): fetch what it missed, in order
          return;
        }
        this._lastSeq.set(data.run_id, data.seq);
        this._event.emit(data as IRunEvent);
      } else if (data.type === 'op') {
        this._op.emit(data as IOperation);
      } else if (data.type === 'welcome') {
        this._welcome.emit(data.runs as IRunSummary[]);
      }
    };
    ws.onclose = () => {
      if (this._ws === ws) {
        this._ws = null;
        this._connection.emit(false);
        if (!this._disposed) {
          window.setTimeout(() => this.connect(), this._retry);
          this._retry = Math.min(this._retry * 2, 5000);
        }
      }
    };
  }

  /** Follow a run's events from the start (or from where this tab stopped). */
  follow(runId: string): void {
    if (!this._lastSeq.has(runId)) {
      this._lastSeq.set(runId, 0);
    }
  }

  /**
   * Fetch a run's events this tab has not seen (a reloaded page, a run of an earlier server, a gap) and emit
   * them in order; events the socket brings meanwhile are fetched again after.
   */
  async load(runId: string): Promise<void> {
    if (this._loading.has(runId)) {
      this._loading.set(runId, 'again'); // a load is on its way: one more round after it
      return;
    }
    this._loading.set(runId, 'busy');
    try {
      for (;;) {
        const after = this._lastSeq.get(runId) ?? 0;
        const { events } = await this.api('GET', ['runs', runId, 'events'], undefined, `?after=${after}`);
        for (const event of events as IRunEvent[]) {
          if (event.seq > (this._lastSeq.get(runId) ?? 0)) {
            this._lastSeq.set(runId, event.seq);
            this._event.emit(event);
          }
        }
        if (this._loading.get(runId) !== 'again') {
          break;
        }
        this._loading.set(runId, 'busy');
      }
    } finally {
      this._loading.delete(runId);
    }
  }

  /** Every run of a notebook: this server's and those kept in its run folders, oldest first. */
  async runsOf(notebookPath: string): Promise<IRunSummary[]> {
    const { runs } = await this.api('GET', ['runs'], undefined, `?notebook_path=${encodeURIComponent(notebookPath)}`);
    return runs as IRunSummary[];
  }

  /** Drop the socket (as a network glitch would); it reconnects by itself. */
  dropConnection(): void {
    this._ws?.close();
  }

  send(message: any): void {
    if (this._ws && this._ws.readyState === WebSocket.OPEN) {
      this._ws.send(JSON.stringify(message));
    }
  }

  setNotebooks(paths: string[]): void {
    this._notebooks = paths;
    this.send({ type: 'notebooks', notebooks: paths });
  }

  async api(method: string, path: string[], body?: any, query = ''): Promise<any> {
    const url = URLExt.join(this.settings.baseUrl, PREFIX, ...path) + query;
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
    const response = await ServerConnection.makeRequest(url, init, this.settings);
    const text = await response.text();
    const data = text ? JSON.parse(text) : {};
    if (!response.ok) {
      throw new Error(data.error ? `${data.error}${data.hint ? ' ' + data.hint : ''}` : response.statusText);
    }
    return data;
  }

  /** The bundle's address, without the token: the download sends it as a header ({@link download}). */
  bundleUrl(runId: string): string {
    return URLExt.join(this.settings.baseUrl, PREFIX, 'runs', runId, 'bundle.zip');
  }

  /** Download a run's bundle.zip through an authenticated request (no token in any URL or history). */
  async download(runId: string, filename: string): Promise<void> {
    const response = await ServerConnection.makeRequest(this.bundleUrl(runId), { method: 'GET' }, this.settings);
    if (!response.ok) {
      throw new Error(`The bundle could not be downloaded: ${response.status} ${response.statusText}`);
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 30000);
  }

  dispose(): void {
    this._disposed = true;
    this._ws?.close();
  }
}
