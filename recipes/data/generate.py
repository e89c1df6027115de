"""Generate the example datasets of recipes/ (synthetic, deterministic, free to ship).

    python recipes/data/generate.py        # rewrites churn.csv, plants.csv, housing.csv

Each table mixes numeric and categorical columns and has some missing values, like real data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def churn(rng: np.random.Generator, rows: int = 1500) -> pd.DataFrame:
    """Binary: does a telecom customer leave? (target ``churned``: yes / no)."""
    tenure = rng.integers(1, 73, rows)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], rows, p=[0.55, 0.25, 0.2])
    payment = rng.choice(["card", "bank-transfer", "electronic-check", "mailed-check"], rows)
    internet = rng.choice(["fiber", "dsl", "none"], rows, p=[0.45, 0.35, 0.2])
    monthly = np.round(
        20 + 60 * (internet == "fiber") + 25 * (internet == "dsl") + rng.normal(0, 12, rows), 2
    )
    calls = rng.poisson(1.5, rows)
    age = rng.normal(45, 14, rows).round().clip(18, 90)
    logit = (
        -1.0
        - 0.045 * tenure
        + 1.4 * (contract == "month-to-month")
        - 0.8 * (contract == "two-year")
        + 0.7 * (payment == "electronic-check")
        + 0.018 * (monthly - 60)
        + 0.35 * calls
        - 0.01 * (age - 45)
    )
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "customer_age": age,
            "tenure_months": tenure,
            "contract": contract,
            "payment_method": payment,
            "internet": internet,
            "monthly_charges": monthly,
            "support_calls": calls,
            "churned": np.where(churned, "yes", "no"),
        }
    )
    frame.loc[rng.random(rows) < 0.05, "customer_age"] = np.nan
    frame.loc[rng.random(rows) < 0.03, "payment_method"] = np.nan
    return frame


def plants(rng: np.random.Generator, rows: int = 600) -> pd.DataFrame:
    """Multiclass: which of three species is a plant? (target ``species``)."""
    species = rng.choice(["alba", "borealis", "cyanea"], rows, p=[0.4, 0.35, 0.25])
    centre = {"alba": (5.0, 3.4, 1.5), "borealis": (5.9, 2.8, 4.3), "cyanea": (6.6, 3.0, 5.5)}
    means = np.array([centre[s] for s in species])
    measures = means + rng.normal(0, [0.45, 0.35, 0.55], (rows, 3))
    soil = np.where(
        species == "cyanea",
        rng.choice(["clay", "loam", "sand"], rows, p=[0.6, 0.3, 0.1]),
        rng.choice(["clay", "loam", "sand"], rows),
    )
    frame = pd.DataFrame(
        {
            "stem_length": measures[:, 0].round(2),
            "leaf_width": measures[:, 1].round(2),
            "petal_length": measures[:, 2].round(2),
            "soil": soil,
            "altitude_m": rng.integers(0, 2500, rows),
            "species": species,
        }
    )
    frame.loc[rng.random(rows) < 0.04, "leaf_width"] = np.nan
    return frame


def housing(rng: np.random.Generator, rows: int = 1000) -> pd.DataFrame:
    """Regression: the sale price of a house, in thousands (target ``price_k``)."""
    area = rng.gamma(6, 20, rows).round()
    rooms = np.clip((area / 30 + rng.normal(0, 1, rows)).round(), 1, 10)
    age = rng.integers(0, 100, rows)
    district = rng.choice(["centre", "north", "south", "harbour"], rows, p=[0.2, 0.3, 0.35, 0.15])
    premium = (
        pd.Series(district)
        .map({"centre": 1.45, "north": 1.0, "south": 0.85, "harbour": 1.2})
        .to_numpy()
    )
    garden = rng.random(rows) < 0.4
    price = (1.9 * area + 12 * rooms - 0.6 * age + 25 * garden) * premium + rng.normal(0, 18, rows)
    frame = pd.DataFrame(
        {
            "area_m2": area,
            "rooms": rooms.astype(int),
            "building_age": age,
            "district": district,
            "garden": np.where(garden, "yes", "no"),
            "price_k": price.round(1),
        }
    )
    frame.loc[rng.random(rows) < 0.04, "building_age"] = np.nan
    return frame


def main() -> None:
    rng = np.random.default_rng(20261126)
    for name, make in (("churn", churn), ("plants", plants), ("housing", housing)):
        make(rng).to_csv(HERE / f"{name}.csv", index=False)


if __name__ == "__main__":
    main()
