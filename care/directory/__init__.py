"""PCNs, care homes, users and who serves which home."""
