"""BG/NBD (Fader, Hardie & Lee 2005), its challenger MBG/NBD (Batislam, Denizel & Filiztekin
2007) and Gamma-Gamma (Fader & Hardie 2013) fitted by maximum likelihood with scipy: the
probabilistic "buy till you die" customer-value models, with the checks a fit needs before its
output is shown (convergence, parameters at a boundary, standard errors from the Hessian).

Implemented here because no maintained package for it installs light: lifelines has no
BG/NBD, `lifetimes` is unmaintained since 2020, PyMC-Marketing pulls in PyMC. Time is in days.
Per customer: x = repeat purchase days (purchase days - 1), t_x = days from the first to the
last purchase day, T = days from the first purchase day to the cutoff; Gamma-Gamma uses the
mean value of the repeat purchase days.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1
from statsmodels.tools.numdiff import approx_hess3

# A parameter below this (or above its inverse) sits on the boundary of the parameter space:
# the likelihood is flat there and the model degenerates (BG/NBD with a ~ 0 never drops out).
BOUNDARY = 1e-4
# A standard error above this multiple of its estimate means the data do not identify it.
MAX_RELATIVE_STANDARD_ERROR = 10.0


def rfm_summary(orders: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Per customer with a sale order before the cutoff: frequency (x), recency (t_x), age (T)
    in days, and the mean net revenue of the repeat purchase days (0 when x = 0). Orders of
    one day count as one purchase, as BG/NBD assumes."""
    past = orders[orders["order_date"] < cutoff]
    daily = past.groupby(["customer_key", "order_date"], sort=True)["net_revenue_amount"].sum().reset_index()
    first_day = daily.groupby("customer_key")["order_date"].transform("min")
    daily["is_repeat"] = daily["order_date"] > first_day
    summary = daily.groupby("customer_key", sort=True).agg(
        first_day=("order_date", "min"),
        last_day=("order_date", "max"),
        purchase_days=("order_date", "size"),
    )
    repeat_value = daily[daily["is_repeat"]].groupby("customer_key")["net_revenue_amount"].mean()
    return pd.DataFrame(
        {
            "customer_key": summary.index,
            "frequency": (summary["purchase_days"] - 1).to_numpy(dtype=float),
            "recency": (summary["last_day"] - summary["first_day"]).dt.days.to_numpy(dtype=float),
            "age": (cutoff - summary["first_day"]).dt.days.to_numpy(dtype=float),
            "repeat_mean_value": repeat_value.reindex(summary.index).fillna(0.0).to_numpy(dtype=float),
        }
    ).reset_index(drop=True)


def _grouped(*columns):
    """Distinct rows of the columns and their counts: most customers share (x, t_x, T)."""
    frame = pd.DataFrame({f"c{i}": c for i, c in enumerate(columns)})
    grouped = frame.groupby(list(frame.columns), sort=True).size().reset_index(name="weight")
    return [grouped[f"c{i}"].to_numpy(dtype=float) for i in range(len(columns))], grouped["weight"].to_numpy(float)


@dataclass(frozen=True)
class FitDiagnostics:
    """How far a maximum-likelihood fit can be trusted: the optimiser converged, no parameter
    sits on a boundary, the Hessian of the negative log-likelihood (in log parameters) is
    positive definite so the standard errors exist and are finite."""

    converged: bool
    log_likelihood: float
    standard_errors: tuple[float, ...]
    # Covariance of the log parameters (inverse Hessian): the parametric bootstrap draws from it.
    log_covariance: np.ndarray | None = field(compare=False, repr=False)
    problems: tuple[str, ...]

    @property
    def is_degenerate(self) -> bool:
        return bool(self.problems)

    @property
    def reason(self) -> str | None:
        return "; ".join(self.problems) or None


def _maximum_likelihood(negative_log_likelihood, names, weight_total: float):
    """Minimises the mean negative log-likelihood over log parameters (Nelder-Mead from 0),
    then checks the fit. Returns the log parameters at the optimum and the FitDiagnostics."""
    best = minimize(
        negative_log_likelihood,
        np.zeros(len(names)),
        method="Nelder-Mead",
        options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-10},
    )
    problems = [] if best.success else [f"optimiser did not converge ({best.message})"]
    estimates = np.exp(best.x)
    for name, value in zip(names, estimates):
        if value < BOUNDARY or value > 1 / BOUNDARY:
            problems.append(f"{name} = {value:.3g} is at the boundary of the parameter space")
    hessian = approx_hess3(best.x, negative_log_likelihood) * weight_total
    covariance = None
    standard_errors = tuple(np.nan for _ in names)
    if np.all(np.isfinite(hessian)) and np.all(np.linalg.eigvalsh((hessian + hessian.T) / 2) > 0):
        covariance = np.linalg.inv((hessian + hessian.T) / 2)
        # Delta method: se(theta) = theta x se(log theta).
        standard_errors = tuple(float(v) for v in estimates * np.sqrt(np.diag(covariance)))
        for name, value, error in zip(names, estimates, standard_errors):
            if not error < MAX_RELATIVE_STANDARD_ERROR * value:
                problems.append(f"{name} is not identified (standard error {error:.3g} for {value:.3g})")
    else:
        problems.append("the Hessian is not positive definite: no standard errors")
    diagnostics = FitDiagnostics(
        converged=bool(best.success),
        log_likelihood=float(-best.fun * weight_total),
        standard_errors=standard_errors,
        log_covariance=covariance,
        problems=tuple(problems),
    )
    return best.x, diagnostics


def _parameter_draws(model, draws: int, rng: np.random.Generator):
    """`draws` copies of a fitted model with parameters drawn from the normal approximation of
    their log (the estimate and the inverse Hessian): the parametric bootstrap. None when the
    fit has no covariance."""
    diagnostics = model.diagnostics
    if diagnostics is None or diagnostics.log_covariance is None:
        return None
    names = model.PARAMETERS
    centre = np.log([getattr(model, name) for name in names])
    samples = np.exp(rng.multivariate_normal(centre, diagnostics.log_covariance, size=draws, method="cholesky"))
    return [replace(model, **dict(zip(names, row)), diagnostics=None) for row in samples]


@dataclass(frozen=True)
class BetaGeometricNBD:
    r: float
    alpha: float
    a: float
    b: float
    diagnostics: FitDiagnostics | None = field(default=None, compare=False, repr=False)

    PARAMETERS = ("r", "alpha", "a", "b")
    # BG/NBD lets a customer drop out only after a repeat purchase: with none, P(alive) = 1.
    ALIVE_WITHOUT_REPEAT_IS_CERTAIN = True

    @staticmethod
    def log_likelihood(params, frequency, recency, age):
        r, alpha, a, b = params
        x, t_x, big_t = frequency, recency, age
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        beta_part = betaln(a, b + x) - betaln(a, b)
        alive = beta_part - (r + x) * np.log(alpha + big_t)
        with np.errstate(divide="ignore"):
            dropped = np.where(
                x > 0,
                betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x),
                -np.inf,
            )
        return common + np.logaddexp(alive, dropped)

    @classmethod
    def fit(cls, frequency, recency, age) -> BetaGeometricNBD:
        (x, t_x, big_t), weight = _grouped(frequency, recency, age)
        scale = max(float(np.mean(big_t)), 1.0)

        def negative_log_likelihood(log_params):
            params = np.exp(log_params)
            # alpha is fitted in units of the mean age, for a well-scaled optimisation.
            params = np.array([params[0], params[1] * scale, params[2], params[3]])
            value = -np.sum(weight * cls.log_likelihood(params, x, t_x, big_t)) / weight.sum()
            return value if np.isfinite(value) else 1e10

        log_params, diagnostics = _maximum_likelihood(negative_log_likelihood, cls.PARAMETERS, float(weight.sum()))
        r, alpha, a, b = np.exp(log_params)
        diagnostics = replace(
            diagnostics,
            standard_errors=(
                *diagnostics.standard_errors[:1],
                diagnostics.standard_errors[1] * scale,
                *diagnostics.standard_errors[2:],
            ),
        )
        return cls(float(r), float(alpha * scale), float(a), float(b), diagnostics)

    def parameter_draws(self, draws: int, rng: np.random.Generator):
        return _parameter_draws(self, draws, rng)

    def median_days_to_next_purchase(self, frequency, age):
        """The median wait from the cutoff to the next purchase of a customer who is alive: the
        purchase rate given the history is Gamma(r + x, alpha + T), so the wait is Lomax and
        its median (alpha + T)(2^(1 / (r + x)) - 1)."""
        x, big_t = np.asarray(frequency, dtype=float), np.asarray(age, dtype=float)
        return (self.alpha + big_t) * np.expm1(np.log(2.0) / (self.r + x))

    def median_days_to_next_purchase_within(self, frequency, age, days: float):
        """The median wait from the cutoff to the next purchase of a customer who buys within
        the next `days` days. Buying within the window implies being alive, so only the
        Gamma-Poisson part counts (r and alpha, the same under MBG/NBD): the wait is Lomax
        with shape s = r + x and scale beta = alpha + T, P(W > w) = (beta / (beta + w))^s,
        truncated at `days`. Its median solves (beta / (beta + w))^s = (1 + S(days)) / 2:
        w = beta ((1 + S(days)) / 2)^(-1/s) - beta, always below `days`."""
        x, big_t = np.asarray(frequency, dtype=float), np.asarray(age, dtype=float)
        shape, scale = self.r + x, self.alpha + big_t
        log_survival_at_end = shape * (np.log(scale) - np.log(scale + days))
        log_half = np.log1p(np.exp(log_survival_at_end)) - np.log(2.0)
        return scale * np.expm1(-log_half / shape)

    def probability_alive(self, frequency, recency, age):
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
        ratio = np.exp((self.r + x) * (np.log(self.alpha + big_t) - np.log(self.alpha + t_x)))
        odds = np.where(x > 0, self.a / (self.b + np.maximum(x, 1) - 1) * ratio, 0.0)
        return 1.0 / (1.0 + odds)

    def expected_purchases(self, days, frequency, recency, age):
        """Expected repeat purchase days in the next `days` days of each customer."""
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        hypergeometric = hyp2f1(r + x, b + x, a + b + x - 1, days / (alpha + big_t + days))
        numerator = (
            (a + b + x - 1) / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + days)) ** (r + x) * hypergeometric)
        )
        return numerator * self.probability_alive(x, t_x, big_t)


@dataclass(frozen=True)
class ModifiedBetaGeometricNBD(BetaGeometricNBD):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007): as BG/NBD, but a customer may also drop
    out right after the first purchase, so a one-purchase customer long silent is not certainly
    alive. Formulas as in `lifetimes.ModifiedBetaGeometricNBDFitter`."""

    ALIVE_WITHOUT_REPEAT_IS_CERTAIN = False

    @staticmethod
    def log_likelihood(params, frequency, recency, age):
        r, alpha, a, b = params
        x, t_x, big_t = frequency, recency, age
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        alive = betaln(a, b + x + 1) - betaln(a, b) - (r + x) * np.log(alpha + big_t)
        dropped = betaln(a + 1, b + x) - betaln(a, b) - (r + x) * np.log(alpha + t_x)
        return common + np.logaddexp(alive, dropped)

    def probability_alive(self, frequency, recency, age):
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
        ratio = np.exp((self.r + x) * (np.log(self.alpha + big_t) - np.log(self.alpha + t_x)))
        return 1.0 / (1.0 + self.a / (self.b + x) * ratio)

    def expected_purchases(self, days, frequency, recency, age):
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        hypergeometric = hyp2f1(r + x, b + x + 1, a + b + x, days / (alpha + big_t + days))
        numerator = (a + b + x) / (a - 1) * (1 - hypergeometric * ((alpha + big_t) / (alpha + big_t + days)) ** (r + x))
        return numerator * self.probability_alive(x, t_x, big_t)


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    diagnostics: FitDiagnostics | None = field(default=None, compare=False, repr=False)
    # Pearson correlation of the repeat count and the mean repeat value of the customers fitted
    # on: Gamma-Gamma assumes the two independent (near 0).
    frequency_value_correlation: float | None = field(default=None, compare=False)

    PARAMETERS = ("p", "q", "gamma")

    @staticmethod
    def log_likelihood(params, frequency, mean_value):
        p, q, gamma = params
        x, m = frequency, mean_value
        return (
            gammaln(p * x + q)
            - gammaln(p * x)
            - gammaln(q)
            + q * np.log(gamma)
            + (p * x - 1) * np.log(m)
            + p * x * np.log(x)
            - (p * x + q) * np.log(x * m + gamma)
        )

    @classmethod
    def fit(cls, frequency, mean_value) -> GammaGamma:
        """Fitted on customers with repeat purchases of positive mean value only."""
        frequency, mean_value = np.asarray(frequency, dtype=float), np.asarray(mean_value, dtype=float)
        keep = (frequency > 0) & (mean_value > 0)
        (x, m), weight = _grouped(frequency[keep], mean_value[keep])
        scale = max(float(np.average(m, weights=weight)), 1e-9)

        def negative_log_likelihood(log_params):
            p, q, gamma = np.exp(log_params)
            # Amounts are fitted in units of the mean value; gamma scales with them.
            value = -np.sum(weight * cls.log_likelihood((p, q, gamma), x, m / scale)) / weight.sum()
            return value if np.isfinite(value) else 1e10

        log_params, diagnostics = _maximum_likelihood(negative_log_likelihood, cls.PARAMETERS, float(weight.sum()))
        p, q, gamma = np.exp(log_params)
        errors = diagnostics.standard_errors
        diagnostics = replace(diagnostics, standard_errors=(errors[0], errors[1], errors[2] * scale))
        correlation = (
            float(np.corrcoef(frequency[keep], mean_value[keep])[0, 1])
            if keep.sum() > 2 and np.ptp(frequency[keep]) > 0 and np.ptp(mean_value[keep]) > 0
            else None
        )
        return cls(float(p), float(q), float(gamma * scale), diagnostics, correlation)

    def parameter_draws(self, draws: int, rng: np.random.Generator):
        return _parameter_draws(self, draws, rng)

    def expected_mean_value(self, frequency, mean_value):
        """The expected value of a future purchase: a weighted mean of the population mean and
        the customer's own repeat mean (the population mean with no repeat purchase)."""
        x, m = np.asarray(frequency, dtype=float), np.asarray(mean_value, dtype=float)
        own = np.where(x > 0, m, 0.0)
        if self.q <= 1:
            # The population mean is infinite for q <= 1: fall back to the customer's own mean.
            return own
        return self.p * (self.gamma + x * own) / (self.p * x + self.q - 1)


def expected_value(summary: pd.DataFrame, days: float, transactions: BetaGeometricNBD, spend: GammaGamma):
    """Expected net revenue of each customer in the next `days` days (no discounting):
    expected purchases x expected value per purchase."""
    purchases = transactions.expected_purchases(days, summary["frequency"], summary["recency"], summary["age"])
    value = spend.expected_mean_value(summary["frequency"], summary["repeat_mean_value"].clip(lower=0))
    return purchases * value


INTERVAL_LEVELS = (0.80, 0.95)


@dataclass(frozen=True)
class ValueIntervals:
    """Per customer (in summary order) and for the store total: the quantiles of the simulated
    future value over the draws, keyed by level: {0.8: (lower, upper), 0.95: ...}."""

    customers: dict[float, tuple[np.ndarray, np.ndarray]]
    store_total: dict[float, tuple[float, float]]
    draws: int


def simulate_future_value(
    summary: pd.DataFrame, days: float, transactions: BetaGeometricNBD, spend: GammaGamma, rng: np.random.Generator
) -> np.ndarray:
    """One draw of each customer's net revenue in the next `days` days from the model given
    their history: alive with P(alive); if alive, a purchase rate from Gamma(r + x, alpha + T)
    and a dropout probability from Beta(a, b + x) (MBG/NBD: b + x + 1), purchases as a Poisson
    process stopped by the first dropout; each purchase's value Gamma(p, nu) with nu from the
    Gamma-Gamma posterior Gamma(q + p x, gamma + x m)."""
    x = summary["frequency"].to_numpy(dtype=float)
    t_x, big_t = summary["recency"].to_numpy(dtype=float), summary["age"].to_numpy(dtype=float)
    mean_value = summary["repeat_mean_value"].clip(lower=0).to_numpy(dtype=float)
    alive = rng.random(len(x)) < np.nan_to_num(transactions.probability_alive(x, t_x, big_t))
    rate = rng.gamma(transactions.r + x, 1 / (transactions.alpha + big_t))
    extra_survival = 0.0 if transactions.ALIVE_WITHOUT_REPEAT_IS_CERTAIN else 1.0
    dropout = np.clip(rng.beta(transactions.a, transactions.b + x + extra_survival), 1e-12, 1.0)
    purchases = np.minimum(rng.poisson(rate * days), rng.geometric(dropout)) * alive
    value_rate = rng.gamma(spend.q + spend.p * x, 1 / (spend.gamma + x * mean_value))
    values = rng.gamma(np.maximum(spend.p * purchases, 1e-12), 1 / value_rate)
    return np.where(purchases > 0, values, 0.0)


def value_intervals(
    summary: pd.DataFrame,
    days: float,
    transactions: BetaGeometricNBD,
    spend: GammaGamma,
    draws: int,
    seed: int,
    chunk_rows: int = 20_000,
) -> ValueIntervals | None:
    """80% and 95% intervals of each customer's and the store's net revenue in the next `days`
    days: in each of `draws` draws the transaction and Gamma-Gamma parameters are drawn
    (seeded) from the normal approximation of their log around the estimate (inverse Hessian
    as covariance: the parametric bootstrap), then each customer's future is simulated from the
    model given their history (simulate_future_value). The intervals hold parameter and
    purchase uncertainty, so they can be checked against realised values. Customers are
    processed `chunk_rows` at a time (each chunk with its own seeded stream, so the result does
    not depend on the order of chunks): memory stays at chunk_rows x draws. None when a fit has
    no covariance."""
    parameter_rng = np.random.default_rng(seed)
    transaction_draws = transactions.parameter_draws(draws, parameter_rng)
    spend_draws = spend.parameter_draws(draws, parameter_rng)
    if transaction_draws is None or spend_draws is None:
        return None
    quantiles = sorted({q for level in INTERVAL_LEVELS for q in ((1 - level) / 2, (1 + level) / 2)})
    per_customer = {q: np.empty(len(summary)) for q in quantiles}
    totals = np.zeros(draws)
    for start in range(0, len(summary), chunk_rows):
        chunk = summary.iloc[start : start + chunk_rows]
        rng = np.random.default_rng([seed, start])
        values = np.column_stack(
            [
                simulate_future_value(chunk, days, model, value_model, rng)
                for model, value_model in zip(transaction_draws, spend_draws)
            ]
        )
        totals += values.sum(axis=0)
        for q, column in zip(quantiles, np.quantile(values, quantiles, axis=1)):
            per_customer[q][start : start + len(chunk)] = column
    total_quantiles = dict(zip(quantiles, np.quantile(totals, quantiles)))
    return ValueIntervals(
        customers={level: (per_customer[(1 - level) / 2], per_customer[(1 + level) / 2]) for level in INTERVAL_LEVELS},
        store_total={
            level: (float(total_quantiles[(1 - level) / 2]), float(total_quantiles[(1 + level) / 2]))
            for level in INTERVAL_LEVELS
        },
        draws=draws,
    )


def simulate(customers: int, age_days: float, transactions: BetaGeometricNBD, spend: GammaGamma, seed: int):
    """Customers drawn from the BG/NBD (or MBG/NBD) + Gamma-Gamma generative model, all first
    seen at day 0 and observed for age_days: the rfm_summary columns (for tests of the fit)."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(transactions.r, 1 / transactions.alpha, customers)
    dropout = rng.beta(transactions.a, transactions.b, customers)
    value_rates = rng.gamma(spend.q, 1 / spend.gamma, customers)
    rows = []
    for rate, drop, value_rate in zip(rates, dropout, value_rates):
        time, last, count = 0.0, 0.0, 0
        # MBG/NBD: the customer may drop out at the first purchase already.
        alive = transactions.ALIVE_WITHOUT_REPEAT_IS_CERTAIN or rng.random() >= drop
        while alive:
            time += rng.exponential(1 / rate)
            if time > age_days:
                break
            count, last = count + 1, time
            if rng.random() < drop:
                break
        values = rng.gamma(spend.p, 1 / value_rate, count)
        rows.append((float(count), last, float(age_days), float(values.mean()) if count else 0.0))
    return pd.DataFrame(rows, columns=["frequency", "recency", "age", "repeat_mean_value"])
