import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiContext } from './api/apiContext.ts';
import { readBridge } from './api/bridge.ts';
import { createHttpApi } from './api/httpApi.ts';
import { createIpcApi } from './api/ipcApi.ts';
import { App } from './App.tsx';
import './styles.css';

// The one place that picks the transport: inside the desktop window the preload's bridge is
// there and the API goes over IPC; in a browser tab the engine serves this page, so its API is
// on the same origin.
const bridge = readBridge();
const api = bridge ? createIpcApi(bridge) : createHttpApi();

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <ApiContext value={api}>
      <App />
    </ApiContext>
  </StrictMode>,
);
