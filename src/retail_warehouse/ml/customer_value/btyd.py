"""BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader & Hardie 2013) fitted by maximum
likelihood with scipy: the probabilistic "buy till you die" customer-value model.

Implemented here because no maintained package for it installs light: lifelines has no
BG/NBD, `lifetimes` is unmaintained since 2020, PyMC-Marketing pulls in PyMC. Time is in days.
Per customer: x = repeat purchase days (purchase days - 1), t_x = days from the first to the
last purchase day, T = days from the first purchase day to the cutoff; Gamma-Gamma uses the
mean value of the repeat purchase days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1


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
class BetaGeometricNBD:
    r: float
    alpha: float
    a: float
    b: float

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

        best = minimize(
            negative_log_likelihood,
            np.zeros(4),
            method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-10},
        )
        r, alpha, a, b = np.exp(best.x)
        return cls(float(r), float(alpha * scale), float(a), float(b))

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
class GammaGamma:
    p: float
    q: float
    gamma: float

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

        best = minimize(
            negative_log_likelihood,
            np.zeros(3),
            method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-10},
        )
        p, q, gamma = np.exp(best.x)
        return cls(float(p), float(q), float(gamma * scale))

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


def simulate(customers: int, age_days: float, transactions: BetaGeometricNBD, spend: GammaGamma, seed: int):
    """Customers drawn from the BG/NBD + Gamma-Gamma generative model, all first seen at day 0
    and observed for age_days: the rfm_summary columns (for tests of the fit)."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(transactions.r, 1 / transactions.alpha, customers)
    dropout = rng.beta(transactions.a, transactions.b, customers)
    value_rates = rng.gamma(spend.q, 1 / spend.gamma, customers)
    rows = []
    for rate, drop, value_rate in zip(rates, dropout, value_rates):
        time, last, count = 0.0, 0.0, 0
        while True:
            time += rng.exponential(1 / rate)
            if time > age_days:
                break
            count, last = count + 1, time
            if rng.random() < drop:
                break
        values = rng.gamma(spend.p, 1 / value_rate, count)
        rows.append((float(count), last, float(age_days), float(values.mean()) if count else 0.0))
    return pd.DataFrame(rows, columns=["frequency", "recency", "age", "repeat_mean_value"])
