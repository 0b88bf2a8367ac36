"""The model versions folder as a request dependency (tests override it or point the settings elsewhere)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from models.versions import VersionStore
from server.core.deps import ContextDep


async def get_versions(context: ContextDep) -> VersionStore:
    """The versions under AISLE_MODELS_DIR (read from disk at each call: training adds folders)."""
    return VersionStore(context.settings.models_dir)


VersionsDep = Annotated[VersionStore, Depends(get_versions)]
