"""Training stage: distribution strategy, compilation, callbacks, resume and export (`run`), and the model
directory it writes (`model_dir`: the layout; `trained_model`: a finished directory as one predicting object)."""
