import type { ConnectionState } from '../api/useRuns.ts';

const TEXT: Record<ConnectionState, string> = { connecting: 'connecting…', live: 'live', disconnected: 'disconnected' };
const TITLE: Record<ConnectionState, string> = {
  connecting: 'Connecting to the engine’s live stream',
  live: 'Receiving live updates from the engine',
  disconnected: 'Lost the engine’s live stream; retrying every few seconds',
};

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <span className={`conn conn-${state}`} title={TITLE[state]} role="status" data-testid="conn-status">
      <span className="conn-dot" aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}
