/**
 * The desktop app's own settings: `settings.json` in the app's userData folder, written by the
 * user (there is no settings window yet). Every field is optional. A file that cannot be read
 * or does not match is reported and replaced by the defaults for this session, never fatal:
 * a typo must not keep the monitor from starting.
 *
 *   {
 *     "keep_in_tray": true,            // closing the window while runs are active keeps the app in the tray
 *     "notifications": { "failed": true, "stalled": true, "budget_90": true, "budget_100": true, "completed": true, "alert": true },
 *     "port": 9478,                    // HTTP port when neither --port nor TRAINWATCH_PORT says
 *     "ingest_port": 9479              // TCP ingest port (or "off") when neither flag nor environment says
 *   }
 *
 * No electron import: tested in plain Node.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_NOTICE_SETTINGS, NOTICE_KINDS } from '../../shared/notify.ts';
import type { NoticeSettings } from '../../shared/notify.ts';

export const SETTINGS_FILE = 'settings.json';

export interface ShellSettings {
  keepInTray: boolean;
  notifications: NoticeSettings;
  port: number | null;
  ingestPort: number | 'off' | null;
}

export const DEFAULT_SETTINGS: ShellSettings = { keepInTray: true, notifications: DEFAULT_NOTICE_SETTINGS, port: null, ingestPort: null };

const port = z.number().int().min(0).max(65535);
const schema = z.strictObject({
  keep_in_tray: z.boolean().optional(),
  notifications: z.strictObject(Object.fromEntries(NOTICE_KINDS.map((k) => [k, z.boolean().optional()])) as Record<keyof NoticeSettings, z.ZodOptional<z.ZodBoolean>>).optional(),
  port: port.optional(),
  ingest_port: z.union([port, z.literal('off')]).optional(),
});

export interface LoadedSettings {
  settings: ShellSettings;
  /** Why the file was not used, for a warning; null when it was fine or absent. */
  problem: string | null;
}

/** `text` is the file's content, or null when there is no file. */
export function parseSettings(text: string | null, file = SETTINGS_FILE): LoadedSettings {
  if (text === null) return { settings: DEFAULT_SETTINGS, problem: null };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { settings: DEFAULT_SETTINGS, problem: `${file} is not valid JSON (${(err as Error).message}); using the defaults` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    return { settings: DEFAULT_SETTINGS, problem: `${file}: ${where}: ${issue?.message ?? 'invalid'}; using the defaults` };
  }
  const s = parsed.data;
  const notifications = { ...DEFAULT_NOTICE_SETTINGS };
  for (const kind of NOTICE_KINDS) notifications[kind] = s.notifications?.[kind] ?? notifications[kind];
  return {
    settings: { keepInTray: s.keep_in_tray ?? DEFAULT_SETTINGS.keepInTray, notifications, port: s.port ?? null, ingestPort: s.ingest_port ?? null },
    problem: null,
  };
}

export function loadSettings(dir: string): LoadedSettings {
  const file = path.join(dir, SETTINGS_FILE);
  let text: string | null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return parseSettings(null, file);
    return { settings: DEFAULT_SETTINGS, problem: `cannot read ${file} (${(err as Error).message}); using the defaults` };
  }
  return parseSettings(text, file);
}
