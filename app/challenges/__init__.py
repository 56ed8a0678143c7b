"""Creative challenges: phases that follow the clock, the phase sweep, results."""
