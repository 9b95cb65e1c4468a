"""Pages and plots a person reads: the error report, the performance plot."""
