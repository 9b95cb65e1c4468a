"""Release model: which catalog entries are the same album, CD or EP."""
