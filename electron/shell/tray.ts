/**
 * The tray icon: counts in the tooltip, the active runs in its menu (trayModel.ts decides
 * both), and a way back to the window. The icon gets a red dot while runs have failed recently.
 */
import { Menu, Tray, nativeImage } from 'electron';
import type { MenuItemConstructorOptions, NativeImage } from 'electron';
import { trayIconPng } from './trayIcon.ts';
import type { TrayModel } from './trayModel.ts';

export interface TrayActions {
  open(): void;
  openRun(jobId: string): void;
  quit(): void;
}

export interface AppTray {
  update(model: TrayModel): void;
  destroy(): void;
}

function icon(attention: boolean): NativeImage {
  const image = nativeImage.createEmpty();
  image.addRepresentation({ scaleFactor: 1, buffer: trayIconPng(16, attention) });
  image.addRepresentation({ scaleFactor: 2, buffer: trayIconPng(32, attention) });
  return image;
}

export function createTray(actions: TrayActions): AppTray {
  const icons = { calm: icon(false), attention: icon(true) };
  const tray = new Tray(icons.calm);
  let attention = false;
  tray.on('click', () => actions.open());
  const update = (model: TrayModel) => {
    tray.setToolTip(model.tooltip);
    if (model.failed > 0 !== attention) {
      attention = model.failed > 0;
      tray.setImage(attention ? icons.attention : icons.calm);
    }
    const runs: MenuItemConstructorOptions[] = model.items.map((item) => ({ label: item.label, click: () => actions.openRun(item.jobId) }));
    if (model.more > 0) runs.push({ label: `${model.more} more active…`, click: () => actions.open() });
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Open Trainwatch', click: () => actions.open() },
        { type: 'separator' },
        ...(runs.length > 0 ? runs : [{ label: 'No active runs', enabled: false }]),
        { type: 'separator' },
        { label: 'Quit Trainwatch', click: () => actions.quit() },
      ]),
    );
  };
  return { update, destroy: () => tray.destroy() };
}
