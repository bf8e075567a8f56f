"""corral.scheduler: the policy engine, a pure function of configuration and status."""

from corral.scheduler.schedule import schedule
from corral.scheduler.transition import Action, Change, Score, Transition

__all__ = ["Action", "Change", "Score", "Transition", "schedule"]
