"""The JSON Schema of the scenario format, for editors and other tools.

An editor that knows this schema (the VS Code YAML extension, for one) completes keys
as a planner types, shows what each key means, and underlines ``lead_time: 5`` before
the file is ever run. :func:`scenario_schema` builds it from the pydantic models of
:mod:`sim.scenario.models`, so that it cannot fall behind the code, then fixes up the places
where a model's schema describes the *parsed* value rather than what a planner writes:

* a varying duration may be a duration string (``"5d"``, a constant) or a mapping with
  ``dist``; a varying count may be a whole number or a mapping with ``dist``;
* ``demand`` is one mapping or a list of them (sales channels);
* ``holding_cost`` is a money rate (``"0.02/day"``) or a percentage rate of the unit
  cost (``"25%/year"``);
* defaults are shown as a planner would write them (``warmup: 0d``, not ``0.0``);
* ``variants``, ``sweep.grid`` and ``sweep.sample.ranges`` are keyed by dotted paths;
* every key has a description (:data:`KEY_DOCS`, unless the model gives one);
* a file with ``extends`` is a patch over its parent: it may leave out anything the
  parent gives, so it is checked against a relaxed copy of the schema, in which no key
  is required (lists, which replace the parent's list whole, stay complete).

The schema is draft 2020-12, self-contained (``$defs``, no ``$id``) and closed: unknown
keys are errors everywhere a key is a field name (``additionalProperties: false``).
"""

from __future__ import annotations

import copy
import typing
from typing import Any

from pydantic import BaseModel, TypeAdapter

from sim.scenario import distributions, fields, units
from sim.scenario.models import Constraint, HoldingCost, Policy, Scenario

__all__ = ["DIALECT", "INTERNAL_MODELS", "KEY_DOCS", "scenario_models", "scenario_schema"]

#: The JSON Schema dialect of :func:`scenario_schema`.
DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: Models reachable from :class:`Scenario` that a planner never writes as a mapping
#: (their value is parsed from a string), so they have no keys of their own.
INTERNAL_MODELS: tuple[type[BaseModel], ...] = (HoldingCost, Constraint)

_DOTTED = r"^\s*[^.\s]+(\s*\.\s*[^.\s]+)*\s*$"

# Keys of the distributions given by a mean and a spread (distributions._MeanAndSpread).
_MEAN_AND_SPREAD = {
    "mean": "Mean duration.",
    "sd": "Standard deviation (give sd or cv).",
    "cv": "Coefficient of variation, sd / mean (give sd or cv).",
}

#: What each key means, by model name and key, where the model has no ``description``.
KEY_DOCS: dict[str, dict[str, str]] = {
    "Scenario": {
        "name": "Name of the scenario, used in outputs and plots (required).",
        "description": "Free text about the scenario.",
        "extends": "Path of a parent scenario file, relative to this file; the parent is "
        "deep-merged under this file and this file wins.",
        "currency": "Label of the currency of every amount of money (default USD).",
        "run": "How long to simulate, how often, and with which seed.",
        "demand": "Order intake: a mapping, or a list of mappings (sales channels, each "
        "with a name) that are superposed.",
        "products": "Stock-keeping units by name: prices, costs, stock and replenishment. "
        "No products: a pure service business.",
        "suppliers": "Suppliers by name: lead times and order costs.",
        "staff": "Staff pools by name: headcount or shifts, and wage.",
        "process": "Steps every order goes through, in order. No steps: orders complete "
        "on allocation.",
        "service": "What the business promises its customers.",
        "costs": "Penalties beyond the money in products and staff.",
        "variants": "What-ifs run beside the base with the same random numbers: variant "
        "name -> {dotted.path: new value}.",
        "sweep": "A batch of scenario points: a full grid, or a Latin hypercube sample.",
        "optimize": "The best plan under constraints, with a stated confidence: decisions, "
        "an objective, constraints, confidence, tolerance and budget (run_sim.py optimize).",
    },
    "Optimize": {
        "decisions": "What may be chosen: dotted path -> a range {min, max, step} or a list "
        "of values; the candidates are the full cross product.",
        "objective": "{maximize: METRIC} or {minimize: METRIC}; METRIC or METRIC[subject].",
        "constraints": 'Each "METRIC[subject] >= value" or "<= value", optionally '
        '"± tolerance" in the metric\'s unit; on means over the measured window.',
        "confidence": "Probability that the plan called best is feasible and within "
        "tolerance of the best feasible plan (default 0.95).",
        "tolerance": "Differences in the objective smaller than this do not matter: a "
        "percentage of the objective, or a number in its unit (default 1%).",
        "budget": "At most this many replications in all (default 2000).",
    },
    "DecisionRange": {
        "min": "First value: a whole number, or a whole number with a unit (3d).",
        "max": "Last value, of the same kind as min.",
        "step": "Distance between values, of the same kind (default 1).",
    },
    "Run": {
        "horizon": "Simulated length of every replication (required).",
        "warmup": "Time at the start excluded from every statistic; shorter than the "
        "horizon (default 0d). auto: found by MSER-5 on the level series of 5 pilot "
        "replications, at most half the horizon; the value chosen is reported in run.json.",
        "replications": "Independent runs of the scenario (default 10). auto: add "
        "replications until every headline measure's interval half-width is within "
        "precision of its mean (at most max_replications).",
        "seed": "Seed of every random stream; the same seed gives the same numbers on any "
        "executor (default 0).",
        "confidence": 'Level of every confidence interval, 0.95 or "95%" (default 0.95).',
        "start": "Optional: the calendar date at time 0, like 2026-01-05 (the weekday follows "
        "the date). Needed by by_month and calendar; with replay it defaults to the date of "
        "the first order. Without it the clock starts on a Monday.",
        "max_waiting": "A replication whose orders waiting (in queues and for backordered "
        "stock) pass this many stops early, and its scenario is reported unstable "
        "(default 100000).",
        "precision": 'With replications: auto, the target half-width of every headline '
        'measure\'s interval relative to its mean, 0.02 or "2%" (default 5%).',
        "max_replications": "With replications: auto, the most replications to run "
        "(default 200).",
    },
    "DemandStream": {
        "name": "Name of the sales channel (when demand is a list).",
        "arrivals": "When orders arrive: a Poisson process with a rate (give arrivals, "
        "replay, resample or pipeline).",
        "pipeline": "Orders from a sales pipeline: leads (a Poisson stream) worked through "
        "stages by sales staff; a lead that wins every stage becomes an order of this "
        "channel (needs the channel's name).",
        "replay": "A file of past orders (CSV: time, order, sku, quantity, optional channel), "
        "relative to the scenario file: these orders, exactly, at their times.",
        "resample": "Orders from a file of past orders: each simulated day is a past day of "
        "the same weekday, drawn at random.",
        "calendar": "Dated exceptions (need run.start): closed dates, promotions "
        "(demand: factor) and staffing changes (staff: {pool: factor}).",
        "lines": "Order lines per order: a whole number or a count distribution (default 1).",
        "sku_mix": "Relative weights of the products on each line; default: equal over "
        "all products.",
        "quantity": "Units per line: a whole number or a count distribution (default 1).",
        "when_out_of_stock": "backorder (wait for stock) or lost (the short units are "
        "lost sales; the rest ships). Default backorder.",
        "patience": "Optional: an order still waiting for staff after this long abandons.",
    },
    "Arrivals": {
        "rate": "Mean arrival rate of orders, averaged over a week (required).",
        "by_hour": "24 relative weights, midnight first, shaping the rate over the day "
        "without changing its mean.",
        "by_weekday": "7 relative weights, Monday first, shaping the rate over the week "
        "without changing its mean.",
        "by_month": "12 relative weights, January first, shaping the rate over the year "
        "without changing its mean (needs run.start).",
        "growth": 'Optional trend: the rate grows by this much per period, compounded, from '
        'time 0, like "8%/year" (negative for a decline).',
    },
    "Pipeline": {
        "leads": "Mean arrival rate of leads, averaged over a week (required).",
        "by_hour": "24 relative weights, midnight first, shaping the lead rate over the day.",
        "by_weekday": "7 relative weights, Monday first, shaping the lead rate over the week.",
        "by_month": "12 relative weights, January first, shaping the lead rate over the "
        "year (needs run.start).",
        "growth": 'Optional trend of the lead rate, like "8%/year", compounded from time 0.',
        "stages": "The stages every lead goes through, in order (at least one).",
    },
    "Stage": {
        "stage": "Name of the stage; reported like a process step, so it differs from "
        "every step and every other stage (required).",
        "staff": "Optional: the staff pool one of whose workers works the lead (first "
        "come, first served, with its shifts).",
        "time": "With staff: how long the worker works the lead (a duration or a "
        "distribution).",
        "then": "Optional: how long the customer takes to decide after the work (default "
        "none).",
        "win": 'Probability that the lead goes on to the next stage (or, at the last '
        'stage, becomes an order), 0.4 or "40%" (default 1).',
    },
    "Resample": {
        "file": "The orders file (CSV), relative to the scenario file.",
        "by": "day: each simulated day is a past day of the same weekday (the only choice).",
    },
    "CalendarEntry": {
        "date": "The date the exception applies to (or give from and to).",
        "from": "First date of a range (included).",
        "to": "Last date of a range (included).",
        "closed": "true: no orders, no shifts and no deliveries on these dates.",
        "demand": "Factor on the arrival rate on these dates (a promotion: 2.5; 0: no orders).",
        "staff": "Factor on the headcount of each named pool on these dates (rounded down).",
    },
    "Product": {
        "price": "Selling price per unit (money, required).",
        "unit_cost": "Purchase cost per unit (money, required).",
        "holding_cost": 'Cost per unit on hand per time ("0.02/day"), or a percentage of '
        'unit_cost per time ("25%/year"). Default 0/day.',
        "initial_stock": "Units on hand, fresh, at time 0 (default 0).",
        "shelf_life": "Optional: units expire this long after they arrive; issued oldest "
        "first, expired units are waste.",
        "supplier": "Name of the supplier that replenishes this product (required with a "
        "replenishment policy).",
        "policy": "Replenishment policy, a mapping with type: s_S, r_Q, base_stock, "
        "periodic, forecast or none (default none).",
    },
    "SSPolicy": {
        "type": "s_S: continuous review, order up to S.",
        "s": "Reorder point: order when the inventory position is at or below s (s < S).",
        "S": "Order-up-to level.",
    },
    "RQPolicy": {
        "type": "r_Q: continuous review, fixed order quantity.",
        "r": "Reorder point: order when the inventory position is at or below r (>= -1).",
        "Q": "Order quantity (>= 1), ordered repeatedly until the position is above r.",
    },
    "BaseStockPolicy": {
        "type": "base_stock: one-for-one replenishment.",
        "S": "Base-stock level the inventory position is kept at (>= 0).",
    },
    "PeriodicPolicy": {
        "type": "periodic: review every period, order up to S.",
        "review": "Time between reviews; the first review is at time 0.",
        "S": "Order-up-to level (>= 1).",
        "s": "Optional: order only if the position is at or below s at the review (s < S).",
        "at": 'Optional: time of day of each review, "HH:MM" (default "00:00").',
        "days": "Optional: weekdays on which reviews happen (default every day).",
    },
    "ForecastPolicy": {
        "type": "forecast: review every period, order up to the forecast need plus safety "
        "stock.",
        "review": "Time between reviews (one forecast period); the first review is at time "
        "0 (or at the first at).",
        "at": 'Optional: time of day of each review, "HH:MM" (default: every review from '
        'time 0).',
        "forecast": "How demand per period is forecast: a mapping with method: "
        "exponential_smoothing, moving_average, holt or holt_winters.",
        "safety_factor": "Safety stock = safety_factor x RMSE of the past one-period "
        "forecast errors x sqrt((review + mean lead time) / review) (default 1.65).",
        "initial_forecast": 'The demand rate forecast before any demand is seen, like '
        '"300/week" (required).',
    },
    "SmoothingForecast": {
        "method": "exponential_smoothing: a level that moves alpha of the way to each "
        "period's demand.",
        "alpha": "Smoothing of the level, 0 to 1 (higher: follows demand faster).",
    },
    "MovingAverageForecast": {
        "method": "moving_average: the mean demand of the last periods.",
        "window": "How far back to average: a whole number of review periods, like 4w.",
    },
    "HoltForecast": {
        "method": "holt: level and trend.",
        "alpha": "Smoothing of the level, 0 to 1.",
        "beta": "Smoothing of the trend, 0 to 1.",
    },
    "HoltWintersForecast": {
        "method": "holt_winters: level, trend and an additive season.",
        "alpha": "Smoothing of the level, 0 to 1.",
        "beta": "Smoothing of the trend, 0 to 1.",
        "gamma": "Smoothing of the seasonal terms, 0 to 1.",
        "season": "Length of the season: a whole number of review periods, at least two "
        "(52w with weekly reviews, 1w with daily ones).",
    },
    "NoPolicy": {"type": "none: no replenishment."},
    "Supplier": {
        "lead_time": "Time from purchase order to delivery; each order draws its own, so "
        "orders may cross (required).",
        "order_cost": "Fixed cost per purchase order (money, default 0).",
        "min_order": "Optional minimum units per purchase order (>= 1).",
        "deliveries": "Optional delivery slots: a purchase order arrives at the first slot "
        "on or after its lead time has passed.",
        "reliability": 'Share of purchase orders delivered in full, 0.97 or "97%" (default 1).',
        "short_fraction": "Share of the units a purchase order that is not delivered in full "
        "brings, rounded down (default 0: nothing).",
    },
    "Deliveries": {
        "days": "Weekdays with a delivery (default every day).",
        "at": 'Time of day of the delivery, "HH:MM" (default "00:00").',
    },
    "StaffPool": {
        "headcount": "Workers on duty around the clock (give headcount or shifts).",
        "wage": 'Pay per on-duty hour of one worker, like "22/h" (default 0/h).',
        "shifts": "Weekly shifts, instead of headcount.",
    },
    "Shift": {
        "days": "Days on which the shift starts (default: every day).",
        "start": 'Start of the shift, "HH:MM".',
        "end": 'End of the shift, "HH:MM"; at or before start: the shift crosses midnight.',
        "headcount": "Workers on duty during the shift.",
    },
    "Step": {
        "step": "Name of the step; the name allocate marks where stock is reserved.",
        "staff": "Staff pool whose worker does the step; without staff the step is a pure delay.",
        "time": "How long the step takes: a duration or a duration distribution.",
        "per_unit": "Extra time per unit in the order (default 0s).",
        "queue_limit": "Optional: at most this many orders wait; an order arriving at a "
        "full queue balks and is lost (needs staff).",
    },
    "Service": {
        "promise": "Optional: an order completed within this time of its arrival is on time.",
    },
    "Costs": {
        "backorder": 'Cost per backordered unit per time, like "0.5/day" (default 0/day).',
        "lost_sale": "Penalty per unit lost, beyond the lost margin (money, default 0).",
        "waste": "Cost per expired unit, beyond its unit_cost (money, default 0).",
        "overtime_multiplier": "Wage multiplier for time worked after a shift ends "
        "(>= 1, default 1.5).",
    },
    "Sweep": {
        "grid": "Dotted keys and the values each takes; the points are the full cross product.",
        "sample": "A Latin hypercube sample of n points over value ranges.",
        "replications": "Optional: replications per point, overriding run.replications.",
    },
    "Sample": {
        "n": "Number of points (>= 1).",
        "ranges": "Dotted keys and the range {min, max} each is sampled from.",
        "seed": "Seed of the sample (default 0).",
    },
    "SampleRange": {
        "min": 'Low end: a number, or a quantity with its unit like "300/day".',
        "max": "High end: the same kind as min (same unit).",
    },
    "ConstantDuration": {"dist": "constant", "value": "The duration."},
    "Exponential": {"dist": "exponential", "mean": "Mean duration."},
    "Uniform": {"dist": "uniform", "min": "Shortest duration.", "max": "Longest duration."},
    "Triangular": {
        "dist": "triangular",
        "min": "Shortest duration.",
        "mode": "Most likely duration.",
        "max": "Longest duration.",
    },
    "Normal": {"dist": "normal", "mean": "Mean before truncation.", "sd": "Standard deviation."},
    "LogNormal": {"dist": "lognormal", **_MEAN_AND_SPREAD},
    "Gamma": {"dist": "gamma", **_MEAN_AND_SPREAD},
    "Erlang": {"dist": "erlang", "mean": "Mean duration.", "k": "Number of phases (>= 1)."},
    "Weibull": {"dist": "weibull", "shape": "Shape (> 0).", "scale": "Scale duration (> 0)."},
    "EmpiricalDuration": {
        "dist": "empirical",
        "values": "Observed durations.",
        "weights": "Optional relative weights, one per value.",
    },
    "ConstantCount": {"dist": "constant", "value": "The count."},
    "PoissonCount": {
        "dist": "poisson",
        "mean": "Mean count (at least min).",
        "min": "Shift: the count is min + Poisson(mean - min) (default 0).",
    },
    "GeometricCount": {"dist": "geometric", "mean": "Mean count (>= 1); values are 1, 2, 3, ..."},
    "UniformCount": {"dist": "uniform", "min": "Smallest count.", "max": "Largest count."},
    "EmpiricalCount": {
        "dist": "empirical",
        "values": "Observed counts.",
        "weights": "Optional relative weights, one per value.",
    },
}

#: Defaults as a planner writes them, where the model's default is a parsed value.
_DEFAULTS: dict[tuple[str, str], Any] = {
    ("Run", "warmup"): "0d",
    ("Step", "per_unit"): "0s",
    ("StaffPool", "wage"): "0/h",
    ("Costs", "backorder"): "0/day",
    ("Product", "holding_cost"): "0/day",
    ("DemandStream", "lines"): 1,
    ("DemandStream", "quantity"): 1,
    ("Shift", "days"): list(units.WEEKDAYS),
    ("Deliveries", "days"): list(units.WEEKDAYS),
    ("Deliveries", "at"): "00:00",
    ("DemandStream", "calendar"): [],
    ("Scenario", "service"): {},
    ("Scenario", "costs"): {},
    ("Scenario", "products"): {},
    ("Scenario", "suppliers"): {},
    ("Scenario", "staff"): {},
    ("Scenario", "process"): [],
    ("Scenario", "variants"): {},
}


# --------------------------------------------------------------------------- models
def _union_members(annotation: Any) -> list[type[BaseModel]]:
    """The models of a (possibly Annotated) union, in order."""
    found: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        item = stack.pop(0)
        if isinstance(item, type) and issubclass(item, BaseModel):
            found.append(item)
        elif typing.get_origin(item) is typing.Annotated:
            stack.insert(0, typing.get_args(item)[0])
        else:
            stack[0:0] = list(typing.get_args(item))
    return found


def scenario_models() -> list[type[BaseModel]]:
    """Every pydantic model reachable from :class:`Scenario`, Scenario first."""
    seen: list[type[BaseModel]] = []
    queue: list[Any] = [Scenario]
    while queue:
        item = queue.pop(0)
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item in seen:
                continue
            seen.append(item)
            queue.extend(field.annotation for field in item.model_fields.values())
        else:
            queue.extend(arg for arg in typing.get_args(item) if not isinstance(arg, str))
    return seen


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _type_schema(annotation: Any) -> dict[str, Any]:
    return TypeAdapter(annotation).json_schema(mode="validation")


# --------------------------------------------------------------------------- the schema
def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, as a planner writes it.

    The result is a fresh dict each call; ``json.dumps(scenario_schema(), indent=2)``
    is what ``sim schema`` prints, for an editor's ``yaml.schemas`` setting.
    """
    generated = Scenario.model_json_schema(mode="validation", by_alias=True)
    defs: dict[str, Any] = generated.pop("$defs")
    defs["Scenario"] = generated

    _add_unions(defs)
    _fix_fields(defs)
    _describe(defs)
    for (model, key), default in _DEFAULTS.items():
        defs[model]["properties"][key]["default"] = copy.deepcopy(default)

    partial = {f"{name}Patch": _patch(schema) for name, schema in defs.items()}
    defs.update(partial)
    defs["ScenarioPatch"]["description"] = (
        "A scenario that extends another: any key may be left out (the parent gives it)."
    )

    root: dict[str, Any] = {
        "$schema": DIALECT,
        "title": "Scenario",
        "description": "A scenario of the operations simulator: demand, products, suppliers, "
        "staff, process, service and costs in one YAML file (see docs/scenario-format.md).",
        "type": "object",
        "if": {"required": ["extends"]},
        "then": _ref("ScenarioPatch"),
        "else": _ref("Scenario"),
        "$defs": defs,
    }
    _prune(root)
    return root


def _add_unions(defs: dict[str, Any]) -> None:
    """Name the three unions (DurationDist, CountDist, Policy) and add the shorthands."""
    unions = {
        "DurationDist": _union_members(distributions.DurationDist),
        "CountDist": _union_members(distributions.CountDist),
        "Policy": _union_members(Policy),
    }
    members = {name: [_ref(m.__name__) for m in models] for name, models in unions.items()}

    def replace(node: Any) -> None:
        if isinstance(node, dict):
            for name, refs in members.items():
                if node.get("oneOf") == refs:
                    del node["oneOf"]
                    node["$ref"] = f"#/$defs/{name}"
            for value in node.values():
                replace(value)
        elif isinstance(node, list):
            for value in node:
                replace(value)

    replace(defs)
    # The discriminator key is required even where the model has a default ("constant").
    for model in unions["DurationDist"] + unions["CountDist"]:
        required = defs[model.__name__].setdefault("required", [])
        if "dist" not in required:
            required.insert(0, "dist")
    duration = _type_schema(fields.Duration)
    defs["DurationDist"] = {
        "title": "Duration or distribution",
        "description": "A duration that may vary: a duration string (constant), like "
        f"{units.DURATION_FORMS}, or a mapping with dist: one of "
        + ", ".join(distributions.DURATION_DISTS)
        + ".",
        "anyOf": [duration, {"oneOf": members["DurationDist"]}],
    }
    defs["CountDist"] = {
        "title": "Count or distribution",
        "description": "A count that may vary: a whole number (constant), or a mapping with "
        "dist: one of " + ", ".join(distributions.COUNT_DISTS) + ".",
        "anyOf": [{"type": "integer", "minimum": 0}, {"oneOf": members["CountDist"]}],
    }
    defs["Policy"] = {
        "title": "Replenishment policy",
        "description": "A mapping with type: one of "
        + ", ".join(typing.get_args(m.model_fields["type"].annotation)[0] for m in unions["Policy"])
        + ".",
        "oneOf": members["Policy"],
    }


def _fix_fields(defs: dict[str, Any]) -> None:
    """Fields whose before-validators accept forms the generated schema does not show."""
    scenario = defs["Scenario"]["properties"]
    scenario["extends"] = {"type": "string", "minLength": 1, "title": "Extends"}
    # Keep the keys in the order of the format page: extends after description.
    order = ["name", "description", "extends"]
    defs["Scenario"]["properties"] = {
        **{key: scenario[key] for key in order},
        **{key: value for key, value in scenario.items() if key not in order},
    }
    scenario = defs["Scenario"]["properties"]
    stream = _ref("DemandStream")
    scenario["demand"] = {
        "title": "Demand",
        "anyOf": [stream, {"type": "array", "items": stream, "minItems": 1}],
    }
    product = defs["Product"]["properties"]
    product["holding_cost"] = {
        "title": "Holding Cost",
        "type": "string",
        "pattern": fields._PERCENT_RATE_PATTERN,
        "examples": ["0.02/day", "25%/year"],
        "patternErrorMessage": 'expected money per time like "0.02/day", or a percentage '
        'of unit_cost per time like "25%/year"',
    }
    run = defs["Run"]["properties"]
    confidence = run["confidence"]
    number = {key: confidence.pop(key) for key in ("type", "exclusiveMinimum", "exclusiveMaximum")}
    confidence["anyOf"] = [number, {"type": "string", "pattern": fields._PERCENT_PATTERN}]
    arrivals = defs["Arrivals"]["properties"]
    for key, length in (("by_hour", 24), ("by_weekday", 7), ("by_month", 12)):
        array = arrivals[key]["anyOf"][0]
        array["minItems"] = array["maxItems"] = length
    scenario["variants"]["additionalProperties"] = {
        "type": "object",
        "propertyNames": {"pattern": _DOTTED},
        "additionalProperties": True,
    }
    defs["Sweep"]["properties"]["grid"]["anyOf"][0]["propertyNames"] = {"pattern": _DOTTED}
    defs["Sample"]["properties"]["ranges"]["propertyNames"] = {"pattern": _DOTTED}
    del defs["HoldingCost"]


def _describe(defs: dict[str, Any]) -> None:
    """A description on every key: the model's, else KEY_DOCS, plus the type's form."""
    by_name = {model.__name__: model for model in scenario_models()}
    for name, schema in defs.items():
        model = by_name.get(name)
        if model is not None and model.__doc__ and "description" not in schema:
            schema["description"] = model.__doc__.strip()
        docs = KEY_DOCS.get(name, {})
        for key, prop in schema.get("properties", {}).items():
            field = None
            if model is not None:
                field = next(
                    (f for n, f in model.model_fields.items() if (f.alias or n) == key), None
                )
            text = field.description if field is not None and field.description else docs.get(key)
            if text is None:
                continue
            form = prop.get("description")
            prop["description"] = f"{text} ({form})" if form and form != text else text


def _patch(node: Any) -> Any:
    """A relaxed copy for files with ``extends``: nothing required, unions may overlap.

    Lists are replaced whole by ``extends``, so their items keep the complete schema.
    """
    if isinstance(node, list):
        return [_patch(item) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "required":
            continue
        if key == "items":
            result[key] = copy.deepcopy(value)
        elif key == "$ref":
            result[key] = f"{value}Patch"
        else:
            result["anyOf" if key == "oneOf" else key] = _patch(value)
    return result


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if "$ref" in node else set()
        for key, value in node.items():
            if key != "$defs":
                found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def _prune(root: dict[str, Any]) -> None:
    """Drop the definitions nothing refers to (patched copies of list items, say)."""
    defs = root["$defs"]
    reachable: set[str] = set()
    todo = _refs(root)
    while todo:
        name = todo.pop()
        if name not in reachable:
            reachable.add(name)
            todo |= _refs(defs[name])
    root["$defs"] = {name: defs[name] for name in sorted(reachable)}
