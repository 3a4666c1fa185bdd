"""A workflow written with the official Python SDK (temporalio) that drives our activity the way
../shared/spec/temporal.md §3 promises other SDKs can: it schedules `RunQuarryExtraction` on the
quarry-temporal worker's task queue with `maximum_attempts=1` and handles retries itself, giving
each attempt its own run id and the previous attempt's run id as parent_run_id.

It lives in its own module, importing nothing but temporalio, so the SDK's workflow sandbox can
load it as it is.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

ACTIVITY = "RunQuarryExtraction"


@workflow.defn(name="PythonSdkCallsQuarry")
class PythonSdkCallsQuarry:
    """Input: {task_queue, template (ExtractionParams without run_id/attempt/parent_run_id),
    max_attempts}. Output: {status, attempts: [{run_id, attempt, result | failure}]}."""

    @workflow.run
    async def run(self, req: dict) -> dict:
        attempts: list[dict] = []
        parent = None
        for n in range(1, req["max_attempts"] + 1):
            params = dict(req["template"], run_id=str(workflow.uuid4()), attempt=n)
            if parent is not None:
                params["parent_run_id"] = parent
            entry = {"run_id": params["run_id"], "attempt": n}
            attempts.append(entry)
            try:
                entry["result"] = await workflow.execute_activity(
                    ACTIVITY, params, task_queue=req["task_queue"],
                    start_to_close_timeout=timedelta(minutes=3),
                    heartbeat_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(maximum_attempts=1))
                return {"status": "completed", "attempts": attempts}
            except ActivityError as e:
                entry["activity_type"] = e.activity_type
                entry["retry_state"] = e.retry_state.name if e.retry_state is not None else None
                cause = e.cause
                if not isinstance(cause, ApplicationError):
                    entry["failure"] = {"class": type(cause).__name__, "message": str(cause)}
                    break
                entry["failure"] = {"class": "ApplicationError", "type": cause.type,
                                    "non_retryable": cause.non_retryable,
                                    "message": cause.message, "details": list(cause.details)}
                if cause.non_retryable:
                    break
                parent = params["run_id"]
        return {"status": "failed", "attempts": attempts}
