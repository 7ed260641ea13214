"""Local simulator of the Zoho Books and Zoho Inventory APIs (see README.md).

Imports nothing from the rest of the project, so it can stand in for Zoho anywhere.
"""

from .app import create_app
from .config import DEMO_CREDENTIALS, ORG_ID, SandboxConfig

__all__ = ["DEMO_CREDENTIALS", "ORG_ID", "SandboxConfig", "create_app"]
