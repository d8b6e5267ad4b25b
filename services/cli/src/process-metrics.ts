// prom-client's default process metrics (CPU, memory, GC, event-loop lag) for one registry, the same in
// embedded and cluster mode.
import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * Event-loop delay sampling period. prom-client's default of 10 ms wakes an idle process 100 times a
 * second, ≈4–6 CPU-ms a second per process on the 2-core VM, a fixed cost paid by every process
 * of a cluster (decision 0039). At 100 ms a loop blocked past the 200 ms alert threshold
 * (ParleyEventLoopLag) is still caught by every sample that falls in the block.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}
