"""Evaluation stage: score a trained model on a dataset split (paper Sec. IV) against a Wiener-filter baseline.

    from deep21_tf.evaluation.run import evaluate
    metrics = evaluate(MODEL_DIR, DATA_DIR, split="test", tta=True)

Modules: `trained_model` (a model dir predicting in physical units, any map size the network takes), `tta`
(D4 test-time averaging), `data` (dataset batches in mK and δ), `baseline` (Wiener filter), `metrics` (P(k), T(k),
r(k), PDF, MSE, R²), `figures` (the paper's figures), `run` (the whole evaluation and its files). The package
imports nothing itself, so `figures` loads without TensorFlow.
"""
