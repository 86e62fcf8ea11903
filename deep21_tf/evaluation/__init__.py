"""Evaluation stage: score a trained model on a dataset split (paper Sec. IV) against a linear baseline.

    from deep21_tf.evaluation.run import evaluate
    metrics = evaluate(MODEL_DIR, DATA_DIR, split="test", tta=True)

Modules: `data` (dataset batches in mK and δ), `baseline` (the U-Net's: Wiener filter), `parameter_baseline`
(AstroNet's: ridge on map statistics), `noise_power` (a telescope's noise against the 21 cm signal), `metrics` (P(k), T(k), r(k), PDF, MSE, R²), `run` (the whole evaluation),
`files` (the names of its files, metrics.json's headline keys and its reader, without TensorFlow). The model it
scores is a `deep21_tf.training.trained_model` (D4 test-time averaging: `deep21_tf.data.d4.d4_average`); its figures
come from `deep21_tf.figures`.
"""
