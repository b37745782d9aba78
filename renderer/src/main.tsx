import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiContext } from './api/apiContext.ts';
import { createHttpApi } from './api/httpApi.ts';
import { App } from './App.tsx';
import './styles.css';

// The one place that picks the transport: in a browser tab the engine serves this page, so
// its API is on the same origin. An Electron window will be handed an IPC MonitorApi here instead.
const api = createHttpApi();

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <ApiContext value={api}>
      <App />
    </ApiContext>
  </StrictMode>,
);
