/**
 * The application menu: the usual items by role, plus Trainwatch's own commands. The commands
 * themselves are main.ts's (thin wrappers over runFiles.ts, scrapeConfig.ts, externalUrl.ts).
 */
import { Menu } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuCommands {
  exportRun(): void;
  importSnapshot(): void;
  revealDataFolder(): void;
  openMetrics(): void;
  copyScrapeConfig(): void;
}

export function buildAppMenu(commands: MenuCommands, opts: { platform: NodeJS.Platform; devTools: boolean }): Menu {
  const mac = opts.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Export run…', accelerator: 'CmdOrCtrl+E', click: () => commands.exportRun() },
        { label: 'Import snapshot or log…', accelerator: 'CmdOrCtrl+O', click: () => commands.importSnapshot() },
        { type: 'separator' },
        { label: 'Reveal data folder', click: () => commands.revealDataFolder() },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'forceReload' },
        ...(opts.devTools ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: 'Prometheus',
      submenu: [
        { label: 'Open /metrics', click: () => commands.openMetrics() },
        { label: 'Copy scrape config', click: () => commands.copyScrapeConfig() },
      ],
    },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
