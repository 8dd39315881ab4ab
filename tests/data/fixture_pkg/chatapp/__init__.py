"""A small chat service in the old singleton style (a fix-test fixture)."""
