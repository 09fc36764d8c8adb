"""Brobygger: a recruiter pipeline plugin for applicant tracking systems."""

from plugin.app import create_app
from plugin.extension import Brobygger

__all__ = ["Brobygger", "create_app"]
