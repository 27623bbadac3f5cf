"""Customer segmentation of one store: model selection, the chosen model, assignment of every
customer, outliers.

Scale: everything that is not linear in the number of customers runs on seeded samples.
KMeans and Gaussian mixtures are fitted on at most `fit_sample_size` customers; silhouette,
DBSCAN (with its k-distance curve) and Ward's hierarchy on at most `pairwise_sample_size`
(a subset of the fit sample, so every method is scored on the same customers). Samples are
chosen by a seeded hash of the customer key (common.hash_sample_positions), not by row
position: one new customer does not reshuffle who is fitted on. Every customer
is then assigned in chunks by the nearest centroid (Gaussian mixture: highest posterior), so
memory stays bounded by the chunk and the samples, whatever the store's size.

Selection rule (recorded in ml.segmentation_model_selection):
1. k = the knee of the KMeans inertia curve over k = 2..10 (Kneedle, `find_knee`); when no
   knee is found, the k with the best silhouette.
2. At that k, KMeans, a Gaussian mixture and Ward's hierarchy compete, and DBSCAN (eps at the
   knee of the k-distance curve) when it finds 2..10 clusters with at most 10% noise; DBSCAN
   is scored as deployed, its noise assigned to the nearest cluster centroid.
3. The same stability gate for every candidate, KMeans included: refitted on
   `selection_resamples` bootstrap resamples of the fit sample, its mean ARI against itself on
   the shared sample (bootstrap_ari, with a 95% percentile interval) must reach
   `min_bootstrap_ari` (0.8, the stability threshold). A segmentation that changes when a few
   customers change cannot be maintained.
4. Among the candidates that pass the gate, the highest silhouette on the shared sample wins,
   but KMeans is kept unless another method beats it by more than `silhouette_margin`: it
   assigns new customers in O(k) and refits in linear time. When no candidate passes, the most
   reproducible one (highest bootstrap ARI) is chosen and the reason says the segments are
   indicative only.

KMeans runs `kmeans_n_init` (20) k-means++ restarts: with 3, two seeds on identical Olist
data agreed at ARI 0.36, so every stability figure measured the optimiser, not customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from kneed import KneeLocator
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import DBSCAN, KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from retail_warehouse.ml.common import hash_sample_positions, log_progress, single_threaded, timed_step

MODEL = "segmentation"


@dataclass(frozen=True)
class SegmentationConfig:
    """The settings of the segmentation: the seed comes from dbt (var ml_seed), the rest are
    the rules of the module docstring."""

    seed: int
    k_min: int = 2
    k_max: int = 10
    fit_sample_size: int = 10_000
    pairwise_sample_size: int = 3_000
    # Enough restarts that two seeds agree on identical data (ARI >= 0.95; unit-tested).
    kmeans_n_init: int = 20
    silhouette_margin: float = 0.02
    dbscan_max_noise_share: float = 0.10
    outlier_quantile: float = 0.99
    selection_resamples: int = 20
    min_bootstrap_ari: float = 0.8
    # Fewer customers than this: one segment, no model (logged and recorded).
    min_customers: int = 20
    # Customers per cluster at least, on the fit sample, for a k to be tried.
    min_customers_per_cluster: int = 5
    predict_chunk_size: int = 100_000


SELECTION_COLUMNS = [
    "store",
    "method",
    "k",
    "inertia",
    "silhouette",
    "davies_bouldin",
    "calinski_harabasz",
    "bic",
    "eps",
    "min_samples",
    "noise_share",
    "bootstrap_ari",
    "bootstrap_ari_lower",
    "bootstrap_ari_upper",
    "passes_stability_gate",
    "is_inertia_knee",
    "is_bic_best",
    "is_chosen",
    "selection_reason",
    "fit_customers",
    "sample_customers",
    "features",
]


def find_knee(x, y, curve: str, direction: str) -> float | None:
    """Kneedle (Satopaa et al. 2011, package kneed): the x where the curve bends most, or None
    (fewer than 3 points, or no bend)."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if len(x) < 3 or np.ptp(y) == 0:
        return None
    knee = KneeLocator(x, y, curve=curve, direction=direction, S=1.0).knee
    return None if knee is None else float(knee)


def cluster_scores(matrix: np.ndarray, labels: np.ndarray) -> dict[str, float | None]:
    """Silhouette, Davies-Bouldin and Calinski-Harabasz of a labelling (None when undefined)."""
    clusters = len(np.unique(labels))
    if clusters < 2 or clusters >= len(labels):
        return {"silhouette": None, "davies_bouldin": None, "calinski_harabasz": None}
    return {
        "silhouette": float(silhouette_score(matrix, labels)),
        "davies_bouldin": float(davies_bouldin_score(matrix, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(matrix, labels)),
    }


@dataclass
class Segmenter:
    """A fitted segmentation: centroids in the scaled feature space, and for a Gaussian
    mixture the mixture itself (assignment by posterior)."""

    method: str
    centroids: np.ndarray
    mixture: GaussianMixture | None = None
    eps: float | None = None
    min_samples: int | None = None

    @property
    def k(self) -> int:
        return len(self.centroids)

    def predict(self, matrix: np.ndarray, chunk_size: int = 100_000):
        """Labels (0..k-1), Euclidean distance to the assigned centroid, and the posterior of
        the assigned component (Gaussian mixture only, else NaN); in chunks."""
        labels = np.empty(len(matrix), dtype="int64")
        distances = np.empty(len(matrix), dtype="float64")
        probabilities = np.full(len(matrix), np.nan)
        for start in range(0, len(matrix), chunk_size):
            part = matrix[start : start + chunk_size]
            squared = ((part[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
            if self.mixture is not None:
                posterior = self.mixture.predict_proba(part)
                chosen = posterior.argmax(axis=1)
                probabilities[start : start + len(part)] = posterior[np.arange(len(part)), chosen]
            else:
                chosen = squared.argmin(axis=1)
            labels[start : start + len(part)] = chosen
            distances[start : start + len(part)] = np.sqrt(squared[np.arange(len(part)), chosen])
        return labels, distances, probabilities


def _centroids_of(matrix: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean of each cluster (noise, label -1, left out), clusters in label order; the mean of
    all rows when everything is noise (one segment)."""
    clusters = np.unique(labels[labels >= 0])
    if len(clusters) == 0:
        return matrix.mean(axis=0, keepdims=True)
    return np.array([matrix[labels == label].mean(axis=0) for label in clusters])


def _ward_labels(pairwise: np.ndarray, k: int) -> np.ndarray:
    return fcluster(linkage(pairwise, method="ward"), t=k, criterion="maxclust") - 1


def dbscan_min_samples(features: int) -> int:
    """The usual rule of thumb: twice the dimension (at least 4)."""
    return max(4, 2 * features)


def dbscan_eps(pairwise: np.ndarray, min_samples: int) -> tuple[float, str]:
    """eps at the knee of the sorted distances to the min_samples-th neighbour (the point
    itself counted, as DBSCAN counts it); the 95th percentile when no knee is found."""
    neighbours = NearestNeighbors(n_neighbors=min(min_samples, len(pairwise))).fit(pairwise)
    distances = np.sort(neighbours.kneighbors(pairwise)[0][:, -1])
    knee = find_knee(np.arange(len(distances)), distances, curve="convex", direction="increasing")
    if knee is None or distances[int(knee)] <= 0:
        return float(max(np.quantile(distances, 0.95), 1e-6)), "95th percentile of the k-distances (no knee)"
    return float(distances[int(knee)]), "knee of the k-distance curve"


def fit_segmenter(
    method: str,
    k: int,
    fit_matrix: np.ndarray,
    pairwise_positions: np.ndarray,
    config: SegmentationConfig,
    eps: float | None = None,
    min_samples: int | None = None,
) -> tuple[Segmenter, np.ndarray]:
    """Fit one method; returns the segmenter and the labels of the customers it was fitted on
    (fit sample for KMeans / GMM, pairwise sample for Ward / DBSCAN)."""
    with single_threaded():
        if method == "kmeans":
            model = KMeans(n_clusters=k, n_init=config.kmeans_n_init, random_state=config.seed).fit(fit_matrix)
            return Segmenter(method, model.cluster_centers_), model.labels_
        if method == "gmm":
            mixture = GaussianMixture(
                n_components=k, covariance_type="full", reg_covar=1e-3, random_state=config.seed
            ).fit(fit_matrix)
            return Segmenter(method, mixture.means_, mixture=mixture), mixture.predict(fit_matrix)
        pairwise = fit_matrix[pairwise_positions]
        if method == "ward":
            labels = _ward_labels(pairwise, k)
            return Segmenter(method, _centroids_of(pairwise, labels)), labels
        if method == "dbscan":
            if eps is None:
                # A refit on other data (snapshot, resample) re-applies the rule, not the value.
                min_samples = dbscan_min_samples(pairwise.shape[1])
                eps, _ = dbscan_eps(pairwise, min_samples)
            labels = DBSCAN(eps=eps, min_samples=min_samples).fit(pairwise).labels_
            return Segmenter(method, _centroids_of(pairwise, labels), eps=eps, min_samples=min_samples), labels
    raise ValueError(f"unknown method {method!r}")


def _samples(matrix: np.ndarray, config: SegmentationConfig, keys=None) -> tuple[np.ndarray, np.ndarray]:
    """The fit sample and, inside it, the positions of the pairwise sample, both chosen by a
    seeded hash of the customer keys (rows without keys are keyed by their position)."""
    keys = np.arange(len(matrix)) if keys is None else np.asarray(keys, dtype=object)
    fit_positions = hash_sample_positions(keys, config.fit_sample_size, config.seed)
    pairwise_positions = hash_sample_positions(keys[fit_positions], config.pairwise_sample_size, config.seed + 1)
    return matrix[fit_positions], pairwise_positions


@dataclass
class Selection:
    """The model selection of one store."""

    rows: list[dict]
    chosen: Segmenter | None
    reason: str
    knee_k: int | None
    fit_customers: int
    sample_customers: int


def select_model(matrix: np.ndarray, config: SegmentationConfig, store: str = "", keys=None) -> Selection:
    """Score KMeans, GMM and Ward for every k, DBSCAN at its eps, and choose (module docstring).
    keys: the customer key of each row (the samples are chosen by their hash)."""
    n = len(matrix)
    fit_matrix, pairwise_positions = _samples(matrix, config, keys)
    pairwise = fit_matrix[pairwise_positions]
    k_values = [
        k
        for k in range(config.k_min, config.k_max + 1)
        if k * config.min_customers_per_cluster <= len(fit_matrix) and k < len(pairwise)
    ]
    if n < config.min_customers or not k_values or matrix.shape[1] == 0:
        reason = f"{n} customers (< {config.min_customers}) or no usable feature: one segment, no model"
        log_progress(MODEL, f"{store}: {reason}")
        return Selection([], None, reason, None, len(fit_matrix), len(pairwise))

    rows: list[dict] = []
    fitted: dict[tuple[str, int], Segmenter] = {}
    scale_note = {"fit_customers": len(fit_matrix), "sample_customers": len(pairwise)}

    with timed_step(MODEL, f"{store}: KMeans k={k_values[0]}..{k_values[-1]} on {len(fit_matrix)} customers"):
        for k in k_values:
            segmenter, labels = fit_segmenter("kmeans", k, fit_matrix, pairwise_positions, config)
            fitted[("kmeans", k)] = segmenter
            rows.append(
                {
                    "method": "kmeans",
                    "k": k,
                    "inertia": float(((fit_matrix - segmenter.centroids[labels]) ** 2).sum()),
                    "silhouette": cluster_scores(pairwise, labels[pairwise_positions])["silhouette"],
                    **_fit_scores(fit_matrix, labels),
                    **scale_note,
                }
            )
    knee = find_knee([r["k"] for r in rows], [r["inertia"] for r in rows], curve="convex", direction="decreasing")
    if knee is not None:
        knee_k, knee_note = int(knee), "knee of the KMeans inertia curve (Kneedle)"
    else:
        best = max((r for r in rows if r["silhouette"] is not None), key=lambda r: r["silhouette"], default=rows[0])
        knee_k, knee_note = int(best["k"]), "no inertia knee found: k of the best KMeans silhouette"

    with timed_step(MODEL, f"{store}: Gaussian mixtures (BIC)"):
        for k in k_values:
            segmenter, labels = fit_segmenter("gmm", k, fit_matrix, pairwise_positions, config)
            fitted[("gmm", k)] = segmenter
            rows.append(
                {
                    "method": "gmm",
                    "k": k,
                    "bic": float(segmenter.mixture.bic(fit_matrix)),
                    "silhouette": cluster_scores(pairwise, labels[pairwise_positions])["silhouette"],
                    **_fit_scores(fit_matrix, labels),
                    **scale_note,
                }
            )

    with timed_step(MODEL, f"{store}: Ward hierarchy on {len(pairwise)} customers"), single_threaded():
        tree = linkage(pairwise, method="ward")
        for k in k_values:
            labels = fcluster(tree, t=k, criterion="maxclust") - 1
            fitted[("ward", k)] = Segmenter("ward", _centroids_of(pairwise, labels))
            rows.append({"method": "ward", "k": k, **cluster_scores(pairwise, labels), **scale_note})

    with timed_step(MODEL, f"{store}: DBSCAN on {len(pairwise)} customers"), single_threaded():
        min_samples = dbscan_min_samples(matrix.shape[1])
        eps, eps_note = dbscan_eps(pairwise, min_samples)
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit(pairwise).labels_
        clusters = len(np.unique(labels[labels >= 0]))
        noise_share = float(np.mean(labels < 0))
        scores = cluster_scores(pairwise, labels)
        if clusters >= 1:
            segmenter = Segmenter("dbscan", _centroids_of(pairwise, labels), eps=eps, min_samples=min_samples)
            fitted[("dbscan", clusters)] = segmenter
            # Scored as deployed: noise goes to the nearest cluster centroid like every customer.
            scores = cluster_scores(pairwise, segmenter.predict(pairwise)[0])
        rows.append(
            {
                "method": "dbscan",
                "k": clusters,
                "eps": eps,
                "min_samples": min_samples,
                "noise_share": noise_share,
                **scores,
                **scale_note,
            }
        )

    bic_rows = [r for r in rows if r["method"] == "gmm"]
    bic_best_k = min(bic_rows, key=lambda r: r["bic"])["k"]
    candidates = [r for r in rows if r["method"] in ("kmeans", "gmm", "ward") and r["k"] == knee_k]
    dbscan_row = rows[-1]
    dbscan_eligible = (
        2 <= dbscan_row["k"] <= config.k_max and dbscan_row["noise_share"] <= config.dbscan_max_noise_share
    )
    if dbscan_eligible:
        candidates.append(dbscan_row)
    with timed_step(MODEL, f"{store}: bootstrap check of {len(candidates)} candidates"):
        for row in candidates:
            scores = resample_ari(fit_matrix, pairwise_positions, fitted[(row["method"], row["k"])], config)
            row["bootstrap_ari"] = float(np.mean(scores))
            row["bootstrap_ari_lower"], row["bootstrap_ari_upper"] = (
                float(q) for q in np.quantile(scores, [0.025, 0.975])
            )
            row["passes_stability_gate"] = row["bootstrap_ari"] >= config.min_bootstrap_ari
    chosen_row, verdict = _choose(candidates, config)
    compared = ", ".join(
        f"{r['method']} silhouette {_fmt(r['silhouette'])} bootstrap ARI {r['bootstrap_ari']:.3f} "
        f"[{r['bootstrap_ari_lower']:.3f}, {r['bootstrap_ari_upper']:.3f}]"
        for r in sorted(candidates, key=lambda r: r["method"])
    )
    reason = (
        f"k = {knee_k}: {knee_note}. At k = {knee_k} on {len(pairwise)} sampled customers "
        f"({config.selection_resamples} bootstrap refits each): {compared}; DBSCAN (eps {eps:.3f}, {eps_note}) "
        f"found {dbscan_row['k']} clusters with {noise_share:.1%} noise "
        f"({'eligible' if dbscan_eligible else 'not eligible'}). {verdict}"
    )
    reason += f" GMM BIC is lowest at k = {bic_best_k}."
    for row in rows:
        row["is_inertia_knee"] = row["method"] == "kmeans" and row["k"] == knee_k and knee is not None
        row["is_bic_best"] = row["method"] == "gmm" and row["k"] == bic_best_k
        row["is_chosen"] = row is chosen_row
        row["selection_reason"] = reason if row is chosen_row else None
    chosen = fitted[(chosen_row["method"], chosen_row["k"])]
    log_progress(MODEL, f"{store}: chosen {chosen_row['method']} k={chosen_row['k']}")
    return Selection(rows, chosen, reason, knee_k, len(fit_matrix), len(pairwise))


def _silhouette(row: dict) -> float:
    return row["silhouette"] if row["silhouette"] is not None else -1.0


def _choose(candidates: list[dict], config: SegmentationConfig) -> tuple[dict, str]:
    """The chosen candidate and why (module docstring, rules 3 and 4)."""
    gate = f"bootstrap ARI >= {config.min_bootstrap_ari}"
    stable = [r for r in candidates if r["passes_stability_gate"]]
    if not stable:
        chosen = max(candidates, key=lambda r: (r["bootstrap_ari"], r["method"] == "kmeans"))
        return chosen, (
            f"No candidate passes the stability gate ({gate}): chosen {chosen['method']}, the most "
            "reproducible; its segments are indicative only."
        )
    best = max(stable, key=_silhouette)
    kmeans = next((r for r in stable if r["method"] == "kmeans"), None)
    if kmeans is not None and _silhouette(best) <= _silhouette(kmeans) + config.silhouette_margin:
        return kmeans, (
            f"Chosen kmeans: it passes the stability gate ({gate}) and no stable method beats its silhouette by "
            f"more than {config.silhouette_margin} (KMeans assigns by nearest centroid and refits in linear time)."
        )
    why = (
        f"its silhouette beats KMeans by more than {config.silhouette_margin}"
        if kmeans is not None
        else "KMeans fails the stability gate; best silhouette among those that pass"
    )
    return best, f"Chosen {best['method']}: it passes the stability gate ({gate}) and {why}."


def resample_ari(
    fit_matrix: np.ndarray, pairwise_positions: np.ndarray, reference: Segmenter, config: SegmentationConfig
) -> list[float]:
    """ARI, on the shared sample, between the reference and the same method refitted on each of
    `selection_resamples` bootstrap resamples of the fit sample (DBSCAN: eps re-derived by its
    rule)."""
    pairwise = fit_matrix[pairwise_positions]
    reference_labels = reference.predict(pairwise)[0]
    generator = np.random.default_rng(config.seed + 3)
    scores = []
    for _ in range(config.selection_resamples):
        resample = fit_matrix[np.sort(generator.integers(0, len(fit_matrix), len(fit_matrix)))]
        refitted = refit_chosen(resample, reference.method, reference.k, config)
        scores.append(float(adjusted_rand_score(reference_labels, refitted.predict(pairwise)[0])))
    return scores


def _fit_scores(fit_matrix: np.ndarray, labels: np.ndarray) -> dict[str, float | None]:
    """Davies-Bouldin and Calinski-Harabasz are linear in n: measured on the whole fit sample."""
    if len(np.unique(labels)) < 2:
        return {"davies_bouldin": None, "calinski_harabasz": None}
    return {
        "davies_bouldin": float(davies_bouldin_score(fit_matrix, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(fit_matrix, labels)),
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def refit_chosen(
    matrix: np.ndarray,
    method: str,
    k: int,
    config: SegmentationConfig,
    eps: float | None = None,
    min_samples: int | None = None,
    keys=None,
) -> Segmenter:
    """The chosen model fitted again exactly as select_model fitted it (same samples, same
    seed): the models after the selection table refit it instead of passing objects around."""
    fit_matrix, pairwise_positions = _samples(matrix, config, keys)
    segmenter, _ = fit_segmenter(method, k, fit_matrix, pairwise_positions, config, eps, min_samples)
    return segmenter


def assign(
    matrix: np.ndarray,
    segmenter: Segmenter | None,
    monetary: np.ndarray,
    features: tuple[str, ...],
    config: SegmentationConfig,
) -> pd.DataFrame:
    """Segment of every row of matrix: segment_id 1..k ordered by descending median monetary
    (1 = the most valuable), distance to the centroid, posterior (GMM), outlier flag (distance
    above the segment's `outlier_quantile`), and the feature that deviates most from the
    centroid (in robust-scaled units)."""
    n = len(matrix)
    if segmenter is None or n == 0:
        return pd.DataFrame(
            {
                "segment_id": np.ones(n, dtype="int64"),
                "distance_to_centroid": np.full(n, np.nan),
                "assignment_probability": np.full(n, np.nan),
                "outlier_threshold": np.full(n, np.nan),
                "is_outlier": np.zeros(n, dtype=bool),
                "most_deviating_feature": pd.Series([None] * n, dtype="object"),
                "deviation": np.full(n, np.nan),
            }
        )
    labels, distances, probabilities = segmenter.predict(matrix, config.predict_chunk_size)
    present = np.unique(labels)
    medians = {label: np.median(monetary[labels == label]) for label in present}
    order = sorted(present, key=lambda label: (-medians[label], label))
    relabel = np.zeros(segmenter.k, dtype="int64")
    relabel[order] = np.arange(1, len(order) + 1)
    thresholds = np.empty(n)
    for label in present:
        members = labels == label
        thresholds[members] = np.quantile(distances[members], config.outlier_quantile)
    deviations = np.abs(matrix - segmenter.centroids[labels])
    worst = deviations.argmax(axis=1) if matrix.shape[1] else np.zeros(n, dtype="int64")
    return pd.DataFrame(
        {
            "segment_id": relabel[labels],
            "distance_to_centroid": distances,
            "assignment_probability": probabilities,
            "outlier_threshold": thresholds,
            "is_outlier": distances > thresholds,
            "most_deviating_feature": np.asarray(features, dtype="object")[worst],
            "deviation": deviations[np.arange(n), worst],
        }
    )


def selection_frame(store: str, selection: Selection, features: tuple[str, ...]) -> pd.DataFrame:
    """Rows of ml.segmentation_model_selection for one store (one 'none' row without a model)."""
    columns = SELECTION_COLUMNS
    rows = selection.rows or [
        {
            "method": "none",
            "k": 1,
            "is_inertia_knee": False,
            "is_bic_best": False,
            "is_chosen": True,
            "selection_reason": selection.reason,
            "fit_customers": selection.fit_customers,
            "sample_customers": selection.sample_customers,
        }
    ]
    frame = pd.DataFrame([{**row, "store": store, "features": ", ".join(features)} for row in rows])
    frame = frame.reindex(columns=columns)
    for column in (
        "inertia",
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "bic",
        "eps",
        "noise_share",
        "bootstrap_ari",
        "bootstrap_ari_lower",
        "bootstrap_ari_upper",
    ):
        frame[column] = frame[column].astype("float64")
    for column in ("k", "fit_customers", "sample_customers"):
        frame[column] = frame[column].astype("int64")
    frame["min_samples"] = frame["min_samples"].astype("Int64")
    for column in ("is_inertia_knee", "is_bic_best", "is_chosen"):
        frame[column] = frame[column].astype(bool)
    # Null on rows that were not candidates at the chosen k (no bootstrap run).
    frame["passes_stability_gate"] = frame["passes_stability_gate"].astype("boolean")
    return frame
