"""Statistics cosmologists use to score a reconstruction: P(k) (powerbox), T(k), r(k), the one-point PDF, R²,
a linear Wiener-filter baseline, ridge and kernel ridge regression, bootstrap intervals over boxes. Maps are 2D, lengths in Mpc, k in Mpc⁻¹, P in Mpc² × [field units]².
"""
from deep21_tf.stats.pdf import pdf, pdf_distance
from deep21_tf.stats.power import cross_correlation, k_bin_edges, power_spectrum, transfer_function
from deep21_tf.stats.bootstrap import group_bootstrap
from deep21_tf.stats.kernel_ridge import KernelRidgeFit, fit_kernel_ridge
from deep21_tf.stats.regression import pearson_r2, r2_score
from deep21_tf.stats.ridge import RidgeFit, fit_ridge
from deep21_tf.stats.summary import band_average, mean_and_std
from deep21_tf.stats.wiener import WienerFilter, apply_wiener, fit_wiener

__all__ = ["power_spectrum", "transfer_function", "cross_correlation", "k_bin_edges", "pdf", "pdf_distance",
           "r2_score", "mean_and_std", "band_average", "WienerFilter", "fit_wiener", "apply_wiener", "RidgeFit", "fit_ridge",
           "KernelRidgeFit", "fit_kernel_ridge", "pearson_r2", "group_bootstrap"]
