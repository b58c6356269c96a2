"""Every store in memory, for one process and for fast tests: the same contracts as SQL."""

from .database import MemoryDatabase
from .uow import MemoryUnitOfWork

__all__ = ["MemoryDatabase", "MemoryUnitOfWork"]
