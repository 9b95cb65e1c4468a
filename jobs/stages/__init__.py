"""The stages every entity goes through, by kind: features, train, resolve, evaluate, promote, compare."""
