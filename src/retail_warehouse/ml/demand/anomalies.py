"""What is abnormal: days whose demand leaves the seasonal pattern (robust score of the STL
residual), and orders and customers that three detectors find unusual: IsolationForest, a
One-Class SVM (fitted on a sample: its cost grows with the square of the rows) and an
autoencoder trained to reproduce its input, the reconstruction error being the score
(PyTorch, autoencoder.py; scikit-learn's MLP with var ml_neural false). Every row says why: the features furthest from the store's median."""

from __future__ import annotations

import warnings
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retail_warehouse.ml.common import hash_sample_positions, single_threaded
from retail_warehouse.ml.demand.seasonality import robust_scores
from retail_warehouse.ml.registry import reference_bins

# The autoencoder of orders and customers, as ml.anomalies names it: PyTorch's (var ml_neural)
# or scikit-learn's MLP.
TORCH_AUTOENCODER = "torch_autoencoder"
MLP_AUTOENCODER = "sklearn_mlp_autoencoder"
# A detector needs a few rows to learn what is normal.
MIN_ROWS = 20
REASON_FEATURES = 2


@dataclass(frozen=True)
class DetectorSettings:
    """From dbt (vars demand_anomaly_*, ml_seed and ml_neural): the share of rows each
    detector flags, the sample sizes of the One-Class SVM and of the autoencoder's training,
    the seed, and whether the autoencoder is the PyTorch one (else scikit-learn's MLP)."""

    contamination: float
    svm_sample_size: int
    autoencoder_sample_size: int
    seed: int
    neural: bool = False

    @property
    def autoencoder_model(self) -> str:
        """The autoencoder's name in ml.anomalies (column autoencoder_model)."""
        return TORCH_AUTOENCODER if self.neural else MLP_AUTOENCODER


def signed_log(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.sign(values) * np.log1p(np.abs(values))


def order_features(orders: pd.DataFrame) -> pd.DataFrame:
    """Per order (fct_orders rows): the raw measures the detectors and reasons use."""
    quantity = orders["total_quantity"].astype(float).abs()
    amount = orders["gross_sales_amount"].astype(float) + orders["cancellation_amount"].astype(float)
    return pd.DataFrame(
        {
            "units": quantity,
            "order_value": amount,
            "lines": orders["line_count"].astype(float),
            # One line of tens of thousands of units (the 80,995-unit order) is the odd thing.
            "units_per_line": quantity / orders["line_count"].astype(float).where(orders["line_count"] > 0, 1.0),
            "distinct_products": orders["distinct_product_count"].astype(float),
            "value_per_unit": amount / quantity.where(quantity > 0, 1.0),
            # Online Retail C / A invoices and write-offs, Olist canceled or unavailable orders.
            "is_cancellation": ((orders["order_type"] != "sale") | orders["is_cancelled"].fillna(False)).astype(float),
        },
        index=orders.index,
    )


def customer_features(customers: pd.DataFrame) -> pd.DataFrame:
    """Per customer (customer_features rows): the raw measures the detectors use."""
    return pd.DataFrame(
        {
            "orders": customers["frequency"].astype(float),
            "net_revenue": customers["monetary"].astype(float),
            "cancelled_value": customers["cancellation_amount"].astype(float),
            "avg_basket": customers["avg_basket_amount"].astype(float).fillna(0.0),
            "avg_basket_units": customers["avg_basket_quantity"].astype(float).fillna(0.0),
            "distinct_products": customers["distinct_product_count"].astype(float),
            "return_rate": customers["return_rate"].astype(float).fillna(0.0),
            "days_between_orders": customers["mean_days_between_orders"].astype(float).fillna(0.0),
            "tenure_days": customers["tenure_days"].astype(float),
        },
        index=customers.index,
    )


# Shares and flags are used as they are; amounts and counts on a signed log scale.
LINEAR_FEATURES = {"is_cancellation", "return_rate"}


def log_scale(features: pd.DataFrame) -> np.ndarray:
    """The features on the detectors' scale before standardising: log for counts and amounts."""
    columns = [
        features[name].to_numpy(dtype=float) if name in LINEAR_FEATURES else signed_log(features[name])
        for name in features.columns
    ]
    return np.column_stack(columns)


def model_matrix(features: pd.DataFrame) -> np.ndarray:
    """The features on the detectors' scale: log for counts and amounts, standardised on these rows."""
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit_transform(log_scale(features))


def _sample_by_key(keys, size: int, seed: int) -> np.ndarray:
    """The positions of a seeded hash sample of the keys (common.hash_sample_positions), in
    key order: the fitted model depends on which entities there are, not on their rows."""
    keys = np.asarray(keys, dtype=str)
    rows = hash_sample_positions(keys, size, seed)
    return rows[np.argsort(keys[rows], kind="stable")]


@dataclass
class Detectors:
    """The three fitted detectors of one matrix: IsolationForest, the One-Class SVM and the
    autoencoder (a PyTorch module, or scikit-learn's MLPRegressor)."""

    forest: object
    svm: object
    autoencoder: object
    autoencoder_model: str


def fit_detectors(matrix: np.ndarray, keys, settings: DetectorSettings) -> Detectors:
    """IsolationForest on all rows; the One-Class SVM (nu = contamination) and the autoencoder
    fitted on seeded samples drawn by a hash of each row's key (`keys`, the order or customer
    key: a new order does not reshuffle who else is sampled)."""
    from sklearn.ensemble import IsolationForest
    from sklearn.neural_network import MLPRegressor
    from sklearn.svm import OneClassSVM

    n_features = matrix.shape[1]
    with single_threaded():
        forest = IsolationForest(n_estimators=100, random_state=settings.seed).fit(matrix)
        svm_rows = _sample_by_key(keys, settings.svm_sample_size, settings.seed)
        svm = OneClassSVM(kernel="rbf", gamma="scale", nu=settings.contamination).fit(matrix[svm_rows])
        autoencoder_rows = _sample_by_key(keys, settings.autoencoder_sample_size, settings.seed + 1)
        if settings.neural:
            from retail_warehouse.ml.demand.autoencoder import train_autoencoder

            autoencoder = train_autoencoder(matrix, autoencoder_rows, settings.seed)
        else:
            bottleneck = max(2, n_features // 3)
            autoencoder = MLPRegressor(
                hidden_layer_sizes=(2 * bottleneck, bottleneck, 2 * bottleneck),
                activation="tanh",
                max_iter=200,
                random_state=settings.seed,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning: the error ranks rows all the same
                autoencoder.fit(matrix[autoencoder_rows], matrix[autoencoder_rows])
    return Detectors(forest, svm, autoencoder, settings.autoencoder_model)


def raw_scores(detectors: Detectors, matrix: np.ndarray) -> pd.DataFrame:
    """Each detector's score of every row (higher = more unusual), rounded so the last bits of
    float sums never change a table."""
    with single_threaded():
        forest_score = -detectors.forest.score_samples(matrix)
        svm_score = -detectors.svm.decision_function(matrix)
        if detectors.autoencoder_model == TORCH_AUTOENCODER:
            from retail_warehouse.ml.demand.autoencoder import autoencoder_errors

            reconstruction_error = autoencoder_errors(detectors.autoencoder, matrix)
        else:
            reconstruction_error = np.mean((detectors.autoencoder.predict(matrix) - matrix) ** 2, axis=1)
    return pd.DataFrame(
        {
            "isolation_forest_score": np.round(forest_score, 6),
            "one_class_svm_score": np.round(svm_score, 6),
            "autoencoder_score": np.round(reconstruction_error, 6),
        }
    )


SCORE_FLAGS = (
    ("isolation_forest_score", "is_isolation_forest_outlier"),
    ("one_class_svm_score", "is_one_class_svm_outlier"),
    ("autoencoder_score", "is_autoencoder_outlier"),
)


def flagged_scores(scores: pd.DataFrame, contamination: float) -> pd.DataFrame:
    """The scores with each detector's flag: the rows whose score is above its (1 -
    contamination) quantile among the rows scored (the SVM's own boundary, drawn on a sample
    around dense clusters of identical orders, would flag far more)."""
    scores = scores.copy()
    for column, flag in SCORE_FLAGS:
        values = scores[column].to_numpy()
        scores[flag] = values > np.quantile(values, 1 - contamination)
    return scores


def detector_scores(matrix: np.ndarray, keys, settings: DetectorSettings) -> pd.DataFrame:
    """Scores (higher = more unusual) and flags of the three detectors fitted on `matrix` and
    applied to every row of it (fit_detectors, raw_scores, flagged_scores)."""
    return flagged_scores(raw_scores(fit_detectors(matrix, keys, settings), matrix), settings.contamination)


@dataclass
class FittedEntityDetectors:
    """The persisted anomaly model of one store's orders or customers: the feature names, the
    scaler of their log scale (fitted on the training rows), the three detectors (None with
    fewer than MIN_ROWS training rows), the settings they were fitted with, and the deciles of
    the raw features in the training rows (the PSI reference of the early-refit trigger)."""

    entity_type: str
    features: tuple[str, ...]
    scaler: object
    detectors: Detectors | None
    settings: DetectorSettings
    reference: dict
    training_rows: int

    def score(self, features: pd.DataFrame) -> pd.DataFrame:
        """Scores and flags of every row of `features` (the flags: the top contamination share
        of these rows)."""
        if tuple(features.columns) != self.features:
            raise ValueError(f"fitted on other features ({', '.join(self.features)})")
        matrix = self.scaler.transform(log_scale(features))
        return flagged_scores(raw_scores(self.detectors, matrix), self.settings.contamination)


def fit_entity_detectors(
    entity_type: str, entities: pd.DataFrame, features: pd.DataFrame, key_column: str, settings: DetectorSettings
) -> FittedEntityDetectors:
    """The anomaly model of one store's orders or customers (sorted by key_column), fitted on
    all of them; no detectors with fewer than MIN_ROWS (too few to tell normal from unusual)."""
    from sklearn.preprocessing import StandardScaler

    names = tuple(features.columns)
    if len(entities) < MIN_ROWS:
        return FittedEntityDetectors(entity_type, names, None, None, settings, {}, len(entities))
    scaler = StandardScaler().fit(log_scale(features))
    detectors = fit_detectors(scaler.transform(log_scale(features)), entities[key_column].to_numpy(), settings)
    return FittedEntityDetectors(
        entity_type, names, scaler, detectors, settings, reference_bins(features, names), len(entities)
    )


def _format_value(value: float) -> str:
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def reasons(features: pd.DataFrame, rows: np.ndarray, top: int = REASON_FEATURES) -> list[str]:
    """For the given row positions, the `top` features furthest from the median of all
    rows (robust score on the detectors' scale), as 'feature value (median m)'."""
    scored = {}
    for name in features.columns:
        raw = features[name].to_numpy(dtype=float)
        scale = raw if name in LINEAR_FEATURES else signed_log(raw)
        scored[name] = np.abs(robust_scores(scale))
    score_matrix = np.column_stack([scored[name] for name in features.columns])
    medians = features.median()
    names = list(features.columns)
    texts = []
    for row_number in rows:
        order = np.argsort(-score_matrix[row_number], kind="stable")[:top]
        parts = [
            f"{names[i]} {_format_value(features.iloc[row_number, i])} (median {_format_value(medians.iloc[i])})"
            for i in order
            if score_matrix[row_number, i] > 0
        ]
        texts.append("; ".join(parts) if parts else "combination of features")
    return texts


def entity_anomalies(
    entities: pd.DataFrame,
    features: pd.DataFrame,
    key_column: str,
    settings: DetectorSettings,
    fitted: FittedEntityDetectors | None = None,
) -> pd.DataFrame:
    """The entities (orders or customers of one store, sorted by key_column) that at least one
    detector flags, with all three scores, the flags, their count and the reason. Scored with
    `fitted` (the registered model), else with detectors fitted on these entities. Fewer
    than MIN_ROWS entities, or a model without detectors: none (too few to tell normal from
    unusual)."""
    if len(entities) < MIN_ROWS:
        return pd.DataFrame()
    if fitted is None:
        fitted = fit_entity_detectors("entity", entities, features, key_column, settings)
    if fitted.detectors is None:
        return pd.DataFrame()
    scores = fitted.score(features.reset_index(drop=True))
    flag_columns = [flag for _, flag in SCORE_FLAGS]
    scores["method_count"] = scores[flag_columns].sum(axis=1).astype("int32")
    # The combined score: the mean of the three detectors' percentile ranks.
    scores["anomaly_score"] = np.round(
        scores[["isolation_forest_score", "one_class_svm_score", "autoencoder_score"]].rank(pct=True).mean(axis=1), 6
    )
    flagged = scores["method_count"].to_numpy() > 0
    result = pd.concat([entities.reset_index(drop=True), scores], axis=1)[flagged]
    result["reason"] = reasons(features.reset_index(drop=True), np.flatnonzero(flagged))
    result["autoencoder_model"] = fitted.detectors.autoencoder_model
    return result.reset_index(drop=True)


def daily_anomalies(components: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The open days whose STL residual scores at least `threshold` robust standard
    deviations from the series' median residual, with the expected value (trend + season)."""
    days = components[components["residual_score"].abs() >= threshold].copy()
    expected = days["trend_value"] + days["seasonal_value"]
    days["expected_value"] = expected
    direction = np.where(days["residual_score"] > 0, "above", "below")
    days["reason"] = [
        f"{metric} {_format_value(round(observed, 2))} {side} the expected {_format_value(round(exp, 2))} "
        f"(residual {score:+.1f} robust sd)"
        for metric, observed, side, exp, score in zip(
            days["series_id"], days["observed_value"], direction, expected, days["residual_score"]
        )
    ]
    return days


ANOMALY_COLUMNS = [
    "store",
    "entity_type",
    "entity_key",
    "series_id",
    "anomaly_date",
    "order_key",
    "customer_key",
    "observed_value",
    "expected_value",
    "residual_score",
    "isolation_forest_score",
    "one_class_svm_score",
    "autoencoder_score",
    "is_isolation_forest_outlier",
    "is_one_class_svm_outlier",
    "is_autoencoder_outlier",
    "method_count",
    "anomaly_score",
    "anomaly_rank",
    "reason",
    "autoencoder_model",
]


ENTITY_KEYS = {"order": "order_key", "customer": "customer_key"}


def store_entities(orders: pd.DataFrame, customers: pd.DataFrame, store: str, entity_type: str):
    """One store's orders or customers, sorted by key, and their raw features."""
    frame = orders if entity_type == "order" else customers
    key = ENTITY_KEYS[entity_type]
    rows = frame[frame["store"] == store].sort_values(key).reset_index(drop=True)
    return rows, (order_features(rows) if entity_type == "order" else customer_features(rows))


def assemble_anomalies(
    components: pd.DataFrame,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    settings: DetectorSettings,
    daily_threshold: float,
    log=None,
    models: dict | None = None,
    measure=None,
) -> pd.DataFrame:
    """ml.anomalies: per store, the unusual days of every series, and the orders and customers
    at least one detector flags. anomaly_rank orders each store + entity_type: days by
    |residual score|, orders and customers by detectors agreeing, then the combined score.
    models: the registered detectors by (store, entity_type) (ml_registry.anomaly_models); a
    store and entity type without one gets no rows. None: fitted here on these rows. measure:
    a context manager factory (store, entity_type) around each scoring (its figures)."""
    frames = []
    days = daily_anomalies(components, daily_threshold)
    if not days.empty:
        days = days.assign(
            entity_type="day",
            entity_key=days["series_id"] + "@" + days["series_date"].astype(str),
            anomaly_date=days["series_date"],
            anomaly_score=days["residual_score"].abs(),
            method_count=np.int32(1),
        )
        frames.append(days)
    for store in sorted(set(orders["store"]) | set(customers["store"])):
        for entity_type in ("order", "customer"):
            rows, features = store_entities(orders, customers, store, entity_type)
            fitted = None
            if models is not None:
                fitted = models.get((store, entity_type))
                if fitted is None:
                    if log is not None:
                        log(f"{store}: no registered {entity_type} detectors, no {entity_type} rows")
                    continue
            with measure(store, entity_type) if measure is not None else nullcontext():
                found = entity_anomalies(rows, features, ENTITY_KEYS[entity_type], settings, fitted)
            if log is not None:
                log(f"{store}: {len(found)} of {len(rows)} {entity_type}s flagged")
            if found.empty:
                continue
            if entity_type == "order":
                frames.append(
                    found.assign(entity_type="order", entity_key=found["order_key"], anomaly_date=found["order_date"])
                )
            else:
                frames.append(found.assign(entity_type="customer", entity_key=found["customer_key"], order_key=None))
    if not frames:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in ANOMALY_COLUMNS})
    result = pd.concat(frames, ignore_index=True).reindex(columns=ANOMALY_COLUMNS)
    result["anomaly_date"] = pd.to_datetime(result["anomaly_date"]).dt.date
    result = result.sort_values(
        ["store", "entity_type", "method_count", "anomaly_score", "entity_key"],
        ascending=[True, True, False, False, True],
    )
    result["anomaly_rank"] = result.groupby(["store", "entity_type"]).cumcount() + 1
    result["method_count"] = result["method_count"].astype("int32")
    result["anomaly_rank"] = result["anomaly_rank"].astype("int64")
    for column in ("is_isolation_forest_outlier", "is_one_class_svm_outlier", "is_autoencoder_outlier"):
        result[column] = result[column].astype("boolean")
    return result.reset_index(drop=True)
