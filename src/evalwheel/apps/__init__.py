"""The application interface: how an agent under evaluation plugs into evalwheel."""

from evalwheel.apps.interface import App, AppOutput, CheckResult, load_apps

__all__ = ["App", "AppOutput", "CheckResult", "load_apps"]
