"""The reference fix of fix-scheduler-down: in the scheduler's file, the scoring strategy the team meant,
MostAllocated (MostRequested does not exist); the checker starts the scheduler again with the file.

From a terminal, with MISSION set as the page says:

    sed -i 's/type: MostRequested/type: MostAllocated/' "$MISSION/kube-scheduler.yaml"
"""

from __future__ import annotations

from pathlib import Path


def apply(book, namespace: str) -> None:
    """For the book's tests: the reader's edit, made on the file the ConfigMap ``mission`` names."""
    files = book.core.read_namespaced_config_map("mission", namespace).data
    config = Path(files["scheduler-config"])
    config.write_text(config.read_text().replace("type: MostRequested", "type: MostAllocated"))
