"""Jana Courier: a demo courier app wired to the Kelisim SDK (imports client_sdk only)."""
