"""Discrete-event simulation of business operations, from YAML scenarios.

    import sim
    scenario = sim.load("scenarios/ecommerce.yaml")
    results = sim.run(scenario)
    results.summary()
"""
