from parley.core.schedule import Job, run_due


def test_due_jobs_run_and_a_failing_job_does_not_stop_the_others(db):
    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    jobs = [
        Job(name="broken", every=10, func=broken),
        Job(name="ok", every=5, func=lambda: calls.append("ok")),
    ]
    run_due(jobs, now=100.0)
    assert calls == ["broken", "ok"]
    run_due(jobs, now=104.0)  # nothing due yet
    assert calls == ["broken", "ok"]
    run_due(jobs, now=105.0)
    assert calls == ["broken", "ok", "ok"]
