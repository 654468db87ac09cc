"""Who may use the server: users with roles, platforms' API keys, browser sessions, and the access audit log."""

from reclaim.accounts.apikeys import Scope, create_api_key, find_api_key, list_api_keys, revoke_api_key
from reclaim.accounts.audit import AccessEntry, access_log, record_access
from reclaim.accounts.sessions import end_session, find_session, start_session
from reclaim.accounts.users import Role, add_user, authenticate, get_user, list_users, set_password

__all__ = [
    "AccessEntry", "Role", "Scope", "access_log", "add_user", "authenticate", "create_api_key", "end_session",
    "find_api_key", "find_session", "get_user", "list_api_keys", "list_users", "record_access", "revoke_api_key",
    "set_password", "start_session",
]
