// A cheap run for batch tests: it ends in its prepare hook (no browser is launched), after
// job.sleep_ms milliseconds, as a skipped run with a run_complete event in Lode.
export async function prepare(job) {
  await new Promise((resolve) => setTimeout(resolve, Number(job?.sleep_ms ?? 0)));
  return { action: 'skip', reason: `job ${job?.n ?? '?'} finished in prepare` };
}

export default async function neverRuns() {
  throw new Error('prepare skips every job');
}
