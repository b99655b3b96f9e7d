"""The demo organisation's cocreation: built by outsidein.demo.demo_build."""


def build(*, organisation, units, logins, employees, points, waves, route, today, rng, **_):
    """Add this app's part of the demo organisation."""
