"""Per-run analysis of a finished deep run (``da-bench analyze``). Where to look:

- :mod:`~da_bench.analysis.load`: the run's checks, its network rebuilt from record + checkpoint, and its outputs;
- :mod:`~da_bench.analysis.run`: orchestration, files under ``RUN_DIR/analysis/`` and ``record["analysis"]``;
- :mod:`~da_bench.analysis.a_distance`: the proxy A-distance (Ben-David et al.), TLlib's recipe;
- :mod:`~da_bench.analysis.calibration`: expected calibration error and the reliability diagram (Guo et al. 2017);
- :mod:`~da_bench.analysis.per_class`: confusion matrix and per-class accuracy;
- :mod:`~da_bench.analysis.tsne`: t-SNE of source and target features, by domain and by class;
- :mod:`~da_bench.analysis.figures`: matplotlib without a display.
"""
