"""Training stage: distribution strategy, compilation, callbacks, resume and export."""
