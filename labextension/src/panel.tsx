/**
 * The sidebar chat: messages by agent (icon + colour), the requirements card, the plan checklist, live
 * progress, Stop, questions answered in the chat, and the final summary with the constraint table and the
 * bundle download.
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
  started: number;
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
  const [, tick] = React.useState(0);
  // read at each render (a tick every second, and on notebook switches): a renamed notebook shows its new name
  const activePath = host.tracker.currentWidget?.context.path ?? null;
  const sentAt = React.useRef<number | null>(null);
  const logRef = React.useRef<HTMLDivElement>(null);

  const update = (runId: string, change: (view: IRunView) => void) => {
    setRuns(prev => {
      const next = new Map(prev);
      const view = next.get(runId);
      if (view) {
        const copy = { ...view, entries: [...view.entries], done: new Set(view.done) };
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
        runId, path, entries: [], spec: null, plan: [], done: new Set(), started, state: 'running', report: null,
        currentStep: '', currentCell: null, lastCell: null
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
          }
        } else if (event.kind === 'state') {
          view.state = event.data.state;
          if (event.data.report) {
            view.report = event.data.report;
            for (const item of event.data.report.plan ?? []) {
              if (item.done) {
                view.done.add(item.step);
              }
            }
          }
        } else if (event.kind === 'user' && event.data?.notebook_path) {
          view.path = event.data.notebook_path;
          view.started = event.time * 1000;
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
        if (s.busy && !runs.has(s.run_id)) {
          host.client.follow(s.run_id);
        }
      }
    };
    const onCurrent = () => tick(t => t + 1);
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
      if (view && !busy && view.state !== 'refused') {
        await host.client.api('POST', ['runs', view.runId, 'messages'], { text: body });
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
          llm: { backend: s.llmBackend, base_url: s.llmBaseUrl, model: s.llmModel, api_key_env: s.llmApiKeyEnv }
        });
        host.client.follow(summary.run_id);
        ensure(summary.run_id, path, Date.now());
        setCurrent(summary.run_id);
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

  const stop = () => {
    if (view) {
      approval?.resolve(false);
      setApproval(null);
      void act(['runs', view.runId, 'stop']);
    }
  };

  const elapsed = view ? Math.max(0, Math.round((Date.now() - view.started) / 1000)) : 0;
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
            Plan ({view.plan.filter(p => view.done.has(p.step)).length}/{view.plan.length})
          </summary>
          <ul>
            {view.plan.map(p => (
              <li key={p.step} className={view.done.has(p.step) ? 'tal-done' : ''} data-step={p.step}>
                <span className="tal-check">{view.done.has(p.step) ? '☑' : '☐'}</span>
                <span className={AGENTS[p.agent]?.cls}>{p.agent}</span> {p.title}
              </li>
            ))}
          </ul>
        </details>
      )}
      {view && (
        <div className="tal-progress">
          <span className="tal-state">{view.state}</span>
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
        {view?.entries
          .filter(e => e.kind === 'message' || e.kind === 'user' || (e.kind === 'state' && e.text) ||
            (e.kind === 'step' && e.data.state !== 'started'))
          .map(e => {
            const agent = AGENTS[e.agent] ?? AGENTS.Task;
            return (
              <div
                key={e.seq}
                className={`tal-msg ${agent.cls} tal-kind-${e.kind}`}
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
            <div className="tal-card-title">Outcome: {view.report.status}</div>
            <div>{view.report.reason}</div>
            {view.report.constraints?.length > 0 && (
              <table className="tal-constraints">
                <thead>
                  <tr>
                    <th>requirement</th>
                    <th>target</th>
                    <th>measured</th>
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
              <a className="tal-bundle" href={host.client.bundleUrl(view.runId)} download>
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
          placeholder={view && !busy ? 'Answer, or change a requirement…' : 'Describe the model you need…'}
          value={text}
          onChange={e => setText(e.target.value)}
          onKeyDown={e => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button className="tal-send jp-mod-styled jp-mod-accept" onClick={() => send()} disabled={busy}>
          Send
        </button>
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
