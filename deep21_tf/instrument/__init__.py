"""The radio telescope a model is trained for: SKA-Low's uv coverage and thermal noise (tools21cm), applied to
maps on the fly in tf.data.

Modules: `settings` (the named telescopes, observing time and the observation's fixed choices; no tools21cm),
`uv_coverage` (tools21cm's gridded daily track, cached on disk), `noise` (the radiometer equation per uv cell),
`model` (an `Instrument` for one map geometry), `observe` (the tf.data step; the only one importing TensorFlow).
"""
