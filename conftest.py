"""Shared pytest plugins: one app server and one Chromium for every browser test in the session."""

pytest_plugins = ["tests.browser.harness"]
