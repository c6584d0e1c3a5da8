"""Bridges to other frameworks (imported on demand; torch stays optional)."""
