"""Theory tests: the simulation against exact queueing and inventory results."""
