"""Which CI run this process belongs to, from the environment the CI system sets.

A gate that reads "the last hour" of sessions judges whatever ran in that hour: a rerun after a fix
still fails on the earlier run's sessions, and two pipelines sharing a backend judge each other. So
every session carries its run id (``agentops.run.id``) and ``agentops-otel gate --this-run`` looks it up
the same way here, in the gate's own step of the same pipeline.

The root alone is not enough with a provider the program built (its resource is not ours): a session
killed before it ends (a CI timeout's SIGKILL, ``os._exit``) never exports its root, so none of its
spans would name the run and ``--this-run`` would leave its failure out. There the session processor
stamps the run id on every span of the session (:func:`run_to_stamp`).

``AGENTOPS_OTEL_RUN_ID`` wins (a matrix of jobs that should be judged together sets one value in all of
them); then each CI system's own id. GitHub's run id stays the same when a run is re-run, so its
attempt is part of the id (``1234567890-2``): a re-run is judged on its own sessions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from . import semconv

__all__ = ["CiRun", "current_run", "run_attributes", "run_to_stamp"]


@dataclass(frozen=True)
class CiRun:
    """A run id and the CI system it came from (``custom`` for ``AGENTOPS_OTEL_RUN_ID``)."""

    id: str
    system: str


def current_run(environ: Mapping[str, str] | None = None) -> CiRun | None:
    """The run this process is part of, or ``None`` outside CI (and without ``AGENTOPS_OTEL_RUN_ID``)."""
    env = os.environ if environ is None else environ
    explicit = env.get(semconv.ENV_RUN_ID, "").strip()
    if explicit:
        return CiRun(explicit, "custom")
    for system, names in semconv.ENV_CI_RUN_VARIABLES:
        if system == "jenkins" and not (env.get("JENKINS_URL") or env.get("JENKINS_HOME")):
            continue
        for name in names:
            value = env.get(name, "").strip()
            if value:
                if system == "github_actions":
                    value = f"{value}-{env.get('GITHUB_RUN_ATTEMPT', '').strip() or '1'}"
                return CiRun(value, system)
    generic = env.get("BUILD_ID", "").strip()
    return CiRun(generic, "ci") if generic else None


def run_attributes(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``agentops.run.id`` / ``agentops.run.system`` for a resource or a session root (empty outside CI)."""
    run = current_run(environ)
    return {} if run is None else {semconv.RUN_ID: run.id, semconv.RUN_SYSTEM: run.system}


def run_to_stamp(run: Mapping[str, str], root: object) -> str | None:
    """The run id every span of a session must carry itself: ``None`` outside a run, or when the provider's
    resource (seen on the session's ``root`` span) already names this run, so each span has it for free.

    Decided once per session, at its start: the per-span path only reads the answer."""
    run_id = run.get(semconv.RUN_ID)
    if run_id is None:
        return None
    resource = getattr(root, "resource", None)
    attributes = getattr(resource, "attributes", None)
    return None if isinstance(attributes, Mapping) and attributes.get(semconv.RUN_ID) == run_id else run_id
