/**
 * The one `MonitorApi` the UI talks to, provided at the root (main.tsx picks the HTTP or IPC
 * implementation). Components never call it directly: they use the hooks in this folder.
 */
import { createContext, useContext } from 'react';
import type { MonitorApi } from '../../../shared/api.ts';

export const ApiContext = createContext<MonitorApi | null>(null);

export function useApi(): MonitorApi {
  const api = useContext(ApiContext);
  if (api === null) throw new Error('useApi() needs an <ApiContext value={api}> above it (see renderer/src/main.tsx)');
  return api;
}
