"""The pipeline driver: each stage as the command a user would type (`stages`), the run directory's layout
(`layout`), REPORT.md (`report`), and the comparisons across a run's models (`learning_curve`, `redshift_study`).
Imports neither TensorFlow nor Keras: the stages run as their own processes."""
