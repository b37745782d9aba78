import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import type { FleetRun } from '../../../shared/fleet.ts';
import type { SourceInput, SourceKind } from '../../../shared/fleet.ts';
import { useFleet } from '../api/useFleet.ts';
import type { FleetSource } from '../api/useFleet.ts';
import type { SourcesApi } from '../api/sourcesApi.ts';
import { ProgressMeter } from '../components/RunMeters.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useNow } from '../hooks/useNow.ts';
import { formatMetric, formatRelative, formatTimestamp, formatUsd } from '../model/format.ts';
import { fleetRunHref } from '../model/fleetRoute.ts';
import './fleet.css';

/** The fleet overview: every source, its state, and its runs grouped by instance (engine). */
export function FleetPage({ api }: { api: SourcesApi }) {
  const fleet = useFleet(api);
  return (
    <div className="fleet-page" data-testid="fleet-page">
      <div className="run-head">
        <h2>Fleet</h2>
        <span className="muted">Runs on other machines, through a Prometheus that scrapes them or their /metrics URLs. Read-only; refreshed every 5 s.</span>
      </div>
      {fleet.error !== null && (
        <div className="banner" role="alert">
          Cannot list the sources: {fleet.error}
        </div>
      )}
      <AddSourceForm onAdd={fleet.add} />
      {fleet.loaded && fleet.sources.length === 0 && fleet.error === null && (
        <p className="panel notice" data-testid="fleet-empty">
          No sources yet. Add a Prometheus server that scrapes your boxes (http://host:9090), or a box&apos;s /metrics URL. See docs/fleet.md.
        </p>
      )}
      {fleet.sources.map((s) => (
        <SourceSection key={s.state.id} source={s} onRemove={fleet.remove} />
      ))}
    </div>
  );
}

function AddSourceForm({ onAdd }: { onAdd: (input: SourceInput) => Promise<void> }) {
  const [kind, setKind] = useState<SourceKind>('prometheus');
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onAdd({ kind, url: url.trim(), ...(token.trim() === '' ? {} : { bearer_token: token.trim() }) });
      setUrl('');
      setToken('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="panel toolbar fleet-add" onSubmit={(e) => void submit(e)} aria-label="Add a source">
      <label className="field">
        <span>Source</span>
        <select value={kind} onChange={(e) => setKind(e.target.value as SourceKind)} data-testid="source-kind">
          <option value="prometheus">Prometheus server</option>
          <option value="metrics">/metrics URL</option>
        </select>
      </label>
      <label className="field fleet-url">
        <span>URL</span>
        <input
          type="url"
          required
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder={kind === 'prometheus' ? 'http://prometheus.lab:9090' : 'http://gpu-box-2.lab:9478/metrics'}
          data-testid="source-url"
        />
      </label>
      <label className="field">
        <span>Bearer token (optional)</span>
        <input type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" data-testid="source-token" />
      </label>
      <button type="submit" disabled={busy} data-testid="source-add">
        {busy ? 'Adding…' : 'Add source'}
      </button>
      {error !== null && (
        <span className="action-error" role="alert" data-testid="source-add-error">
          {error}
        </span>
      )}
    </form>
  );
}

function SourceSection({ source, onRemove }: { source: FleetSource; onRemove: (id: string) => Promise<void> }) {
  const { state, runs } = source;
  const byInstance = useMemo(() => {
    const groups = new Map<string, FleetRun[]>();
    for (const i of state.instances) groups.set(i, []);
    for (const r of runs) {
      let g = groups.get(r.instance);
      if (!g) groups.set(r.instance, (g = []));
      g.push(r);
    }
    return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [state.instances, runs]);
  const unreachable = state.error?.startsWith('cannot reach') ?? false;
  const [removeError, setRemoveError] = useState<string | null>(null);
  const remove = () => onRemove(state.id).catch((err: unknown) => setRemoveError((err as Error).message));
  return (
    <section className="panel fleet-source" aria-label={`Source ${state.id}`} data-testid="fleet-source" data-source-id={state.id} data-state={state.state}>
      <div className="chart-head">
        <h3>
          {state.id} <span className="muted">{state.kind === 'prometheus' ? 'Prometheus' : '/metrics'} · {state.url}</span>
        </h3>
        <span className={`chip fleet-state fleet-state-${state.state}`} data-testid="source-state">
          {state.state === 'ok' ? `${byInstance.length} instance${byInstance.length === 1 ? '' : 's'}, ${runs.length} job${runs.length === 1 ? '' : 's'}` : state.state === 'pending' ? 'connecting…' : 'error'}
        </span>
        <span className="spacer" />
        {!state.from_command_line && (
          <button type="button" className="link-button" onClick={() => void remove()} data-testid="source-remove">
            Remove
          </button>
        )}
      </div>
      {removeError !== null && (
        <span className="action-error" role="alert">
          Could not remove this source: {removeError}
        </span>
      )}
      {state.state === 'error' && (
        <div className="banner fleet-error" role="alert" data-testid="source-error">
          <strong>{unreachable ? 'Source unreachable' : 'Source error'}:</strong> {state.error}
          {runs.length > 0 && <span className="muted"> Showing the last known state{state.last_ok_at !== null ? ` from ${formatTimestamp(state.last_ok_at)}` : ''}.</span>}
        </div>
      )}
      {state.state === 'ok' && byInstance.length === 0 && <p className="notice">This source reports no Trainwatch jobs yet.</p>}
      {byInstance.map(([instance, list]) => (
        <InstanceGroup key={instance} sourceId={state.id} instance={instance} runs={list} />
      ))}
    </section>
  );
}

function InstanceGroup({ sourceId, instance, runs }: { sourceId: string; instance: string; runs: FleetRun[] }) {
  const now = useNow(5_000);
  return (
    <div className="fleet-instance" data-testid="fleet-instance" data-instance={instance}>
      <h4>
        <code>{instance || '(no instance label)'}</code> <span className="muted">{runs.length === 0 ? 'no jobs' : `${runs.length} job${runs.length === 1 ? '' : 's'}`}</span>
      </h4>
      {runs.length > 0 && (
        <div className="table-wrap">
          <table className="runs fleet-runs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Agent</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col" className="num">Loss</th>
                <th scope="col" className="num">Reward</th>
                <th scope="col" className="num">Budget</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.job_id} className="run-row" data-testid="fleet-row" data-job-id={r.job_id} data-instance={r.instance}>
                  <td className="col-name">
                    <a href={fleetRunHref(sourceId, r.instance, r.job_id)}>{r.job_id}</a>
                  </td>
                  <td className="col-agent">{r.agent_id}</td>
                  <td data-testid="fleet-status">
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="col-progress">
                    <ProgressMeter run={r} />
                  </td>
                  <td className="num" data-testid="fleet-loss">
                    {formatMetric(r.loss)}
                  </td>
                  <td className="num" data-testid="fleet-reward">
                    {formatMetric(r.mean_reward)}
                  </td>
                  <td className="num" data-testid="fleet-budget">
                    {r.budget_usage_usd === null ? '—' : `${formatUsd(r.budget_usage_usd)}${r.budget_limit_usd !== null ? ` of ${formatUsd(r.budget_limit_usd)}` : ''}`}
                  </td>
                  <td title={formatTimestamp(r.started_at)}>{formatRelative(r.started_at, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
