/**
 * Conformance cases: lines a client might send, each with what the engine must answer. They go
 * into protocol.json (scripts/protocol.ts), and every implementation's tests run all of them:
 * the engine's parser and a live engine (test/shared/protocolSpec.test.ts), the Node client's
 * call-time checks (test/clients/nodeProtocol.test.ts) and the Python client's.
 *
 * `expect` is written by hand, never computed from the parser, so a parser change that moves a
 * case fails a test. `client: true` marks a mistake a client can see at the call (an id, a phase
 * name, a number that must be finite, the event type): a client must refuse it there, with the
 * same reason. A client may refuse nothing that the engine accepts.
 */
import type { RejectReason } from './reasons.ts';

export interface ConformanceCase {
  /** What the case shows, as a sentence (test names). */
  name: string;
  /** The line exactly as sent, without the newline. */
  line: string;
  /** 'accept' (an event), 'hello' (a control message), or the reason the line is refused for. */
  expect: 'accept' | 'hello' | RejectReason;
  client?: true;
}

const J = { job_id: 'j', agent_id: 'a' };
const line = (o: Record<string, unknown>) => JSON.stringify(o);

function nested(depth: number): Record<string, unknown> {
  let o: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) o = { n: o };
  return o;
}

export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  // Every event type, accepted.
  { name: 'job_created with every field', line: line({ type: 'job_created', ...J, name: 'ppo run', total_iterations: 100, budget_limit_usd: 5, params: { lr: 0.001, net: { layers: [64, 64] } }, pid: 4242, ts: 1_700_000_000.25, seq: 1, v: 1 }), expect: 'accept' },
  { name: 'job_created with sweep labels (tags and group)', line: line({ type: 'job_created', ...J, tags: ['lr-sweep', 'baseline'], group: 'sweep-2026-12' }), expect: 'accept' },
  { name: 'job_created with only the ids', line: line({ type: 'job_created', ...J }), expect: 'accept' },
  { name: 'job_completed', line: line({ type: 'job_completed', ...J }), expect: 'accept' },
  { name: 'job_failed with an error text', line: line({ type: 'job_failed', ...J, error: 'Traceback (most recent call last): ...' }), expect: 'accept' },
  { name: 'job_cancelled with a reason', line: line({ type: 'job_cancelled', ...J, reason: 'user asked' }), expect: 'accept' },
  { name: 'duration of phase trajectory_generation', line: line({ type: 'duration', ...J, phase: 'trajectory_generation', seconds: 1.5 }), expect: 'accept' },
  { name: 'duration of phase policy_update', line: line({ type: 'duration', ...J, phase: 'policy_update', seconds: 0.25 }), expect: 'accept' },
  { name: 'duration of phase iteration', line: line({ type: 'duration', ...J, phase: 'iteration', seconds: 2 }), expect: 'accept' },
  { name: 'duration of phase checkpoint_save, zero seconds', line: line({ type: 'duration', ...J, phase: 'checkpoint_save', seconds: 0 }), expect: 'accept' },
  { name: 'budget with a limit', line: line({ type: 'budget', ...J, usage_usd: 1.25, limit_usd: 10 }), expect: 'accept' },
  { name: 'progress with a total', line: line({ type: 'progress', ...J, current_iteration: 3, total_iterations: 100 }), expect: 'accept' },
  { name: 'training with loss, reward and iteration', line: line({ type: 'training', ...J, loss: 0.5, mean_reward: -3.25, iteration: 7 }), expect: 'accept' },
  { name: 'training with a NaN loss as the string "NaN"', line: line({ type: 'training', ...J, loss: 'NaN' }), expect: 'accept' },
  { name: 'training with infinite values as "Infinity" and "-Infinity"', line: line({ type: 'training', ...J, loss: 'Infinity', mean_reward: '-Infinity' }), expect: 'accept' },
  { name: 'heartbeat', line: line({ type: 'heartbeat', ...J }), expect: 'accept' },
  { name: 'scalar with a step', line: line({ type: 'scalar', ...J, name: 'eval/accuracy-top1', value: 0.9, step: 12 }), expect: 'accept' },
  { name: 'scalar with a NaN value as "NaN"', line: line({ type: 'scalar', ...J, name: 'grad_norm', value: 'NaN' }), expect: 'accept' },
  { name: 'system with every field', line: line({ type: 'system', ...J, cpu_ratio: 3.5, rss_bytes: 1e9, gpu_util_ratio: 0.75, gpu_mem_bytes: 8e9, gpu_power_watts: 300, gpu_temp_celsius: 65, host_cpu_ratio: 0.5, host_mem_used_bytes: 3e10, host_load1: 2.5 }), expect: 'accept' },
  { name: 'alert with a title, a text and a level', line: line({ type: 'alert', ...J, title: 'Loss diverged', text: 'loss is NaN at step 1200', level: 'ERROR' }), expect: 'accept' },
  { name: 'alert with only a title (level INFO)', line: line({ type: 'alert', ...J, title: 'Epoch 3 done' }), expect: 'accept' },
  { name: 'hello naming the client', line: line({ type: 'hello', client_id: 'host-1234-abcd' }), expect: 'hello' },

  // What is allowed at the edges.
  { name: 'ids in any script, with an emoji (a surrogate pair)', line: line({ type: 'heartbeat', job_id: 'лосс-実験-🚀', agent_id: 'ä' }), expect: 'accept' },
  { name: 'an id of exactly 256 characters', line: line({ type: 'heartbeat', job_id: 'x'.repeat(256), agent_id: 'a' }), expect: 'accept' },
  { name: 'unknown fields are ignored', line: line({ type: 'heartbeat', ...J, gpu: { util: 99 }, tags_v2: ['x'] }), expect: 'accept' },
  { name: 'ts in seconds with a fraction', line: line({ type: 'heartbeat', ...J, ts: 1_764_800_000.123 }), expect: 'accept' },
  { name: 'params nested 8 levels deep', line: line({ type: 'job_created', ...J, params: nested(7) }), expect: 'accept' },

  // Not JSON, or not an object.
  { name: 'a line cut in the middle', line: '{"type":"heartbeat","job_id":"j"', expect: 'invalid_json' },
  { name: 'a bare NaN, which JSON does not have', line: '{"type":"training","job_id":"j","agent_id":"a","loss":NaN}', expect: 'invalid_json' },
  { name: 'a bare Infinity, which JSON does not have', line: '{"type":"scalar","job_id":"j","agent_id":"a","name":"x","value":Infinity}', expect: 'invalid_json' },
  { name: 'an array', line: '[{"type":"heartbeat"}]', expect: 'not_object' },
  { name: 'a string', line: '"heartbeat"', expect: 'not_object' },
  { name: 'null', line: 'null', expect: 'not_object' },

  // Type and version.
  { name: 'no type', line: line({ ...J }), expect: 'missing_field', client: true },
  { name: 'a misspelt type', line: line({ type: 'job_create', ...J }), expect: 'unknown_type', client: true },
  { name: 'a type that is not a string', line: line({ type: 5, ...J }), expect: 'unknown_type', client: true },
  { name: 'a protocol version this engine does not speak', line: line({ type: 'heartbeat', ...J, v: 2 }), expect: 'unsupported_version' },

  // Ids.
  { name: 'no job_id', line: line({ type: 'heartbeat', agent_id: 'a' }), expect: 'missing_field', client: true },
  { name: 'an empty job_id', line: line({ type: 'heartbeat', job_id: '', agent_id: 'a' }), expect: 'missing_field', client: true },
  { name: 'a job_id that is a number', line: line({ type: 'heartbeat', job_id: 7, agent_id: 'a' }), expect: 'wrong_type', client: true },
  { name: 'a job_id of 257 characters', line: line({ type: 'heartbeat', job_id: 'x'.repeat(257), agent_id: 'a' }), expect: 'field_too_long', client: true },
  { name: 'a job_id with a newline (a control character)', line: line({ type: 'heartbeat', job_id: 'a\nb', agent_id: 'a' }), expect: 'invalid_value', client: true },
  { name: 'an agent_id with a NUL character', line: line({ type: 'heartbeat', job_id: 'j', agent_id: 'a\u0000' }), expect: 'invalid_value', client: true },
  { name: 'a job_id with DEL (U+007F)', line: line({ type: 'heartbeat', job_id: 'j\u007f', agent_id: 'a' }), expect: 'invalid_value', client: true },
  { name: 'a job_id with a lone high surrogate', line: '{"type":"heartbeat","job_id":"run-\\ud800","agent_id":"a"}', expect: 'invalid_value', client: true },
  { name: 'a job_id with a lone low surrogate', line: '{"type":"heartbeat","job_id":"\\udc00run","agent_id":"a"}', expect: 'invalid_value', client: true },
  { name: 'an agent_id with a surrogate pair in the wrong order', line: '{"type":"heartbeat","job_id":"j","agent_id":"\\ude80\\ud83d"}', expect: 'invalid_value', client: true },
  { name: 'a hello whose client_id has a lone surrogate', line: '{"type":"hello","client_id":"c\\ud83d"}', expect: 'invalid_value', client: true },

  // Phases and durations.
  { name: 'a phase that is not one of the four', line: line({ type: 'duration', ...J, phase: 'trajectory', seconds: 1 }), expect: 'invalid_value', client: true },
  { name: 'a phase in the wrong case', line: line({ type: 'duration', ...J, phase: 'Policy_Update', seconds: 1 }), expect: 'invalid_value', client: true },
  { name: 'a duration without a phase', line: line({ type: 'duration', ...J, seconds: 1 }), expect: 'missing_field', client: true },
  { name: 'a negative duration', line: line({ type: 'duration', ...J, phase: 'iteration', seconds: -0.5 }), expect: 'negative_duration' },
  { name: 'seconds as a string', line: line({ type: 'duration', ...J, phase: 'iteration', seconds: '1.5' }), expect: 'wrong_type' },
  { name: 'seconds that overflow to infinity (1e400)', line: '{"type":"duration","job_id":"j","agent_id":"a","phase":"iteration","seconds":1e400}', expect: 'non_finite', client: true },

  // Training values and scalars.
  { name: 'a loss that overflows to infinity (1e400)', line: '{"type":"training","job_id":"j","agent_id":"a","loss":1e400}', expect: 'non_finite', client: true },
  { name: 'a loss as a string other than the three', line: line({ type: 'training', ...J, loss: 'nan' }), expect: 'wrong_type' },
  { name: 'a scalar without a value', line: line({ type: 'scalar', ...J, name: 'x' }), expect: 'missing_field' },
  { name: 'a scalar name starting with a digit', line: line({ type: 'scalar', ...J, name: '1st', value: 1 }), expect: 'invalid_value' },
  { name: 'a scalar name of 129 characters', line: line({ type: 'scalar', ...J, name: 'x'.repeat(129), value: 1 }), expect: 'field_too_long' },
  { name: 'a progress that overflows to infinity (1e400)', line: '{"type":"progress","job_id":"j","agent_id":"a","current_iteration":1e400}', expect: 'non_finite', client: true },
  { name: 'a negative iteration', line: line({ type: 'progress', ...J, current_iteration: -1 }), expect: 'invalid_value' },
  { name: 'a budget without usage', line: line({ type: 'budget', ...J, limit_usd: 3 }), expect: 'missing_field' },

  // Timestamps.
  { name: 'ts in milliseconds', line: line({ type: 'heartbeat', ...J, ts: 1_764_800_000_123 }), expect: 'invalid_timestamp' },
  { name: 'a negative ts', line: line({ type: 'heartbeat', ...J, ts: -5 }), expect: 'invalid_timestamp' },
  { name: 'ts as an ISO string', line: line({ type: 'heartbeat', ...J, ts: '2026-12-04T15:00:00Z' }), expect: 'wrong_type' },

  // seq and the lifecycle events' own fields.
  { name: 'a negative seq', line: line({ type: 'heartbeat', ...J, seq: -1 }), expect: 'invalid_value' },
  { name: 'a fractional seq', line: line({ type: 'heartbeat', ...J, seq: 1.5 }), expect: 'wrong_type' },
  { name: 'a fractional pid', line: line({ type: 'job_created', ...J, pid: 1.5 }), expect: 'wrong_type' },
  { name: 'a run name of 257 characters', line: line({ type: 'job_created', ...J, name: 'n'.repeat(257) }), expect: 'field_too_long' },
  { name: 'an error text of 8193 characters', line: line({ type: 'job_failed', ...J, error: 'e'.repeat(8193) }), expect: 'field_too_long' },
  { name: 'params nested 9 levels deep', line: line({ type: 'job_created', ...J, params: nested(9) }), expect: 'too_deep' },
  { name: 'params that are an array', line: line({ type: 'job_created', ...J, params: [1, 2] }), expect: 'wrong_type' },

  // Alerts.
  { name: 'an alert without a title', line: line({ type: 'alert', ...J, text: 'no headline' }), expect: 'missing_field', client: true },
  { name: 'an alert with an empty title', line: line({ type: 'alert', ...J, title: '' }), expect: 'missing_field', client: true },
  { name: 'an alert title of 257 characters', line: line({ type: 'alert', ...J, title: 't'.repeat(257) }), expect: 'field_too_long', client: true },
  { name: 'an alert text of 8193 characters', line: line({ type: 'alert', ...J, title: 't', text: 'x'.repeat(8193) }), expect: 'field_too_long', client: true },
  { name: 'an alert level that is not INFO, WARN or ERROR', line: line({ type: 'alert', ...J, title: 't', level: 'WARNING' }), expect: 'invalid_value', client: true },
  { name: 'an alert level in the wrong case', line: line({ type: 'alert', ...J, title: 't', level: 'info' }), expect: 'invalid_value', client: true },

  // Sweep labels.
  { name: 'tags that are a string, not a list', line: line({ type: 'job_created', ...J, tags: 'baseline' }), expect: 'wrong_type' },
  { name: 'an empty tag', line: line({ type: 'job_created', ...J, tags: ['ok', ''] }), expect: 'missing_field' },
  { name: 'a tag of 129 characters', line: line({ type: 'job_created', ...J, tags: ['t'.repeat(129)] }), expect: 'field_too_long' },
  { name: '65 tags', line: line({ type: 'job_created', ...J, tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }), expect: 'invalid_value' },
  { name: 'a tag with a tab (a control character)', line: line({ type: 'job_created', ...J, tags: ['a\tb'] }), expect: 'invalid_value' },
  { name: 'a group with a lone surrogate', line: '{"type":"job_created","job_id":"j","agent_id":"a","group":"g\\ud800"}', expect: 'invalid_value' },
  { name: 'a group of 257 characters', line: line({ type: 'job_created', ...J, group: 'g'.repeat(257) }), expect: 'field_too_long' },

  // System fields.
  { name: 'a GPU utilisation above 1 (a percentage sent as a ratio)', line: line({ type: 'system', ...J, gpu_util_ratio: 75 }), expect: 'invalid_value' },
  { name: 'a memory size as a string', line: line({ type: 'system', ...J, rss_bytes: '1GB' }), expect: 'wrong_type' },
];
