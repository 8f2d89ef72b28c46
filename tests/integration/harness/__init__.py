"""Test harness for Sylk for Janus: a real janus with our plugins, its APIs, and real peers."""
