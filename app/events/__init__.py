"""Events: series, RSVPs with capacity and a FIFO waitlist, check-ins and calendar feeds."""
