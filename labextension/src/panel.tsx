/**
 * The sidebar chat: messages by agent (icon + colour), the requirements card, the plan checklist, live
 * progress, Stop, questions answered in the chat, and the final summary with the constraint table and the
 * bundle download. The notebook's runs are listed (kept by the server in each run folder, so a reload or a
 * restart brings them back); the latest one's conversation is shown again after a reload. One run per notebook:
 * a message sent while a run works is queued by the server as its follow-up, never a new run; one sent to a
 * conversation an earlier server left goes on as a new run of the notebook, which the panel then shows.
 */
import { ReactWidget } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { buildIcon, LabIcon, launchIcon, listIcon, tableRowsIcon, userIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { IRunEvent, IRunSummary, LabClient } from './client';
import { Executor } from './executor';

export interface IPanelSettings {
  llmBackend: string;
  llmBaseUrl: string;
  llmModel: string;
  llmApiKeyEnv: string;
  timeBudget: number;
  /** Where the model search runs: local, ray (a Ray started for the run) or ray=ADDRESS (a cluster). */
  engine: string;
  approveCells: boolean;
}

export interface IPanelHost {
  client: LabClient;
  executor: Executor;
  tracker: INotebookTracker;
  settings: () => IPanelSettings;
  /** Make (and open) a new notebook for a task; resolves to its path. */
  newNotebook: (request: string) => Promise<string>;
  /** Reveal a notebook and scroll to a cell. */
  reveal: (path: string, cellId: string | null) => Promise<void>;
}

const AGENTS: { [name: string]: { icon: LabIcon; cls: string } } = {
  Task: { icon: listIcon, cls: 'tal-agent-task' },
  Data: { icon: tableRowsIcon, cls: 'tal-agent-data' },
  Model: { icon: buildIcon, cls: 'tal-agent-model' },
  Server: { icon: launchIcon, cls: 'tal-agent-server' },
  You: { icon: userIcon, cls: 'tal-agent-user' }
};

interface IEntry extends IRunEvent {
  cellId: string | null;
}

interface IApproval {
  source: string;
  resolve: (run: boolean) => void;
}

interface IRunView {
  runId: string;
  path: string;
  entries: IEntry[];
  spec: any;
  plan: { agent: string; step: string; title: string }[];
  done: Set<string>;
  /** Steps done in the current turn (a follow-up re-runs some of them). */
  turnDone: Set<string>;
  /** The turn: 1 for the first request, then one more per follow-up. */
  turn: number;
  /** When the current turn started (ms), and when it ended (null while it works). */
  started: number;
  ended: number | null;
  state: string;
  report: any;
  currentStep: string;
  currentCell: number | null;
  lastCell: string | null;
}

function fmt(value: any): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : value.toFixed(4).replace(/0+$/, '');
  }
  return String(value);
}

const FINAL = ['succeeded', 'failed', 'refused', 'needs_input', 'stopped'];

/** The one wording of each state: the badge, the outcome card and the run list say the same. */
const LABELS: { [state: string]: string } = {
  running: 'running',
  paused: 'paused',
  waiting_kernel: 'kernel died',
  succeeded: 'succeeded',
  failed: 'failed',
  refused: 'refused',
  needs_input: 'needs an answer',
  stopped: 'stopped'
};

export function stateLabel(state: string): string {
  return LABELS[state] ?? state;
}

/** Requests the empty panel offers (they fill the input and the data field). */
export const EXAMPLES: { text: string; data: string }[] = [
  { text: 'Classify the iris species with at least 90% accuracy', data: 'sklearn:iris' },
  {
    text: 'Classify the wine data with at least 95% accuracy and fewer than 500 parameters; serve it at 100 requests per second on 512 MB containers',
    data: 'sklearn:wine'
  },
  { text: 'Predict the diabetes progression with an R² of at least 0.4', data: 'sklearn:diabetes' }
];

function ChatView(props: { host: IPanelHost }): JSX.Element {
  const { host } = props;
  const [runs, setRuns] = React.useState<Map<string, IRunView>>(new Map());
  const [current, setCurrent] = React.useState<string | null>(null);
  const [text, setText] = React.useState('');
  const [data, setData] = React.useState('');
  const [budget, setBudget] = React.useState<string>('');
  const [target, setTarget] = React.useState<'current' | 'new'>('current');
  const [error, setError] = React.useState<string | null>(null);
  const [connected, setConnected] = React.useState(host.client.connected);
  const [approval, setApproval] = React.useState<IApproval | null>(null);
  const [history, setHistory] = React.useState<IRunSummary[]>([]);
  const [preview, setPreview] = React.useState<any>(null);
  const [, tick] = React.useState(0);
  const restored = React.useRef(false);
  // read at each render (a tick every second, and on notebook switches): a renamed notebook shows its new name
  const activePath = host.tracker.currentWidget?.context.path ?? null;
  const sentAt = React.useRef<number | null>(null);
  const logRef = React.useRef<HTMLDivElement>(null);

  const update = (runId: string, change: (view: IRunView) => void) => {
    setRuns(prev => {
      const next = new Map(prev);
      const view = next.get(runId);
      if (view) {
        const copy = { ...view, entries: [...view.entries], done: new Set(view.done), turnDone: new Set(view.turnDone) };
        change(copy);
        next.set(runId, copy);
      }
      return next;
    });
  };

  const ensure = (runId: string, path: string, started: number) => {
    setRuns(prev => {
      if (prev.has(runId)) {
        return prev;
      }
      const next = new Map(prev);
      next.set(runId, {
        runId, path, entries: [], spec: null, plan: [], done: new Set(), turnDone: new Set(), turn: 0, started,
        ended: null, state: 'running', report: null, currentStep: '', currentCell: null, lastCell: null
      });
      return next;
    });
  };

  React.useEffect(() => {
    const onEvent = (_: any, event: IRunEvent) => {
      ensure(event.run_id, event.data?.notebook_path ?? '', event.time * 1000);
      if (event.kind === 'message' && sentAt.current !== null) {
        (window as any).trainerAgentLatency = {
          ...((window as any).trainerAgentLatency ?? {}),
          firstMessageMs: performance.now() - sentAt.current
        };
        sentAt.current = null;
      }
      update(event.run_id, view => {
        let cellId = view.lastCell;
        if (event.kind === 'step') {
          for (const [id, info] of host.executor.cells) {
            if (info.runId === event.run_id && info.step === event.text) {
              cellId = id;
            }
          }
        }
        view.entries.push({ ...event, cellId });
        if (event.kind === 'spec') {
          view.spec = event.data.spec;
          view.plan = event.data.plan;
          view.done.add('understand');
        } else if (event.kind === 'step') {
          if (event.data.state === 'started') {
            view.currentStep = `${event.agent} · ${event.text}`;
            if (event.text === 'profile') {
              view.done.add('target'); // the Task agent decides the target before the data is profiled
            }
          } else if (event.data.state === 'done') {
            view.done.add(event.text);
            view.turnDone.add(event.text);
          }
        } else if (event.kind === 'state') {
          view.state = event.data.state;
          if (event.data.state === 'running' && !event.text) {
            // a turn starts (the first request, an answer, a follow-up): its own clock and progress
            view.turn += 1;
            view.started = event.time * 1000;
            view.ended = null;
            view.turnDone = new Set();
            view.currentStep = '';
            view.currentCell = null;
          } else if (FINAL.includes(event.data.state)) {
            view.ended = event.time * 1000;
          }
          if (event.data.report) {
            view.report = event.data.report;
            if (event.data.report.spec && Object.keys(event.data.report.spec).length > 0) {
              view.spec = event.data.report.spec; // the requirements as this turn left them
            }
            if ((event.data.report.plan ?? []).length > 0 && view.plan.length === 0) {
              view.plan = event.data.report.plan;
            }
            for (const item of event.data.report.plan ?? []) {
              if (item.done) {
                view.done.add(item.step);
              }
            }
          }
        } else if (event.kind === 'user' && event.data?.notebook_path) {
          view.path = event.data.notebook_path;
        }
      });
      setCurrent(c => c ?? event.run_id);
    };
    const onActivity = (_: any, a: { runId: string; cellId: string; index: number; state: string }) => {
      update(a.runId, view => {
        view.lastCell = a.cellId;
        view.currentCell = a.state === 'running' ? a.index + 1 : view.currentCell;
      });
    };
    const onConnection = (_: any, ok: boolean) => setConnected(ok);
    const onWelcome = (_: any, summaries: IRunSummary[]) => {
      for (const s of summaries) {
        if (s.busy) {
          void host.client.load(s.run_id); // a reloaded page: the working run's conversation so far
        }
      }
      void refreshHistory();
    };
    const onCurrent = () => {
      tick(t => t + 1);
      void refreshHistory();
    };
    host.client.event.connect(onEvent);
    host.executor.activity.connect(onActivity);
    host.client.connectionChanged.connect(onConnection);
    host.client.welcome.connect(onWelcome);
    host.tracker.currentChanged.connect(onCurrent);
    host.executor.approver = (op, source) => {
      if (!host.settings().approveCells) {
        return Promise.resolve(true);
      }
      return new Promise<boolean>(resolve => setApproval({ source, resolve }));
    };
    const timer = window.setInterval(() => tick(t => t + 1), 1000);
    void refreshHistory(); // a panel opened after a reload: the notebook's runs, the latest conversation
    return () => {
      host.client.event.disconnect(onEvent);
      host.executor.activity.disconnect(onActivity);
      host.client.connectionChanged.disconnect(onConnection);
      host.client.welcome.disconnect(onWelcome);
      host.tracker.currentChanged.disconnect(onCurrent);
      window.clearInterval(timer);
    };
  }, []);

  const view = current ? runs.get(current) ?? null : null;
  const busy = view !== null && !FINAL.includes(view.state);

  // the runs of the open notebook (this server's and those kept in run folders); after a reload the latest
  // one's conversation comes back
  const refreshHistory = async () => {
    const path = host.tracker.currentWidget?.context.path;
    if (!path) {
      setHistory([]);
      return;
    }
    try {
      const list = await host.client.runsOf(path);
      setHistory(list);
      if (!restored.current && list.length > 0) {
        restored.current = true;
        const latest = list[list.length - 1];
        await open(latest);
      }
    } catch (err: any) {
      console.warn('trainer-agent-lab: the runs of the notebook could not be listed', err);
    }
  };

  const open = async (summary: IRunSummary) => {
    ensure(summary.run_id, summary.notebook_path, summary.created * 1000);
    setCurrent(summary.run_id);
    await host.client.load(summary.run_id);
  };

  const lastState = view ? FINAL.includes(view.state) ? view.state : null : null;
  React.useEffect(() => {
    if (lastState) {
      void refreshHistory(); // a run ended: the list shows its outcome and bundle
    }
  }, [lastState, current]);

  React.useEffect(() => {
    logRef.current?.scrollTo({ top: logRef.current.scrollHeight });
  }, [view?.entries.length]);

  const send = async (message?: string) => {
    const body = (message ?? text).trim();
    if (!body) {
      return;
    }
    setError(null);
    sentAt.current = performance.now();
    try {
      if (view && (busy || view.state !== 'refused')) {
        // one run per notebook: while it works the server queues this as its follow-up (and says so)
        const summary = await host.client.api('POST', ['runs', view.runId, 'messages'], { text: body });
        if (summary.run_id !== view.runId) {
          // a conversation of an earlier server: it goes on as a new run of the notebook (the server says why)
          host.client.follow(summary.run_id);
          ensure(summary.run_id, summary.notebook_path, Date.now());
          setCurrent(summary.run_id);
          void host.client.load(summary.run_id);
        }
      } else {
        const s = host.settings();
        let path = target === 'current' ? activePath : null;
        if (!path) {
          path = await host.newNotebook(body);
        }
        const summary = await host.client.api('POST', ['runs'], {
          request: body,
          notebook_path: path,
          data: data.trim() || null,
          time_budget_s: Number(budget) > 0 ? Number(budget) : s.timeBudget,
          llm: { backend: s.llmBackend, base_url: s.llmBaseUrl, model: s.llmModel, api_key_env: s.llmApiKeyEnv },
          engine: s.engine || 'local'
        });
        host.client.follow(summary.run_id);
        ensure(summary.run_id, path, Date.now());
        setCurrent(summary.run_id);
        setPreview(null);
      }
      setText('');
    } catch (err: any) {
      sentAt.current = null;
      setError(err.message ?? String(err));
    }
  };

  const act = async (path: string[], body: any = {}) => {
    try {
      await host.client.api('POST', path, body);
    } catch (err: any) {
      setError(err.message ?? String(err));
    }
  };

  const planFirst = async () => {
    const body = text.trim();
    if (!body) {
      setError('Describe the model you need first; the plan is what a run of it would do.');
      return;
    }
    setError(null);
    try {
      const s = host.settings();
      setPreview(
        await host.client.api('POST', ['plan'], {
          request: body,
          notebook_path: target === 'current' ? activePath : null,
          data: data.trim() || null,
          time_budget_s: Number(budget) > 0 ? Number(budget) : s.timeBudget
        })
      );
    } catch (err: any) {
      setError(err.message ?? String(err));
    }
  };

  const download = async (runId: string) => {
    const stem = (view?.path ?? 'run').split('/').pop()!.replace(/\.ipynb$/, '');
    try {
      await host.client.download(runId, `${stem}-bundle.zip`);
    } catch (err: any) {
      setError(err.message ?? String(err));
    }
  };

  const stop = () => {
    if (view) {
      approval?.resolve(false);
      setApproval(null);
      void act(['runs', view.runId, 'stop']);
    }
  };

  const elapsed = view ? Math.max(0, Math.round(((view.ended ?? Date.now()) - view.started) / 1000)) : 0;
  const planned = view ? view.plan.filter(p => view.done.has(p.step)).length : 0;
  // the latest final state's text is the outcome card's reason: the log does not say it again
  const finalSeq = view?.report && FINAL.includes(view.state) && view.state !== 'needs_input'
    ? [...view.entries].reverse().find(e => e.kind === 'state')?.seq ?? -1
    : -1;
  const shown = new Set<string>();
  const logEntries = (view?.entries ?? []).filter(e => {
    if (!(e.kind === 'message' || e.kind === 'user' || (e.kind === 'state' && e.text) ||
      (e.kind === 'step' && e.data.state !== 'started')) || e.seq === finalSeq) {
      return false;
    }
    if (e.kind === 'message' || e.kind === 'state') {
      if (shown.has(e.text)) {
        return false; // each message once
      }
      shown.add(e.text);
    }
    return true;
  });
  const lastQuestion = view?.report?.status === 'needs_input' && view.state === 'needs_input' ? view.report : null;

  return (
    <div className="tal-panel">
      <div className="tal-header">
        <span className="tal-title">TrainerAgent</span>
        <span className={connected ? 'tal-dot tal-dot-on' : 'tal-dot'} title={connected ? 'connected' : 'reconnecting'} />
        {view && (
          <button className="tal-link" onClick={() => setCurrent(null)} title="Start a new task">
            New task
          </button>
        )}
      </div>
      {history.length > 0 && (
        <details className="tal-card tal-runs" open={!view}>
          <summary className="tal-card-title">Runs of this notebook ({history.length})</summary>
          <ul>
            {[...history].reverse().map(h => (
              <li key={h.run_id} className={h.run_id === current ? 'tal-run tal-run-current' : 'tal-run'}>
                <button className="tal-run-open" onClick={() => void open(h)} title={h.request}>
                  <span className={`tal-state tal-state-${h.state}`}>{stateLabel(h.state)}</span>{' '}
                  {h.request.length > 60 ? h.request.slice(0, 57) + '…' : h.request}
                </button>
                <div className="tal-run-facts">
                  {new Date(h.created * 1000).toLocaleString()}
                  {h.report?.model?.family ? ` · ${h.report.model.family}` : ''}
                  {h.bundle_zip && (
                    <>
                      {' · '}
                      <a className="tal-run-bundle" href={host.client.bundleUrl(h.run_id)}
                        onClick={e => { e.preventDefault(); void download(h.run_id); }}>
                        bundle.zip
                      </a>
                    </>
                  )}
                </div>
              </li>
            ))}
          </ul>
        </details>
      )}
      {!view && (
        <div className="tal-target">
          <label>
            Notebook{' '}
            <select value={target} onChange={e => setTarget(e.target.value as any)} className="tal-target-select">
              <option value="current">current: {activePath ?? '(none open: a new one)'}</option>
              <option value="new">a new notebook named after the task</option>
            </select>
          </label>
          <input
            className="tal-data"
            placeholder="data: a path or sklearn:NAME"
            value={data}
            onChange={e => setData(e.target.value)}
          />
          <input
            className="tal-budget"
            type="number"
            min={30}
            placeholder={`time budget, s (default ${host.settings().timeBudget})`}
            value={budget}
            onChange={e => setBudget(e.target.value)}
          />
          {!text && (
            <div className="tal-examples">
              <div className="tal-card-title">Try one of these</div>
              {EXAMPLES.map(x => (
                <button key={x.text} className="tal-example" onClick={() => { setText(x.text); setData(x.data); }}>
                  {x.text}
                </button>
              ))}
            </div>
          )}
          {preview && (
            <div className={`tal-card tal-preview tal-verdict-${preview.verdict}`}>
              <div className="tal-card-title">Plan before running: {preview.verdict}</div>
              <div>{preview.reason}</div>
              {preview.question && <div className="tal-question-text">{preview.question}</div>}
              <ol>
                {(preview.plan ?? []).map((p: any) => (
                  <li key={p.step}>
                    <span className={AGENTS[p.agent]?.cls}>{p.agent}</span> {p.title}
                  </li>
                ))}
              </ol>
            </div>
          )}
        </div>
      )}
      {view?.spec && (
        <div className="tal-card tal-requirements">
          <div className="tal-card-title">Requirements</div>
          <table>
            <tbody>
              <tr>
                <td>task</td>
                <td>{fmt(view.spec.task_type)}</td>
              </tr>
              <tr>
                <td>data</td>
                <td>{(view.spec.data ?? []).join(', ') || '—'}</td>
              </tr>
              {(view.spec.constraints ?? []).map((c: any) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>
                    {c.op} {fmt(c.value)}
                  </td>
                </tr>
              ))}
              {view.spec.qps ? (
                <tr>
                  <td>QPS</td>
                  <td>{fmt(view.spec.qps)}</td>
                </tr>
              ) : null}
              {view.spec.container_memory_mb ? (
                <tr>
                  <td>container</td>
                  <td>{fmt(view.spec.container_memory_mb)} MB</td>
                </tr>
              ) : null}
              <tr>
                <td>time budget</td>
                <td>{fmt(view.spec.time_budget_s)} s</td>
              </tr>
            </tbody>
          </table>
        </div>
      )}
      {view && view.plan.length > 0 && (
        <details className="tal-card tal-plan" open={busy}>
          <summary className="tal-card-title">
            {busy && view.turn > 1
              ? `Plan (follow-up: ${view.turnDone.size} step${view.turnDone.size === 1 ? '' : 's'} re-done)`
              : `Plan (${planned}/${view.plan.length})`}
          </summary>
          <ul>
            {view.plan.map(p => (
              <li key={p.step} data-step={p.step}
                className={(view.done.has(p.step) ? 'tal-done' : '') + (view.turn > 1 && view.turnDone.has(p.step) ? ' tal-redone' : '')}>
                <span className="tal-check">{view.done.has(p.step) ? '☑' : '☐'}</span>
                <span className={AGENTS[p.agent]?.cls}>{p.agent}</span> {p.title}
              </li>
            ))}
          </ul>
        </details>
      )}
      {view && (
        <div className="tal-progress">
          <span className={`tal-state tal-state-${view.state}`}>{stateLabel(view.state)}</span>
          {!busy && view.ended !== null && <span className="tal-elapsed">{elapsed} s</span>}
          {busy && (
            <>
              <span>{view.currentStep || 'starting'}</span>
              {view.currentCell !== null && <span>cell {view.currentCell}</span>}
              <span className="tal-elapsed">{elapsed} s</span>
              <button className="tal-stop jp-mod-styled jp-mod-warn" onClick={stop}>
                Stop
              </button>
            </>
          )}
        </div>
      )}
      <div className="tal-log" ref={logRef}>
        {view && logEntries
          .map(e => {
            const agent = AGENTS[e.agent] ?? AGENTS.Task;
            return (
              <div
                key={e.seq}
                className={`tal-msg ${agent.cls} tal-kind-${e.kind}${e.data?.queued === true ? ' tal-queued' : ''}`}
                title={e.cellId ? 'click: show its cell' : ''}
                onClick={() => e.cellId && void host.reveal(view.path, e.cellId)}
              >
                <agent.icon.react className="tal-icon" tag="span" />
                <span className="tal-agent">{e.agent}</span>
                <span className="tal-text">
                  {e.kind === 'step'
                    ? `${e.text} ${e.data.state === 'done' ? `✓ ${fmt(e.data.seconds)} s` : `✗ ${e.data.error ?? ''}`}`
                    : e.text}
                </span>
              </div>
            );
          })}
        {view?.state === 'waiting_kernel' && (
          <div className="tal-card tal-kernel">
            The kernel died. Restart it and resume from the failed step?
            <button className="jp-mod-styled jp-mod-accept" onClick={() => act(['runs', view.runId, 'kernel'], { action: 'resume' })}>
              Restart and resume
            </button>
            <button className="jp-mod-styled" onClick={() => act(['runs', view.runId, 'kernel'], { action: 'stop' })}>
              Stop the run
            </button>
          </div>
        )}
        {view?.state === 'paused' && (
          <div className="tal-card tal-paused">
            Paused: {view.path} is closed.
            <button className="jp-mod-styled jp-mod-accept" onClick={() => host.reveal(view.path, null)}>
              Open it again
            </button>
          </div>
        )}
        {approval && (
          <div className="tal-card tal-approval">
            <div className="tal-card-title">Run this cell?</div>
            <pre>{approval.source.slice(0, 1500)}</pre>
            <button className="jp-mod-styled jp-mod-accept" onClick={() => { approval.resolve(true); setApproval(null); }}>
              Run
            </button>
            <button className="jp-mod-styled" onClick={stop}>
              Stop the run
            </button>
          </div>
        )}
        {lastQuestion && (
          <div className="tal-card tal-question">
            <div className="tal-card-title">{lastQuestion.question ?? 'The agents need an answer'}</div>
            {(lastQuestion.options ?? []).map((o: string) => (
              <button key={o} className="jp-mod-styled tal-option" onClick={() => send(o)}>
                {o}
              </button>
            ))}
          </div>
        )}
        {view?.report && FINAL.includes(view.state) && view.state !== 'needs_input' && (
          <div className={`tal-card tal-summary tal-status-${view.report.status}`}>
            <div className="tal-card-title">Outcome: {stateLabel(view.state)}</div>
            <div className="tal-reason">{view.report.reason}</div>
            {view.report.constraints?.length > 0 && (
              <table className="tal-constraints">
                <thead>
                  <tr>
                    <th>need</th>
                    <th>target</th>
                    <th>got</th>
                    <th>met</th>
                  </tr>
                </thead>
                <tbody>
                  {view.report.constraints.map((c: any) => (
                    <tr key={c.name} className={c.met ? 'tal-met' : 'tal-missed'}>
                      <td>{c.name}</td>
                      <td>{c.target}</td>
                      <td>{fmt(c.actual)}</td>
                      <td>{c.met ? '✓' : '✗'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {view.report.model?.family && (
              <div className="tal-model">
                model: {view.report.model.family}, {fmt(view.report.model.parameters)} parameters
              </div>
            )}
            {view.report.paths?.bundle_zip && (
              <a className="tal-bundle" href={host.client.bundleUrl(view.runId)}
                onClick={e => { e.preventDefault(); void download(view.runId); }}>
                Download bundle.zip
              </a>
            )}
          </div>
        )}
      </div>
      {error && <div className="tal-error">{error}</div>}
      <div className="tal-input">
        <textarea
          className="tal-textarea"
          placeholder={busy ? 'A follow-up: queued until the agents finish…'
            : view ? 'Answer, or change a requirement…' : 'Describe the model you need…'}
          value={text}
          onChange={e => setText(e.target.value)}
          onKeyDown={e => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <div className="tal-buttons">
          <button className="tal-send jp-mod-styled jp-mod-accept" onClick={() => send()}
            title={busy ? 'Queued as a follow-up of the working run' : 'Send'}>
            {busy ? 'Queue' : 'Send'}
          </button>
          {!view && (
            <button className="tal-plan-first jp-mod-styled" onClick={() => void planFirst()}
              title="What a run would do, without training">
              Plan
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

export class ChatPanel extends ReactWidget {
  constructor(private _host: IPanelHost) {
    super();
    this.id = 'trainer-agent-lab-panel';
    this.addClass('tal-root');
  }

  render(): JSX.Element {
    return <ChatView host={this._host} />;
  }
}
