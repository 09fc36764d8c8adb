"""Brobygger: a recruiter pipeline plugin for applicant tracking systems."""

from .app import create_app
from .extension import Brobygger

__all__ = ["Brobygger", "create_app"]
