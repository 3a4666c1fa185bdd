// A cheap retried run for lineage tests: no browser; attempt 1 fails in its prepare hook after
// job.sleep_ms (a retryable crash), later attempts end in prepare as skipped runs.
export async function prepare(job, run) {
  await new Promise((resolve) => setTimeout(resolve, Number(job?.sleep_ms ?? 0)));
  if (run.attempt === 1) throw new Error(`job ${job?.n ?? '?'} fails attempt 1 on purpose`);
  return { action: 'skip', reason: `job ${job?.n ?? '?'} finished in prepare` };
}

export default async function neverRuns() {
  throw new Error('prepare skips every job');
}
