/**
 * Every write storage makes to a run that is not an event (docs/storage.md, "Rooms"): building
 * a run from its checkpoint or end record, from an imported snapshot, and attaching or
 * dropping the series loaded from disk. Storage's modules import these from here only, so
 * the run's owner (store/) can change how they are done in one place.
 */
export { runFromCheckpoint } from '../store/checkpoint.ts';
export { attachSeries, releaseSeries } from '../store/restore.ts';
export { runFromSnapshot, setSeries as attachSnapshotSeries } from '../snapshot/snapshots.ts';
