/**
 * Lifetime totals per agent: what the inherited counters and histograms export. Kept apart
 * from the runs: what runs that left the store contributed (retired totals, persisted by
 * storage) plus, at scrape time, what the runs still in the store contribute. Never a second
 * count of live events, so the totals cannot drift from the runs, never decrease while the
 * engine runs, and continue across restarts. Also the bound on distinct agent ids.
 */
import { addTotals, emptyTotals } from './run.ts';
import type { AgentTotals, Run } from './run.ts';

export class AgentLedger {
  private readonly retired = new Map<string, AgentTotals>();
  /** Every agent_id with runs or retired totals. */
  private readonly ids = new Set<string>();

  constructor(private readonly maxAgents: number) {}

  /** Whether a run of `agentId` may be added: a known agent always, a new one within the bound. */
  admits(agentId: string): boolean {
    return this.ids.has(agentId) || this.ids.size < this.maxAgents;
  }

  get size(): number {
    return this.ids.size;
  }

  /** An agent has a run in the store. */
  note(agentId: string): void {
    this.ids.add(agentId);
  }

  /** Adds totals left by runs no longer in the store (retired now, or restored from disk at start). */
  addRetired(agentId: string, totals: AgentTotals): void {
    this.ids.add(agentId);
    let t = this.retired.get(agentId);
    if (!t) {
      t = emptyTotals();
      this.retired.set(agentId, t);
    }
    addTotals(t, totals);
  }

  retiredTotals(): ReadonlyMap<string, Readonly<AgentTotals>> {
    return this.retired;
  }

  /** Lifetime totals per agent, computed now: retired totals plus what `runs` contribute. */
  totals(runs: Iterable<Run>): Map<string, AgentTotals> {
    const out = new Map<string, AgentTotals>();
    for (const [agent, t] of this.retired) {
      const copy = emptyTotals();
      addTotals(copy, t);
      out.set(agent, copy);
    }
    for (const run of runs) {
      if (run.imported) continue; // history from elsewhere: not this engine's counts
      let t = out.get(run.agentId);
      if (!t) {
        t = emptyTotals();
        out.set(run.agentId, t);
      }
      addTotals(t, run.contribution());
    }
    return out;
  }
}
