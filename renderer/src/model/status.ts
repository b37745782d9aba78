/** How each run status is shown: a word and a glyph, so status never rests on colour alone. */
import type { RunStatus } from '../../../shared/run.ts';

export interface StatusLook {
  label: string;
  /** Decorative; the label carries the meaning for screen readers. */
  icon: string;
}

export const STATUS_LOOK: Readonly<Record<RunStatus, StatusLook>> = {
  running: { label: 'Running', icon: '●' },
  stalled: { label: 'Stalled', icon: '◌' },
  completed: { label: 'Completed', icon: '✓' },
  failed: { label: 'Failed', icon: '✕' },
  cancelled: { label: 'Cancelled', icon: '⊘' },
};
