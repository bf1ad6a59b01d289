"""Conversations kept with the notebook: each chat run's events, in its own run folder.

Every event a chat run records is appended, one JSON object a line, to ``chat.jsonl`` in the run's folder
(``runs/<notebook stem>-<time>/`` beside the notebook, where its ``report.json`` and ``bundle/`` lie). The panel
reloads a conversation from there, and lists a notebook's runs by reading the ``chat.jsonl`` of the folders named
after it, across server restarts. Why there and not in the notebook's metadata: the metadata lives in the open
document, so every event would mark the person's notebook unsaved and race their edits; a run writes only into
its own folder, and the run folder travels with its bundle, so the conversation and what it produced stay together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..report import RunReport

#: The conversation's file in a run folder.
CHAT_FILE = "chat.jsonl"
#: States a stored run can end in; one that was still working when the server stopped reads as stopped.
_ENDED = ("succeeded", "failed", "refused", "needs_input", "stopped")


def append(folder: Path, record: dict[str, Any]) -> None:
    """Add one event to the conversation kept in ``folder`` (a folder that is gone is left gone)."""
    if not folder.is_dir():
        return
    with open(folder / CHAT_FILE, "a", encoding="utf-8") as file:
        file.write(json.dumps(record, ensure_ascii=False) + "\n")


def read(folder: Path) -> list[dict[str, Any]]:
    """The events kept in ``folder``, in order; a line cut short (the server stopped mid-write) is skipped."""
    path = folder / CHAT_FILE
    if not path.is_file():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("type") == "event":
            events.append(record)
    return events


@dataclass
class StoredRun:
    """A run of an earlier server (or one whose worker is gone): its conversation, read back from its folder."""

    run_id: str
    notebook_path: str
    folder: Path
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def state(self) -> str:
        """The last state it recorded; one cut off while working reads as ``stopped``."""
        states = [e["data"].get("state") for e in self.events if e.get("kind") == "state"]
        last = states[-1] if states else "stopped"
        return last if last in _ENDED else "stopped"

    @property
    def report(self) -> RunReport | None:
        """Its latest report (from the last state event that carried one)."""
        for event in reversed(self.events):
            if event.get("kind") == "state" and isinstance(event.get("data", {}).get("report"), dict):
                try:
                    return RunReport.model_validate(event["data"]["report"])
                except ValueError:
                    return None
        return None

    @property
    def request(self) -> str:
        """The conversation's first request (a run that continued an earlier one kept the whole request)."""
        first = next((e for e in self.events if e.get("kind") == "user"), None)
        return "" if first is None else str(first.get("data", {}).get("request") or first.get("text", ""))

    @property
    def latest_request(self) -> str:
        """The request as its latest turn read it (with the answers and changes since): its report's spec's."""
        report = self.report
        return str(report.spec.get("request") or self.request) if report else self.request

    @property
    def started_with(self) -> dict[str, Any]:
        """What the first message was sent with: ``data`` (resolved), ``llm`` (no key, only its variable's name)."""
        return next((e.get("data", {}) for e in self.events if e.get("kind") == "user"), {})

    def summary(self) -> dict[str, Any]:
        """What ``GET /runs/{id}`` answers (as for a live run; ``busy`` is always false)."""
        report = self.report
        zip_path = report.paths.get("bundle_zip") if report else None
        return {"run_id": self.run_id, "notebook_path": self.notebook_path, "run_folder": str(self.folder),
                "request": self.request, "data": self.started_with.get("data"), "state": self.state, "busy": False,
                "last_seq": len(self.events), "created": self.events[0]["time"] if self.events else 0,
                "report": report.model_dump(mode="json") if report else None, "stored": True,
                "queued": 0, "bundle_zip": bool(zip_path and Path(zip_path).is_file())}


def stored_runs(notebook: Path, notebook_path: str) -> list[StoredRun]:
    """The runs kept beside ``notebook`` (``runs/<stem>-*/chat.jsonl``) whose conversation names it, oldest
    first."""
    parent = notebook.parent / "runs"
    if not parent.is_dir():
        return []
    found = []
    for folder in parent.glob(f"{notebook.stem}-*"):
        events = read(folder) if folder.is_dir() else []
        if not events or events[0].get("data", {}).get("notebook_path", notebook_path) != notebook_path:
            continue
        found.append(StoredRun(str(events[0]["run_id"]), notebook_path, folder, events))
    return sorted(found, key=lambda run: run.events[0].get("time", 0))
