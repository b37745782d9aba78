import { createContext } from 'react';

/**
 * The x range the run view's time-synced charts share (model/sync.ts `timeDomain`): set by the
 * run page, read by every SeriesChart that has a `syncId`, so the training and system charts
 * put a moment at the same place. Undefined (each chart its own range) elsewhere and on the
 * step axis.
 */
export const RunTimeDomain = createContext<[number, number] | undefined>(undefined);
